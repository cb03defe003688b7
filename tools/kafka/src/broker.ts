import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureBrokerCertificates } from './certificates.js';
import {
  loggingConfigFlag,
  renderBrokerLogging,
  renderServerProperties,
  resolveGroupDelayMs,
  SCRAM_MECHANISMS,
  type SecureServerConfig,
} from './config.js';
import {
  ADMIN_USER,
  adminStampMatches,
  ensureAdminPassword,
  readClusterId,
  writeAdminClientConfig,
  writeAdminStamp,
} from './credentials.js';
import { KafkaLocalError } from './errors.js';
import { classPathOf, stderrLog, type LogFn } from './fetch.js';
import { withLock } from './lock.js';
import { BROKER_JVM_OPTIONS, requireJava } from './java.js';
import { dataLayout, DATA_DIR, jarLayout, portLockFile, type DataLayout } from './paths.js';
import { controllerPortOf, isPortFree, LOOPBACK, mutualTlsPortOf, resolvePort, securePortOf } from './ports.js';
import { isOurBroker, isProcessAlive, signal, waitForExit } from './process.js';
import type { Readiness } from './probe.js';
import { setScramCredential } from './scram-users.js';
import {
  resolveSecure,
  secureKafkaConfig,
  secureListenerOf,
  SECURE_ENV,
  type SecureListener,
} from './secure-listener.js';
import { formatStorage } from './storage.js';
import { parseKafkaVersion, resolveVersion, type KafkaVersion } from './version.js';

export interface BrokerInfo {
  /** host:port for clients, e.g. '127.0.0.1:9092'. */
  readonly bootstrap: string;
  readonly version: string;
  readonly port: number;
  readonly pid: number;
  /** The broker's log (log4j), rotated at 50 MB. */
  readonly logFile: string;
  /** .data/<version>/<port>: config, KRaft storage, logs, pid file. */
  readonly dataDir: string;
  /** The SASL_SSL listeners (port + 2, and + 3 for mutual TLS) of a broker started with `secure`, else null. */
  readonly secure: SecureListener | null;
}

export interface BrokerOptions {
  /** Kafka version; default $UNIQSTREAM_KAFKA_VERSION, else 4.4.0. */
  readonly version?: string;
  /** Broker port (the controller takes port + 1); default $UNIQSTREAM_KAFKA_PORT, else 9092. */
  readonly port?: number;
  /** Progress and notices, one line each; default: stderr. */
  readonly log?: (line: string) => void;
  /** How long a start may take before it is abandoned; default 120 s. */
  readonly startTimeoutMs?: number;
  /**
   * Start with a SASL_SSL listener on port + 2 beside PLAINTEXT (TLS, SCRAM
   * and PLAIN logins, ACLs), and the same on port + 3 requiring a client
   * certificate; default $UNIQSTREAM_KAFKA_SECURE. A running
   * broker without one is then NOT_SECURE; without it, a running broker is
   * taken with or without one.
   */
  readonly secure?: boolean;
}

const DEFAULT_START_TIMEOUT_MS = 120_000;
/** SIGTERM lets the broker close its logs cleanly; past this it is killed. */
const STOP_GRACE_MS = 30_000;
const KILL_WAIT_MS = 5_000;
/** Waiters give the holder time for a cold fetch, a format and a start. */
const PORT_LOCK_TIMEOUT_MS = 20 * 60_000;
const READY_POLL_MS = 500;
/** Lines of the log shown when the broker dies while starting. */
const LOG_TAIL_LINES = 3;
/** Once the plaintext listener answers, the admin must be able to log in on SASL_SSL within this. */
const SECURE_READY_TIMEOUT_MS = 30_000;
/** server.properties holds the admin's password (PLAIN's JAAS entry) when secure. */
const PRIVATE = 0o600;

