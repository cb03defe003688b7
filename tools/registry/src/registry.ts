import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { htpasswdLine, LOCAL_USER, renderConfig, renderNpmrc } from './config.js';
import { RegistryLocalError } from './errors.js';
import { DEFAULT_REGISTRY_DIR, type RegistryLayout, registryLayout } from './paths.js';
import { bindablePort, LOOPBACK, requestedPort } from './ports.js';
import { isOurRegistry, isProcessAlive, waitForExit } from './process.js';

export interface RegistryInfo {
  /** e.g. 'http://127.0.0.1:41234/', what `--registry` and `registry=` take. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Config, storage, log and state: .cache/registry/ unless the caller chose another. */
  readonly dir: string;
  /**
   * An npm user config naming this registry, with a token of the local
   * user: `NPM_CONFIG_USERCONFIG=<it> npm publish` publishes here.
   */
  readonly npmrc: string;
  readonly logFile: string;
}

export interface RegistryOptions {
  /** Where config, storage and state live; default .cache/registry/ at the repository root. */
  readonly dir?: string;
  /** Port on 127.0.0.1; default $UNIQSTREAM_REGISTRY_PORT, else a free one. */
  readonly port?: number;
  /** Progress and notices, one line each; default: stderr. */
  readonly log?: (line: string) => void;
  /** How long a start may take before it is abandoned; default 60 s. */
  readonly startTimeoutMs?: number;
}

interface State {
  readonly pid: number;
  readonly port: number;
}

const DEFAULT_START_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 200;
/** SIGTERM lets Verdaccio finish writes to storage; past this it is killed. */
const STOP_GRACE_MS = 10_000;
const KILL_WAIT_MS = 5_000;
const PRIVATE = 0o600;
const PASSWORD_BYTES = 24;
/** Lines of the log shown when Verdaccio dies while starting. */
const LOG_TAIL_LINES = 5;

const stderrLog = (line: string): void => void process.stderr.write(`${line}\n`);

/**
 * Starts Verdaccio detached on 127.0.0.1 and logs the local user in, or
 * returns the registry that already runs from this directory. It outlives
 * the caller: stop it with stopRegistry.
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<RegistryInfo> {
  const layout = registryLayout(options.dir ?? DEFAULT_REGISTRY_DIR);
  const log = options.log ?? stderrLog;
  const wanted = requestedPort(options.port, process.env);
  const running = await registryStatus(options);
  if (running !== null) {
    if (wanted === undefined || wanted === running.port) {
      log(`the local registry already runs on ${running.url} (pid ${running.pid})`);
      return running;
    }
    throw new RegistryLocalError(
      'PORT_IN_USE',
      `the registry in ${layout.root} already runs on port ${running.port}, not ${wanted}: stop it first`,
    );
  }
  const port = await bindablePort(wanted ?? 0);
  if (port === null) throw new RegistryLocalError('PORT_IN_USE', `port ${wanted} on ${LOOPBACK} is taken`);

  await mkdir(layout.storage, { recursive: true });
  const password = await ensureUser(layout);
  await writeFile(layout.config, renderConfig(layout));
  const pid = await spawnVerdaccio(layout, port);
  await writeFile(layout.stateFile, `${JSON.stringify({ pid, port } satisfies State)}\n`);
  const url = urlOf(port);
  try {
    await waitUntilReady(url, pid, layout, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    const token = await logIn(url, password);
    await writePrivate(layout.npmrc, renderNpmrc(url, token));
  } catch (error) {
    await stopPid(pid);
    await rm(layout.stateFile, { force: true });
    throw error;
  }
  log(`the local registry runs on ${url} (pid ${pid}); publish with NPM_CONFIG_USERCONFIG=${layout.npmrc}`);
  return infoOf(layout, { pid, port });
}

/** The registry running from this directory, or null. */
export async function registryStatus(options: Pick<RegistryOptions, 'dir'> = {}): Promise<RegistryInfo | null> {
  const layout = registryLayout(options.dir ?? DEFAULT_REGISTRY_DIR);
  const state = await readState(layout);
  if (state === null || !isOurRegistry(state.pid, layout.root)) return null;
  return infoOf(layout, state);
}

