import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { renderToolsLogging } from './config.js';
import { KafkaLocalError } from './errors.js';
import { withLock } from './lock.js';
import { fetchLockFile, jarLayout } from './paths.js';
import { resolveVersion, type KafkaVersion } from './version.js';

/** A cold fetch (empty ~/.m2) is about 100 MB from Maven Central; allow a slow link. */
const FETCH_LOCK_TIMEOUT_MS = 15 * 60_000;
const BYTES_PER_MB = 1024 * 1024;
/**
 * Maven gives up on an artifact after its own few quick retries; a fresh CI
 * machine fetching ~100 MB must not fail a whole run on one network blip.
 */
export const MAVEN_RETRY_DELAYS_MS: readonly number[] = [5_000, 20_000];
/** Maven 3.8 colours its output even in batch mode. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is the character this strips.
const ANSI_ESCAPE = /\u001b\[[0-9;]*m/g;

export type LogFn = (line: string) => void;

/**
 * Makes sure .cache/kafka-<version>/libs holds the broker and tool jars,
 * fetching them with Maven once. Concurrent callers wait for one fetch.
 */
async function ensureJars(version: KafkaVersion, log: LogFn): Promise<string> {
  const layout = jarLayout(version);
  if (existsSync(layout.complete)) return layout.libs;
  await mkdir(layout.root, { recursive: true });
  return withLock(fetchLockFile(version), { timeoutMs: FETCH_LOCK_TIMEOUT_MS }, async () => {
    if (existsSync(layout.complete)) return layout.libs;
    const started = Date.now();
    log(`fetching Kafka ${version.text} jars from Maven Central...`);
    const staging = `${layout.libs}.partial-${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    try {
      await withRetries(() => runMaven(version, staging, layout.mavenLog, layout.pom), {
        delaysMs: MAVEN_RETRY_DELAYS_MS,
        retryable: (error) => error instanceof KafkaLocalError && error.code === 'MAVEN_FAILED',
        onRetry: (error, delayMs) =>
          log(`${error instanceof Error ? error.message : String(error)}; trying again in ${delayMs / 1000} s`),
      });
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
    await rm(layout.libs, { recursive: true, force: true });
    // Class-data archives name the jars they were made from.
    await rm(join(layout.root, 'cds'), { recursive: true, force: true });
    await rename(staging, layout.libs);
    const jars = await listJars(layout.libs);
    let bytes = 0;
    for (const jar of jars) bytes += (await stat(jar)).size;
    await writeFile(layout.complete, `${new Date().toISOString()}\n`);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    log(`fetched ${jars.length} jars (${Math.round(bytes / BYTES_PER_MB)} MB) in ${seconds} s into ${layout.libs}`);
    return layout.libs;
  });
}

export interface RetryOptions {
  /** One delay per retry: [] tries once. */
  readonly delaysMs: readonly number[];
  readonly retryable: (error: unknown) => boolean;
  readonly onRetry: (error: unknown, delayMs: number) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Runs `attempt` until it succeeds, a failure is not retryable, or the delays run out (the last failure is thrown). */
export async function withRetries<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (error) {
      const delayMs = options.delaysMs[retry];
      if (delayMs === undefined || !options.retryable(error)) throw error;
      options.onRetry(error, delayMs);
      await sleep(delayMs);
    }
  }
}

async function runMaven(version: KafkaVersion, outputDir: string, logFile: string, pom: string): Promise<void> {
  const args = [
    '-B',
    '-q',
    // Retry artifacts an earlier, failed fetch marked missing in ~/.m2 (a network blip must not stick).
    '-U',
    '-Dstyle.color=never',
    '-f',
    pom,
    `-Dkafka.version=${version.text}`,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${outputDir}`,
    '-DincludeScope=runtime',
  ];
  const out = await open(logFile, 'w');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('mvn', args, { stdio: ['ignore', out.fd, out.fd] });
      child.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') {
          reject(
            new KafkaLocalError('MAVEN_MISSING', 'cannot run mvn: install Maven 3.6+ to fetch the Kafka jars', {
              cause: error,
            }),
          );
        } else reject(error);
      });
      child.once('exit', (exitCode) => resolve(exitCode));
    });
    if (code !== 0) {
      const tail = (await readFile(logFile, 'utf8'))
        .replace(ANSI_ESCAPE, '')
        .split('\n')
        .filter((line) => line.startsWith('[ERROR]'))
        .map((line) => line.replace(/^\[ERROR\]\s*/, '').trim())
        .filter((line) => line !== '')
        .slice(0, 1)
        .map((line) => line.replace(/\s*-> \[Help \d+\]$/, ''))
        .join('');
      throw new KafkaLocalError(
        'MAVEN_FAILED',
        `Maven could not fetch Kafka ${version.text}${tail === '' ? '' : `: ${tail}`} (full output: ${logFile})`,
      );
    }
  } finally {
    await out.close();
  }
}

async function listJars(dir: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((name) => name.endsWith('.jar'))
    .sort()
    .map((name) => join(dir, name));
}

/** The class path of a fetched version (fetching it first when needed). */
export async function classPathOf(version: KafkaVersion, log: LogFn): Promise<string> {
  const libs = await ensureJars(version, log);
  await refreshToolsLogging(version);
  return (await listJars(libs)).join(delimiter);
}

/** Rewrites the tools' logging file when this version of kafka-local renders it differently. */
async function refreshToolsLogging(version: KafkaVersion): Promise<void> {
  const file = jarLayout(version).toolsLogging;
  const wanted = renderToolsLogging(version);
  const current = await readFile(file, 'utf8').catch(() => null);
  if (current === wanted) return;
  // Another wrapper's JVM may be reading it right now: replace it whole.
  const staging = `${file}.${process.pid}`;
  await writeFile(staging, wanted);
  await rename(staging, file);
}

/**
 * The class path of the broker and tool jars of `version` (default: the
 * environment's or the default version), fetching them on first use.
 */
export async function kafkaClassPath(version?: string): Promise<string> {
  return classPathOf(resolveVersion(version, process.env).version, stderrLog);
}

export function stderrLog(line: string): void {
  process.stderr.write(`kafka-local: ${line}\n`);
}