interface Target {
  readonly version: KafkaVersion;
  /** Whether the caller (or the environment) named the version. */
  readonly explicit: boolean;
  readonly port: number;
  readonly log: LogFn;
  readonly startTimeoutMs: number;
  /** Whether the SASL_SSL listener is required. */
  readonly secure: boolean;
}

function targetOf(options: BrokerOptions | undefined): Target {
  const { version, explicit } = resolveVersion(options?.version, process.env);
  return {
    version,
    explicit,
    port: resolvePort(options?.port, process.env),
    log: options?.log ?? stderrLog,
    startTimeoutMs: options?.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
    secure: resolveSecure(options?.secure, process.env),
  };
}

function infoOf(version: KafkaVersion, port: number, pid: number, data: DataLayout, secure: boolean): BrokerInfo {
  return {
    bootstrap: `${LOOPBACK}:${port}`,
    version: version.text,
    port,
    pid,
    logFile: data.logFile,
    dataDir: data.root,
    secure: secure ? secureListenerOf(version, port, data) : null,
  };
}

/** What broker.json records of a run. */
interface RunState {
  readonly version: string;
  readonly port: number;
  readonly pid: number;
  readonly startedAt: string;
  readonly secure: boolean;
}

async function readSecure(stateFile: string): Promise<boolean> {
  try {
    return (JSON.parse(await readFile(stateFile, 'utf8')) as Partial<RunState>).secure === true;
  } catch {
    return false;
  }
}

/**
 * The broker of ours running on `port`, of any version unless `only` is given.
 * Ours means: the pid file of .data/<version>/<port> names a live java running
 * kafka.Kafka with that directory's server.properties.
 */
async function findRunning(port: number, only?: KafkaVersion): Promise<BrokerInfo | null> {
  let versions: KafkaVersion[];
  if (only !== undefined) versions = [only];
  else {
    const names = existsSync(DATA_DIR) ? await readdir(DATA_DIR) : [];
    versions = names.flatMap((name) => {
      try {
        return [parseKafkaVersion(name)];
      } catch {
        return [];
      }
    });
  }
  for (const version of versions) {
    const data = dataLayout(version, port);
    const pid = await readPid(data.pidFile);
    if (pid !== null && isOurBroker(pid, data.serverProperties))
      return infoOf(version, port, pid, data, await readSecure(data.stateFile));
  }
  return null;
}