/** Stops the registry of this directory; false when none ran. Storage is kept. */
export async function stopRegistry(options: Pick<RegistryOptions, 'dir'> = {}): Promise<boolean> {
  const layout = registryLayout(options.dir ?? DEFAULT_REGISTRY_DIR);
  const running = await registryStatus(options);
  await rm(layout.stateFile, { force: true });
  if (running === null) return false;
  await stopPid(running.pid);
  return true;
}

function urlOf(port: number): string {
  return `http://${LOOPBACK}:${port}/`;
}

function infoOf(layout: RegistryLayout, state: State): RegistryInfo {
  return {
    url: urlOf(state.port),
    port: state.port,
    pid: state.pid,
    dir: layout.root,
    npmrc: layout.npmrc,
    logFile: layout.logFile,
  };
}

async function readState(layout: RegistryLayout): Promise<State | null> {
  try {
    const parsed = JSON.parse(await readFile(layout.stateFile, 'utf8')) as Partial<State>;
    return typeof parsed.pid === 'number' && typeof parsed.port === 'number'
      ? { pid: parsed.pid, port: parsed.port }
      : null;
  } catch {
    return null;
  }
}

async function writePrivate(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: PRIVATE });
  // writeFile's mode applies to new files only.
  await chmod(path, PRIVATE);
}

/** The local user's password, made up the first time; htpasswd is rewritten to match it. */
async function ensureUser(layout: RegistryLayout): Promise<string> {
  let password = existsSync(layout.password) ? (await readFile(layout.password, 'utf8')).trim() : '';
  if (password === '') {
    password = randomBytes(PASSWORD_BYTES).toString('base64url');
    await writePrivate(layout.password, `${password}\n`);
  }
  await writePrivate(layout.htpasswd, htpasswdLine(LOCAL_USER, password));
  return password;
}

async function spawnVerdaccio(layout: RegistryLayout, port: number): Promise<number> {
  const bin = createRequire(import.meta.url).resolve('verdaccio/bin/verdaccio');
  const output = await open(layout.logFile, 'a');
  try {
    const child = spawn(process.execPath, [bin, '--config', layout.config, '--listen', `${LOOPBACK}:${port}`], {
      cwd: layout.root,
      detached: true,
      stdio: ['ignore', output.fd, output.fd],
    });
    const pid = child.pid;
    if (pid === undefined) throw new RegistryLocalError('START_FAILED', 'could not start Verdaccio');
    child.unref();
    return pid;
  } finally {
    await output.close();
  }
}

async function waitUntilReady(url: string, pid: number, layout: RegistryLayout, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isProcessAlive(pid)) {
      throw new RegistryLocalError('START_FAILED', `Verdaccio exited while starting: ${await logTail(layout)}`);
    }
    try {
      const response = await fetch(new URL('-/ping', url));
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() >= deadline) {
      throw new RegistryLocalError('START_TIMEOUT', `Verdaccio did not answer on ${url} within ${timeoutMs} ms`);
    }
    await sleep(READY_POLL_MS);
  }
}

async function logTail(layout: RegistryLayout): Promise<string> {
  try {
    const lines = (await readFile(layout.logFile, 'utf8')).trimEnd().split('\n');
    return lines.slice(-LOG_TAIL_LINES).join(' | ');
  } catch {
    return `no log at ${layout.logFile}`;
  }
}

/**
 * What `npm login` does: the user's token, for npmrc. Verdaccio takes this
 * as a login, not a sign-up (closed here), only when the request already
 * carries the user's credentials.
 */
async function logIn(url: string, password: string): Promise<string> {
  const basic = Buffer.from(`${LOCAL_USER}:${password}`).toString('base64');
  const response = await fetch(new URL(`-/user/org.couchdb.user:${LOCAL_USER}`, url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Basic ${basic}` },
    body: JSON.stringify({ name: LOCAL_USER, password, type: 'user', roles: [] }),
  });
  const body = (await response.json().catch(() => ({}))) as { token?: unknown; error?: unknown };
  if (!response.ok || typeof body.token !== 'string') {
    const why = typeof body.error === 'string' ? body.error : `HTTP ${response.status}`;
    throw new RegistryLocalError('LOGIN_FAILED', `could not log ${LOCAL_USER} in to ${url}: ${why}`);
  }
  return body.token;
}

async function stopPid(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await waitForExit(pid, STOP_GRACE_MS)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  if (!(await waitForExit(pid, KILL_WAIT_MS))) {
    throw new RegistryLocalError('STOP_FAILED', `Verdaccio (pid ${pid}) is still running after SIGKILL`);
  }
}
