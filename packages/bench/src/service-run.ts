/**
 * The consumer service (`apps/consumer`, the real binary) as the suites run
 * it: built with turbo, started as a child process with its HTTP port for
 * /metrics and /readyz, and stopped the way an orchestrator stops it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { buildCommand, buildPackage } from './build.js';
import { CONSUMER_DIST } from './paths.js';

/** The file the service's build produces. */
export const CONSUMER_MAIN = join(CONSUMER_DIST, 'main.js');
export const CONSUMER_PACKAGE = '@uniqstream/consumer';
const STOP_TIMEOUT_MS = 60_000;
/** Enough of a failing instance's stderr to say why in one message. */
const STDERR_TAIL_CHARS = 4000;
/** utime and stime in /proc/<pid>/stat, counted from the field after the command name (field 3 = index 0). */
const UTIME_FIELD = 11;
const STIME_FIELD = 12;
/** USER_HZ: the kernel reports process times in ticks of 1/100 s on every mainstream Linux. */
const CLOCK_TICKS_PER_SECOND = 100;
const HTTP_OK = 200;

/** Builds the service (turbo: cached when nothing changed); the runner builds only the CLI. */
export function buildConsumer(log: (m: string) => void, label: string): void {
  log(`${label}: building the consumer service (${buildCommand(CONSUMER_PACKAGE)})`);
  if (!buildPackage(CONSUMER_PACKAGE)) log(`${label}: the build failed; measuring the service already in apps/consumer/dist, if any`);
}

export function consumerBuilt(): boolean {
  return existsSync(CONSUMER_MAIN);
}

/** The service's --help, to see which options the built service has (empty when it cannot run). */
export function consumerHelp(): string {
  const result = spawnSync(process.execPath, [CONSUMER_MAIN, '--help'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout : '';
}

/** A loopback port nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A counter of an instance's /metrics; 0 while it does not answer yet. */
export async function metric(port: number, pattern: RegExp): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    const match = pattern.exec(await response.text());
    return match === null ? 0 : Number(match[1]);
  } catch {
    return 0;
  }
}

/** True when the instance's /readyz says 200 (it holds its partitions with their state, or merges caught up). */
export async function serviceReady(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`);
    await response.text();
    return response.status === HTTP_OK;
  } catch {
    return false;
  }
}

export interface ServiceOptions {
  readonly bootstrap: string;
  readonly topic: string;
  /** The results topic (`--to`). */
  readonly results: string;
  readonly group: string;
  readonly httpPort: number;
  /** Flags after the ones above, e.g. `['--checkpoint-interval', '1']`. */
  readonly args: readonly string[];
  /** Names the instance in a failure, e.g. `instance 2`. */
  readonly label: string;
}

/** One running instance of the service. */
export interface ServiceInstance {
  readonly child: ChildProcess;
  readonly httpPort: number;
  /** Why it stopped on its own (exit code or signal, and the end of its stderr); undefined while it runs or was stopped. */
  failure(): string | undefined;
}

/** Starts one instance reading `topic` from the beginning in a fresh `group`, logging at warn. */
export function startService(options: ServiceOptions): ServiceInstance {
  const args = [
    CONSUMER_MAIN,
    '--from', `kafka://${options.bootstrap}/${options.topic}`,
    '--to', `kafka://${options.bootstrap}/${options.results}`,
    '--group', options.group,
    '--from-beginning',
    '--http-port', String(options.httpPort),
    '--log-level', 'warn',
    ...options.args,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let failure: string | undefined;
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => (stderr = (stderr + text).slice(-STDERR_TAIL_CHARS)));
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') failure ??= `${options.label} exited (${code ?? signal}): ${stderr}`;
  });
  return { child, httpPort: options.httpPort, failure: () => failure };
}

/** SIGTERM (the service checkpoints and exits), SIGKILL if it does not within a minute. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * User + system CPU seconds of a running process, from /proc/<pid>/stat
 * (fields 14 and 15, after the parenthesised command name); 0 elsewhere.
 */
export function cpuOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[UTIME_FIELD]) + Number(fields[STIME_FIELD])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}