async function readPid(file: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Starts the broker (fetching and formatting first when needed), or returns the one already running. */
export async function startBroker(options?: BrokerOptions): Promise<BrokerInfo> {
  const target = targetOf(options);
  return withLock(portLockFile(target.port), { timeoutMs: PORT_LOCK_TIMEOUT_MS }, () => startLocked(target, true));
}

/** For tests: starts the broker unless one of ours runs; safe to call from many processes at once. */
export async function ensureBroker(options?: BrokerOptions): Promise<BrokerInfo> {
  const target = targetOf(options);
  // The common case, a broker already up, needs no lock.
  const running = await findRunning(target.port);
  if (running !== null && acceptable(running, target) && (await brokerReady(running.bootstrap))) return running;
  return withLock(portLockFile(target.port), { timeoutMs: PORT_LOCK_TIMEOUT_MS }, () => startLocked(target, false));
}

/** Stops the broker of ours on the port; false when none was running. */
export async function stopBroker(options?: BrokerOptions): Promise<boolean> {
  const target = targetOf(options);
  return withLock(portLockFile(target.port), { timeoutMs: PORT_LOCK_TIMEOUT_MS }, () =>
    stopLocked(target.port, target.log, options?.version === undefined ? undefined : target.version),
  );
}

/** Stops and starts again on the same data: for tests that restart the broker mid-run. */
export async function restartBroker(options?: BrokerOptions): Promise<BrokerInfo> {
  const target = targetOf(options);
  return withLock(portLockFile(target.port), { timeoutMs: PORT_LOCK_TIMEOUT_MS }, async () => {
    const running = await findRunning(target.port);
    if (running !== null && !sameVersion(running, target)) throw mismatch(running, target);
    await stopLocked(target.port, target.log);
    // Restart what ran, unless a version was asked for; secure if it was, or if asked.
    const version = running !== null && !target.explicit ? parseKafkaVersion(running.version) : target.version;
    return startLocked({ ...target, version, secure: target.secure || running?.secure != null }, true);
  });
}

/** The broker of ours on the port (any version unless one is given), or null. */
export async function brokerStatus(options?: BrokerOptions): Promise<BrokerInfo | null> {
  const port = resolvePort(options?.port, process.env);
  return findRunning(port, options?.version === undefined ? undefined : parseKafkaVersion(options.version));
}

/** kafkajs loads in a fifth of a second; status checks and the tool wrappers never need it. */
async function brokerReady(bootstrap: string, readiness?: Readiness): Promise<boolean> {
  const probe = await import('./probe.js');
  return probe.brokerReady(bootstrap, readiness);
}

function sameVersion(running: BrokerInfo, target: Target): boolean {
  return !target.explicit || running.version === target.version.text;
}

/** A secured broker serves plaintext clients as well, so it does for a target that does not ask for security. */
function acceptable(running: BrokerInfo, target: Target): boolean {
  return sameVersion(running, target) && (!target.secure || running.secure !== null);
}

function mismatch(running: BrokerInfo, target: Target): KafkaLocalError {
  if (!sameVersion(running, target)) {
    return new KafkaLocalError(
      'VERSION_MISMATCH',
      `Kafka ${running.version} is running on ${running.bootstrap} (pid ${running.pid}) but ${target.version.text} ` +
        `was asked for: stop it first (kafka-local stop)`,
    );
  }
  return new KafkaLocalError(
    'NOT_SECURE',
    `Kafka ${running.version} is running on ${running.bootstrap} (pid ${running.pid}) without the ` +
      `SASL_SSL listener, which was asked for (--secure or ${SECURE_ENV}): restart it with ` +
      `\`kafka-local restart --secure\``,
  );
}

async function startLocked(target: Target, announce: boolean): Promise<BrokerInfo> {
  const running = await findRunning(target.port);
  if (running !== null) {
    if (!acceptable(running, target)) throw mismatch(running, target);
    const data = dataLayout(parseKafkaVersion(running.version), target.port);
    await waitReady(running, data, target.startTimeoutMs);
    if (announce) {
      target.log(
        `Kafka ${running.version} is already running on ${running.bootstrap} (pid ${running.pid}); ` +
          `log: ${running.logFile}`,
      );
    }
    return running;
  }

  const { version, port, log, secure } = target;
  for (const taken of [port, controllerPortOf(port), ...(secure ? [securePortOf(port), mutualTlsPortOf(port)] : [])]) {
    if (!(await isPortFree(taken))) {
      throw new KafkaLocalError(
        'PORT_IN_USE',
        `${LOOPBACK}:${taken} is taken by another program (not a kafka-local broker): stop it, or ` +
          `pick another port with UNIQSTREAM_KAFKA_PORT (the controller uses port + 1, --secure's listeners ` +
          `port + 2 and + 3)`,
      );
    }
  }

  const java = requireJava(version).command;
  const classPath = await classPathOf(version, log);
  const data = dataLayout(version, port);
  await mkdir(data.logsDir, { recursive: true });
  // Every storage is formatted with the admin, so that any data directory can be started secure later.
  const adminPassword = await ensureAdminPassword(data.secure);
  const secureConfig = secure ? await prepareSecureFiles(data, adminPassword, log) : undefined;
  await writeFile(
    data.serverProperties,
    renderServerProperties({
      version,
      port,
      logDir: data.kraftDir,
      groupInitialRebalanceDelayMs: resolveGroupDelayMs(process.env),
      ...(secureConfig === undefined ? {} : { secure: secureConfig }),
    }),
    {
      mode: PRIVATE,
    },
  );
  await chmod(data.serverProperties, PRIVATE);
  await writeFile(data.logging, renderBrokerLogging(version, data.logFile));
  const formatStarted = Date.now();
  const formatted = await formatStorage(version, java, classPath, jarLayout(version), data, {
    user: ADMIN_USER,
    password: adminPassword,
  });
  if (formatted !== null) {
    await writeAdminStamp(data.secure, formatted, adminPassword);
    log(`formatted KRaft storage in ${data.kraftDir} (${((Date.now() - formatStarted) / 1000).toFixed(1)} s)`);
  }

  const started = Date.now();
  const pid = await launch(version, java, classPath, data);
  await writeFile(data.pidFile, `${pid}\n`);
  const state: RunState = { version: version.text, port, pid, startedAt: new Date().toISOString(), secure };
  await writeFile(data.stateFile, `${JSON.stringify(state)}\n`);
  const info = infoOf(version, port, pid, data, secure);
  try {
    await waitReady(info, data, target.startTimeoutMs);
    if (info.secure !== null) await readySecure(info, info.secure, data, adminPassword, log);
  } catch (error) {
    await terminate(pid);
    await removeRunFiles(data);
    if (error instanceof KafkaLocalError && error.code === 'START_TIMEOUT') {
      throw new KafkaLocalError('START_TIMEOUT', `${error.message} (the half-started broker was stopped)`);
    }
    throw error;
  }
  const secured = info.secure === null ? '' : `, SASL_SSL on ${info.secure.bootstrap}`;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  log(
    `Kafka ${version.text} is running on ${info.bootstrap}${secured} (pid ${pid}, ready in ${seconds} s); ` +
      `log: ${data.logFile}`,
  );
  return info;
}

/** The CA and the broker's keystore (made once per data directory) and the admin's client settings for Kafka's
 * tools. */
async function prepareSecureFiles(data: DataLayout, adminPassword: string, log: LogFn): Promise<SecureServerConfig> {
  const started = Date.now();
  if (await ensureBrokerCertificates(data.secure)) {
    log(
      `made a CA and the broker's certificate in ${data.secure.root} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
  }
  await writeAdminClientConfig(data.secure, adminPassword);
  return {
    keystore: data.secure.brokerKeystore,
    truststore: data.secure.caCertificate,
    adminUser: ADMIN_USER,
    adminPassword,
  };
}

/**
 * Once the plaintext listener answers: writes the admin's SCRAM credentials
 * if the storage does not hold them with this password (formatted by an older
 * kafka-local, or the password file was deleted), through the plaintext
 * listener, whose clients are super users; then waits until the admin can log
 * in on SASL_SSL.
 */
async function readySecure(
  info: BrokerInfo,
  listener: SecureListener,
  data: DataLayout,
  adminPassword: string,
  log: LogFn,
): Promise<void> {
  const clusterId = await readClusterId(data.metaProperties);
  if (!(await adminStampMatches(data.secure, clusterId, adminPassword))) {
    const started = Date.now();
    for (const mechanism of SCRAM_MECHANISMS) {
      await setScramCredential(
        { version: info.version, bootstrap: info.bootstrap },
        ADMIN_USER,
        mechanism,
        adminPassword,
      );
    }
    await writeAdminStamp(data.secure, clusterId, adminPassword);
    log(`wrote the admin's SCRAM credentials with kafka-configs (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  const connection = secureKafkaConfig(listener, {
    user: ADMIN_USER,
    password: adminPassword,
    mechanism: 'SCRAM-SHA-512',
  });
  const deadline = Date.now() + SECURE_READY_TIMEOUT_MS;
  const probe = await import('./probe.js');
  for (;;) {
    const problem = await probe.secureListenerProblem(connection);
    if (problem === null) return;
    if (!isProcessAlive(info.pid))
      throw new KafkaLocalError('START_FAILED', `Kafka ${info.version} exited while starting (see ${data.logFile})`);
    if (Date.now() >= deadline) {
      throw new KafkaLocalError(
        'START_TIMEOUT',
        `the admin could not log in on ${listener.bootstrap} within ${SECURE_READY_TIMEOUT_MS / 1000} ` +
          `s (${problem}): see ${data.logFile}`,
      );
    }
    await sleep(READY_POLL_MS);
  }
}

/** Starts java in its own session, so it outlives the caller and its terminal. */
async function launch(version: KafkaVersion, java: string, classPath: string, data: DataLayout): Promise<number> {
  const console = await open(data.consoleFile, 'a');
  try {
    const args = [
      ...BROKER_JVM_OPTIONS,
      `-Dkafka.logs.dir=${data.logsDir}`,
      loggingConfigFlag(version, data.logging),
      'kafka.Kafka',
      data.serverProperties,
    ];
    const child = spawn(java, args, {
      cwd: data.root,
      detached: true,
      // The class path goes through the environment to keep `ps` readable.
      env: { ...process.env, CLASSPATH: classPath },
      stdio: ['ignore', console.fd, console.fd],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid ?? -1));
    });
    child.unref();
    return pid;
  } finally {
    await console.close();
  }
}

