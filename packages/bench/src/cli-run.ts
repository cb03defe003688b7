/**
 * Runs the real `uniqstream count` command as a user would, under GNU time
 * for its peak RSS and CPU time, and reads the summary it prints on stderr.
 * Results go to /dev/null unless a suite wants to read them.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { buildCommand } from './build.js';
import { BenchError } from './errors.js';
import { MB } from './format.js';
import { summarize, type BenchCase, type Measurement } from './harness.js';
import { CLI_BIN, CLI_MAIN, GNU_TIME } from './paths.js';
import { childOf } from './process-stats.js';

/** GNU time reports kilobytes (KiB) for %M. */
const KIB = 1024;
/** Starts the line our GNU time format writes, so it is told apart from the CLI's own stderr. */
const TIME_MARK = '@bench-time';
const TIME_FORMAT = `${TIME_MARK} %M %e %U %S`;

/** What the CLI's stderr summary says about a run. */
export interface CliSummary {
  readonly frames: number;
  /** Seconds of the pipeline alone, as the CLI measured it (no Node start-up). */
  readonly seconds: number;
  /** Frames per second as the CLI printed it (from its unrounded time). */
  readonly framesPerSecond: number;
  readonly counted: number;
  readonly late: number;
  readonly lateDropped: number;
  readonly corruptTs: number;
  readonly malformed: number;
  /** Malformed frames by the decoder's kind. */
  readonly malformedKinds: ReadonlyMap<string, number>;
  readonly results: number;
}

/** What GNU time says about the whole process. */
export interface ProcessUsage {
  readonly peakRssBytes: number;
  /** Wall clock of the process, Node start-up included. */
  readonly wallSeconds: number;
  /** User + system CPU of the process, all threads. */
  readonly cpuSeconds: number;
}

export interface CliRun extends CliSummary {
  /** Null when GNU time is not installed. */
  readonly usage: ProcessUsage | null;
}

const number = (text: string): number => Number(text.replaceAll(',', ''));

/**
 * Reads the three summary lines of `uniqstream count` (apps/cli/src/report.ts):
 *   read 1,000,000 frames (2.05 GB) in 3.21 s: 311,526 frames/s, 638 MB/s
 *   counted 998,880, late 430 (of which dropped 70), corrupt ts 10, malformed 1,040 (missing-ts 180, ...)
 *   results 250, watermark 2016-07-11T13:56:18Z
 */
export function parseSummary(stderr: string): CliSummary {
  const read = /read ([\d,]+) frames \([^)]*\) in ([\d.]+) s: ([\d,]+) frames\/s/.exec(stderr);
  const counted = new RegExp(
    'counted ([\\d,]+), late ([\\d,]+) \\(of which dropped ([\\d,]+)\\), corrupt ts ([\\d,]+), ' +
      'malformed ([\\d,]+)(?: \\(([^)]*)\\))?',
  ).exec(stderr);
  const results = /results ([\d,]+)/.exec(stderr);
  if (read === null || counted === null || results === null) {
    throw new BenchError('BAD_OUTPUT', `no summary in the CLI's stderr: ${stderr.trim().slice(-300) || '(empty)'}`);
  }
  const malformedKinds = new Map<string, number>();
  for (const part of (counted[6] ?? '').split(', ')) {
    const kind = /^([a-z0-9-]+) ([\d,]+)$/.exec(part);
    if (kind !== null) malformedKinds.set(kind[1]!, number(kind[2]!));
  }
  return {
    frames: number(read[1]!),
    seconds: Number(read[2]),
    framesPerSecond: number(read[3]!),
    counted: number(counted[1]!),
    late: number(counted[2]!),
    lateDropped: number(counted[3]!),
    corruptTs: number(counted[4]!),
    malformed: number(counted[5]!),
    malformedKinds,
    results: number(results[1]!),
  };
}

/** What two runs on the same input must count alike, by the words the summary uses for them. */
const COUNTS: readonly (readonly [
  'frames' | 'counted' | 'late' | 'lateDropped' | 'corruptTs' | 'malformed',
  string,
])[] = [
  ['frames', 'frames'],
  ['counted', 'counted'],
  ['late', 'late'],
  ['lateDropped', 'late dropped'],
  ['corruptTs', 'corrupt ts'],
  ['malformed', 'malformed'],
];

/**
 * How `actual` differs from `expected` in what it counted, one entry a
 * figure (`counted 998,880 vs 998,881`); empty when they agree. Timings
 * differ from run to run and are not compared.
 */
export function summaryDifferences(expected: CliSummary, actual: CliSummary): string[] {
  const format = (n: number | undefined): string => (n ?? 0).toLocaleString('en-US');
  const differences: string[] = [];
  for (const [key, words] of COUNTS) {
    if (expected[key] !== actual[key]) differences.push(`${words} ${format(expected[key])} vs ${format(actual[key])}`);
  }
  for (const kind of new Set([...expected.malformedKinds.keys(), ...actual.malformedKinds.keys()])) {
    const want = expected.malformedKinds.get(kind);
    const got = actual.malformedKinds.get(kind);
    if (want !== got) differences.push(`malformed ${kind} ${format(want)} vs ${format(got)}`);
  }
  return differences;
}

