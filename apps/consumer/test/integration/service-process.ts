import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testBootstrap, TestKafka } from '@uniqstream/kafka-local';
import { expect } from 'vitest';

/** The tests' own client; CONSUMER_IT_KEEP=1 leaves the topics and groups of the runs for a look after a failure. */
export function testKafka(): TestKafka {
  return new TestKafka({ clientId: 'consumer-it', keep: process.env.CONSUMER_IT_KEEP === '1' });
}

/** The real binary, as an operator runs it. */
const BIN = fileURLToPath(new URL('../../bin/uniqstream-consumer', import.meta.url));

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Every instance's stderr also goes here, one file per process, for a look after a failure. */
const LOG_DIR = join(tmpdir(), 'uniqstream-consumer-it');

/** One running instance of the service, its JSON log lines kept. */
export class ServiceProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  private text = '';
  private readonly waiters: (() => void)[] = [];

  /** Where this instance's stderr is copied. */
  readonly logFile: string;

  constructor(args: readonly string[], name: string, env: Readonly<Record<string, string>> = {}) {
    mkdirSync(LOG_DIR, { recursive: true });
    this.child = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    this.logFile = join(LOG_DIR, `${name}-${this.child.pid}.log`);
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      appendFileSync(this.logFile, chunk);
      this.text += chunk;
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  stderr(): string {
    return this.text;
  }

  /** The JSON log lines so far (anything else on stderr would fail the parse: logs are JSON only). */
  logs(): LogLine[] {
    return this.text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as LogLine);
  }

  /** Resolves with the first log line that matches, failing after `timeoutMs` or when the process exits. */
  async waitForLog(match: (line: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> {
    const deadline = performance.now() + timeoutMs;
    let gone = false;
    void this.exited.then(() => {
      gone = true;
      for (const wake of this.waiters.splice(0)) wake();
    });
    for (;;) {
      const found = this.logs().find(match);
      if (found !== undefined) return found;
      if (gone) throw new Error(`the service exited before the expected log line; stderr:\n${this.text.slice(-3000)}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no such log line within ${timeoutMs} ms; stderr:\n${this.text.slice(-3000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Where the instance serves /healthz, /readyz and /metrics (run with --http-port 0: from its log). */
  async httpBase(): Promise<string> {
    const line = await this.waitForLog((l) => l.msg.startsWith('serving /healthz'));
    const address = line.address as { address: string; port: number };
    return `http://${address.address}:${address.port}`;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** SIGTERM, then the exit; SIGKILL if it has not stopped within `timeoutMs`. */
  async stop(timeoutMs = 60_000): Promise<Exit> {
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface RunTopics {
  readonly input: string;
  readonly results: string;
  readonly group: string;
}

/** Topics a run with `group` creates (default names). */
export function topicsOf(group: string): { readonly partials: string; readonly checkpoints: string } {
  return { partials: `${group}.partials`, checkpoints: `${group}.checkpoints` };
}

/** The flags of a test run: short intervals and timeouts so that the 2-core machine gets through quickly. */
export function serviceArgs(run: RunTopics, extra: readonly string[] = [], bootstrap = testBootstrap()): string[] {
  return [
    '--from',
    `kafka://${bootstrap}/${run.input}`,
    '--to',
    `kafka://${bootstrap}/${run.results}`,
    '--group',
    run.group,
    '--from-beginning',
    '--checkpoint-interval',
    '1',
    '--idle-timeout',
    '2',
    '--session-timeout',
    '6',
    '--http-port',
    '0',
    '--log-level',
    'debug',
    ...extra,
  ];
}

const POLL_MS = 500;
/** Polls in a row with nothing left to do before a run counts as done. */
const QUIET_POLLS = 4;

/**
 * Waits until a run has nothing left to do: every input partition's
 * committed offset is at its end (counted and checkpointed), the merge has
 * read the partials topic to its end, and the results topic has not grown
 * for a few polls.
 */
export interface DoneOptions {
  readonly timeoutMs?: number;
  /**
   * The partials topic is written in transactions (exactly-once): its end
   * offset counts commit markers the merge never reads, so the merge is
   * done once its position stops moving.
   */
  readonly transactional?: boolean;
}

export async function waitUntilDone(kafka: TestKafka, run: RunTopics, options: DoneOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 180_000;
  const { partials } = topicsOf(run.group);
  const deadline = performance.now() + timeoutMs;
  let quiet = 0;
  let lastResults = -1;
  let lastMerged: number | undefined;
  let state = '';
  while (quiet < QUIET_POLLS) {
    if (performance.now() > deadline) throw new Error(`run ${run.group} not done after ${timeoutMs} ms: ${state}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const topics = new Set(await kafka.listTopics());
    if (!topics.has(partials) || !topics.has(run.results)) {
      state = 'topics not created yet';
      continue;
    }
    const [ends, committed, partialEnds, mergeCommitted, resultEnds] = await Promise.all([
      kafka.endOffsets(run.input),
      kafka.committed(run.group, run.input),
      kafka.endOffsets(partials),
      kafka.committed(`${run.group}.merge`, partials),
      kafka.endOffsets(run.results),
    ]);
    const counted = [...ends].every(([p, end]) => committed.get(p) === end);
    const merged =
      options.transactional === true
        ? mergeCommitted.get(0) !== undefined && mergeCommitted.get(0) === lastMerged
        : mergeCommitted.get(0) === partialEnds.get(0);
    lastMerged = mergeCommitted.get(0);
    const results = resultEnds.get(0) ?? 0;
    state =
      `input ${JSON.stringify([...ends])} committed ${JSON.stringify([...committed])}, partials ` +
      `end ${partialEnds.get(0)} merged to ${mergeCommitted.get(0)}, results ${results}`;
    quiet = counted && merged && results === lastResults && results > 0 ? quiet + 1 : 0;
    lastResults = results;
  }
}

/** Stops (SIGTERM) every instance still running; each must exit 0, except those killed with SIGKILL on purpose. */
export async function stopAllCleanly(processes: readonly ServiceProcess[]): Promise<void> {
  const exits = await Promise.all(
    processes.map((p) => (p.child.exitCode === null && p.child.signalCode === null ? p.stop() : p.exited)),
  );
  for (const [i, exit] of exits.entries()) {
    if (exit.signal !== 'SIGKILL') expect(exit, processes[i]!.stderr().slice(-3000)).toEqual({ code: 0, signal: null });
  }
}

/** The service's own line for a group join (the Kafka source says it joined too, without the fields). */
export function isJoin(line: LogLine): line is LogLine & { readonly partitions: number[] } {
  return line.msg.startsWith('joined group') && Array.isArray(line.partitions);
}

/** A group join that gave the instance partitions. */
export function holdsPartitions(line: LogLine): boolean {
  return isJoin(line) && line.partitions.length > 0;
}