async function waitReady(info: BrokerInfo, data: DataLayout, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isProcessAlive(info.pid)) {
      const tail = await lastProblem(data);
      throw new KafkaLocalError(
        'START_FAILED',
        `Kafka ${info.version} exited while starting${tail === '' ? '' : `: ${tail}`} (see ${data.logFile} ` +
          `and ${data.consoleFile})`,
      );
    }
    if (await brokerReady(info.bootstrap, 'serves-partitions')) return;
    if (Date.now() >= deadline) {
      throw new KafkaLocalError(
        'START_TIMEOUT',
        `Kafka ${info.version} did not answer on ${info.bootstrap} within ${Math.round(timeoutMs / 1000)} ` +
          `s: see ${data.logFile}`,
      );
    }
    await sleep(READY_POLL_MS);
  }
}

/** The last ERROR or FATAL lines of the broker's log or console, for a one-line message. */
async function lastProblem(data: DataLayout): Promise<string> {
  const lines: string[] = [];
  for (const file of [data.logFile, data.consoleFile]) {
    try {
      lines.push(...(await readFile(file, 'utf8')).split('\n'));
    } catch {
      // Not written yet.
    }
  }
  return lines
    .filter((line) => /\b(ERROR|FATAL)\b|Exception|Error:/.test(line))
    .slice(-LOG_TAIL_LINES)
    .map((line) => line.trim())
    .join(' | ');
}

async function stopLocked(port: number, log: LogFn, only?: KafkaVersion): Promise<boolean> {
  const running = await findRunning(port, only);
  if (running === null) return false;
  const data = dataLayout(parseKafkaVersion(running.version), port);
  const started = Date.now();
  await terminate(running.pid);
  await removeRunFiles(data);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  log(`stopped Kafka ${running.version} on ${running.bootstrap} (pid ${running.pid}, in ${seconds} s)`);
  return true;
}

/** SIGTERM, then SIGKILL if the broker is still shutting down after the grace period. */
async function terminate(pid: number): Promise<void> {
  if (!signal(pid, 'SIGTERM')) return;
  if (await waitForExit(pid, STOP_GRACE_MS)) return;
  signal(pid, 'SIGKILL');
  if (!(await waitForExit(pid, KILL_WAIT_MS))) {
    throw new KafkaLocalError('STOP_FAILED', `Kafka (pid ${pid}) did not exit even after SIGKILL`);
  }
}

async function removeRunFiles(data: DataLayout): Promise<void> {
  await rm(data.pidFile, { force: true });
  await rm(data.stateFile, { force: true });
}