/** Reads the line our GNU time format wrote, or null if there is none. */
export function parseTimeLine(stderr: string): ProcessUsage | null {
  const match = new RegExp(`${TIME_MARK} (\\d+) ([\\d.]+) ([\\d.]+) ([\\d.]+)`).exec(stderr);
  if (match === null) return null;
  return {
    peakRssBytes: Number(match[1]) * KIB,
    wallSeconds: Number(match[2]),
    cpuSeconds: Number(match[3]) + Number(match[4]),
  };
}

export interface CliOptions {
  /** Where results go: a file path; /dev/null when absent. */
  readonly stdout?: string;
  /** Flags for node itself (e.g. --cpu-prof); the CLI's dist/main.js is then run by `node`, or by this Node. */
  readonly nodeFlags?: readonly string[];
  /**
   * Path of the node binary that runs the CLI's dist/main.js (another Node major, side by side), with
   * `nodeFlags` if given. Without it or `nodeFlags`, the CLI runs as a user runs it: its bin script,
   * by the `node` on PATH.
   */
  readonly node?: string;
  readonly cwd?: string;
  /**
   * Called once the CLI's own process runs, with its pid (under GNU time,
   * the child of time's process), for a suite that watches it in /proc.
   */
  readonly onStart?: (pid: number) => void;
}

export function cliBuilt(): boolean {
  return existsSync(CLI_MAIN);
}

/** The command line that starts the CLI, before its own arguments. */
export function cliCommand(options: Pick<CliOptions, 'node' | 'nodeFlags'>): string[] {
  if (options.node === undefined && options.nodeFlags === undefined) return [CLI_BIN];
  return [options.node ?? process.execPath, ...(options.nodeFlags ?? []), CLI_MAIN];
}

/** Runs `uniqstream count ...args` to the end and returns its summary and usage. */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  if (!cliBuilt())
    throw new BenchError('NOT_BUILT', `${CLI_MAIN} is missing: build the CLI (${buildCommand('@uniqstream/cli')})`);
  const command = cliCommand(options);
  const timed = existsSync(GNU_TIME);
  const [file, ...rest] = timed ? [GNU_TIME, '-f', TIME_FORMAT, ...command] : command;
  const out = openSync(options.stdout ?? '/dev/null', 'w');
  let stderr = '';
  let code: number | null;
  try {
    code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(file!, [...rest, 'count', '--no-progress', ...args], {
        stdio: ['ignore', out, 'pipe'],
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      });
      // stdio[2] is 'pipe', so stderr is there.
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', resolve);
      if (options.onStart !== undefined && child.pid !== undefined) void announce(child.pid, timed, options.onStart);
    });
  } finally {
    closeSync(out);
  }
  if (code !== 0) {
    throw new BenchError(
      'PROCESS_FAILED',
      `uniqstream count ${args.join(' ')} exited with ${String(code)}: ${stderr.trim().slice(-500)}`,
    );
  }
  return { ...parseSummary(stderr), usage: timed ? parseTimeLine(stderr) : null };
}

/** GNU time forks the CLI at once; this long is plenty. */
const CHILD_WAIT_MS = 2000;
const CHILD_POLL_MS = 1;

/** Hands `onStart` the pid of the CLI's process: `pid` itself, or its child when GNU time wraps the CLI. */
async function announce(pid: number, timed: boolean, onStart: (pid: number) => void): Promise<void> {
  if (!timed) {
    onStart(pid);
    return;
  }
  const deadline = performance.now() + CHILD_WAIT_MS;
  while (performance.now() < deadline) {
    const child = childOf(pid);
    if (child !== undefined) {
      onStart(child);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, CHILD_POLL_MS));
  }
}

/**
 * Bench cases that each run the CLI once per run. A case's figure is the
 * CLI's own frames/s; the recorder keeps every run, so peak RSS and CPU
 * figures of the very same runs can be summarized beside it.
 */
export class CliCases {
  private readonly runs = new Map<string, CliRun[]>();

  case(name: string, args: readonly string[], options: CliOptions = {}): BenchCase {
    return {
      name,
      run: async () => {
        const result = await runCli(args, options);
        const list = this.runs.get(name) ?? [];
        list.push(result);
        this.runs.set(name, list);
        return result.framesPerSecond;
      },
    };
  }

  /** Every run of a case so far, warm-ups included. */
  all(name: string): readonly CliRun[] {
    return this.runs.get(name) ?? [];
  }

  last(name: string): CliRun | undefined {
    return this.all(name).at(-1);
  }

  /** `peak RSS 123 MB` for the last run, for progress lines. */
  describeLast(name: string): string {
    const usage = this.last(name)?.usage;
    return usage === undefined || usage === null ? '' : `peak RSS ${(usage.peakRssBytes / MB).toFixed(0)} MB`;
  }

  /** Peak RSS in MB of the measured runs (the last `runs` of the case), or null without GNU time. */
  peakRss(name: string, runs: number): Measurement | null {
    const values = this.measured(name, runs).map((r) => r.usage?.peakRssBytes);
    if (values.some((v) => v === undefined)) return null;
    return summarize(
      name,
      'MB',
      (values as number[]).map((v) => v / MB),
    );
  }

  /** Frames per CPU-second of the whole process, Node start-up included. */
  cpuRate(name: string, runs: number): Measurement | null {
    const values = this.measured(name, runs).map((r) => (r.usage === null ? undefined : r.frames / r.usage.cpuSeconds));
    if (values.some((v) => v === undefined)) return null;
    return summarize(name, 'frames/CPU-s', values as number[]);
  }

  private measured(name: string, runs: number): readonly CliRun[] {
    return this.all(name).slice(-runs);
  }
}
