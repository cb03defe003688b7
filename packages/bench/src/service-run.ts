/**
 * The consumer service (`apps/consumer`, the real binary) as the suites run
 * it: built with turbo, started as a child process with its HTTP port for
 * /metrics and /readyz, and stopped the way an orchestrator stops it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import type { Admin, IResourceConfigEntry } from 'kafkajs';
import { buildCommand, buildPackage } from './build.js';
import { CONSUMER_DIST } from './paths.js';

/** The file the service's build produces. */
const CONSUMER_MAIN = join(CONSUMER_DIST, 'main.js');
/** What an operator runs: the launcher in apps/consumer/bin, which starts node with the service's flags. */
const CONSUMER_BIN = join(CONSUMER_DIST, '..', 'bin', 'uniqstream-consumer');
export const CONSUMER_PACKAGE = '@uniqstream/consumer';
const STOP_TIMEOUT_MS = 60_000;
/** Enough of a failing instance's stderr to say why in one message. */
const STDERR_TAIL_CHARS = 4000;
const HTTP_OK = 200;

/** Builds the service (turbo: cached when nothing changed); the runner builds only the CLI. */
export function buildConsumer(log: (m: string) => void, label: string): void {
  log(`${label}: building the consumer service (${buildCommand(CONSUMER_PACKAGE)})`);
  if (!buildPackage(CONSUMER_PACKAGE))
    log(`${label}: the build failed; measuring the service already in apps/consumer/dist, if any`);
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

/** An unlabelled sample line of the Prometheus text format: `name value`. */
const UNLABELLED_SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/gm;

/**
 * Every unlabelled series of an instance's /metrics in one request (a
 * scrape costs the service a few ms of CPU, so a suite that watches
 * several counters asks once); empty while it does not answer.
 */
export async function scrapeMetrics(port: number): Promise<ReadonlyMap<string, number>> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    const text = await response.text();
    return new Map([...text.matchAll(UNLABELLED_SAMPLE)].map((m) => [m[1]!, Number(m[2])]));
  } catch {
    return new Map();
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

const MIB = 1024 * 1024;
/** As the service creates its state topics (apps/consumer/src/kafka.ts, STATE_TOPIC_CONFIG). */
const STATE_TOPIC_CONFIG: readonly IResourceConfigEntry[] = [
  { name: 'cleanup.policy', value: 'compact' },
  { name: 'max.message.bytes', value: String(64 * MIB) },
  { name: 'segment.bytes', value: String(128 * MIB) },
  { name: 'segment.ms', value: String(10 * 60_000) },
  { name: 'min.cleanable.dirty.ratio', value: '0.1' },
];

/** The partials and checkpoint topics of the service in `group`, by their default names. */
export function stateTopics(group: string): { readonly partials: string; readonly checkpoints: string } {
  return { partials: `${group}.partials`, checkpoints: `${group}.checkpoints` };
}

/**
 * Creates the service's state topics for `group` as the service would, so
 * that it takes them as they are: with `partialsConfig` added to the
 * partials topic (e.g. LogAppendTime), and without a start-up race of the
 * service, which can exit when the broker's metadata does not list yet a
 * topic it has just created (seen with several instances starting at once
 * on this loaded machine). The suites time nothing of the start-up.
 */
export async function createStateTopics(
  admin: Admin,
  group: string,
  inputPartitions: number,
  partialsConfig: readonly IResourceConfigEntry[] = [],
): Promise<void> {
  const topics = stateTopics(group);
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: topics.partials, numPartitions: 1, configEntries: [...STATE_TOPIC_CONFIG, ...partialsConfig] },
      { topic: topics.checkpoints, numPartitions: inputPartitions, configEntries: [...STATE_TOPIC_CONFIG] },
    ],
  });
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
  /** Why it stopped on its own (exit code or signal, and the end of its stderr); undefined while it runs or was
   * stopped. */
  failure(): string | undefined;
}

/** Starts one instance reading `topic` from the beginning in a fresh `group`, logging at warn. */
export function startService(options: ServiceOptions): ServiceInstance {
  const args = [
    '--from',
    `kafka://${options.bootstrap}/${options.topic}`,
    '--to',
    `kafka://${options.bootstrap}/${options.results}`,
    '--group',
    options.group,
    '--from-beginning',
    '--http-port',
    String(options.httpPort),
    '--log-level',
    'warn',
    ...options.args,
  ];
  // The service's own launcher (its node flags are part of what is measured), on the Node that runs the bench.
  const path = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;
  const child = spawn(CONSUMER_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PATH: path } });
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
