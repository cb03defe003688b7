import { stat } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { type CountConfig, engineOptionsOf, parseEndpoint } from '@uniqstream/app-config';
import {
  CountingEngine,
  type DeadLetterSink,
  type Endpoint,
  type ResultSink,
  runPipeline,
  type Source,
  UniqstreamError,
} from '@uniqstream/core';
import { createDecoder } from '@uniqstream/frames';
import type { KafkaSecurity } from '@uniqstream/kafka';
import { createDeadLetterSink, type KafkaLog, openResultSink, sinkReady } from '@uniqstream/sinks';
import { checkReadable, type FileSource, openFileSource, openSource } from '@uniqstream/sources';
import {
  type CheckpointDamagedChoice,
  CheckpointDir,
  DEFAULT_CHECKPOINT_DAMAGED,
  identify,
  type Resume,
  rewindOutput,
  UnusableCheckpointError,
} from './checkpoint.js';
import { DEMO_DESCRIPTION, demoChunks } from './demo.js';
import { noValidFrameLine, progressLine, summaryLines } from './report.js';

/** 128 + the signal's number, as shells report a process stopped by it. */
const EXIT_INTERRUPTED = 130;
const EXIT_TERMINATED = 143;
const MS_PER_SECOND = 1000;

export interface CountRunOptions {
  readonly files: readonly string[];
  readonly config: CountConfig;
  readonly demo: boolean;
  /** Live progress on stderr: undefined = when stderr is a terminal. */
  readonly progress: boolean | undefined;
  readonly quiet: boolean;
  /** Kafka: how long to keep retrying a broker that cannot be reached at start (default: the sources' and sinks'
   * own, 30 s). */
  readonly kafkaWaitSeconds?: number;
  /** A damaged checkpoint: refuse to run (default), or count from the beginning. */
  readonly checkpointDamaged?: CheckpointDamagedChoice;
  /** Kafka: TLS and a SASL login for every Kafka endpoint of the run (input, results, dead letters). */
  readonly kafkaSecurity?: KafkaSecurity;
}

export interface Terminal {
  readonly stdout: Writable;
  readonly stderr: Writable & { readonly isTTY?: boolean };
  readonly stdin: Readable & { readonly isTTY?: boolean };
  readonly now: () => number;
  /** Aborted on the first Ctrl-C. */
  readonly signal: AbortSignal;
}

/** Runs `uniqstream count`; resolves to the exit code. */
export async function runCount(options: CountRunOptions, terminal: Terminal): Promise<number> {
  const { config } = options;
  const say = (line: string): void => {
    if (!options.quiet) terminal.stderr.write(`uniqstream: ${line}\n`);
  };

  // Kafka clients report trouble (a broker away, retrying) in one line each.
  const kafkaLog: KafkaLog = (level, message) => {
    if (level === 'error' || level === 'warn') say(`kafka: ${message}`);
  };
  const kafka = {
    log: kafkaLog,
    ...(options.kafkaWaitSeconds === undefined ? {} : { connectTimeoutMs: options.kafkaWaitSeconds * MS_PER_SECOND }),
    ...(options.kafkaSecurity === undefined ? {} : { security: options.kafkaSecurity }),
  };
  const input = await planInput(options, terminal, say);
  const engineOptions = engineOptionsOf(config);

  // --checkpoint: resume from the saved state and position, if any.
  let checkpoints: CheckpointDir | undefined;
  let resume: Resume | undefined;
  if (config.checkpoint !== undefined) {
    if (input.kind !== 'files' || input.paths.includes('-')) {
      throw usage(
        '--checkpoint needs input files: stdin and the demo cannot be read again from a position, and ' +
          'Kafka keeps its own (see uniqstream-consumer)',
      );
    }
    for (const path of input.paths) {
      if (!(await stat(path)).isFile())
        throw usage(
          `--checkpoint needs input files: ${path} is not a regular file, and a pipe or device cannot ` +
            `be read again from a position`,
        );
    }
    checkpoints = new CheckpointDir(config.checkpoint, await identify(input.paths));
    try {
      resume = await checkpoints.load(engineOptions);
    } catch (error) {
      if (error instanceof UniqstreamError && error.code === 'COMPLETE') {
        say(error.message);
        return 0;
      }
      if (
        error instanceof UnusableCheckpointError &&
        (options.checkpointDamaged ?? DEFAULT_CHECKPOINT_DAMAGED) === 'restart'
      ) {
        say(
          `warning: checkpoint ${error.file} ${error.problem}: counting from the beginning ` +
            `(--checkpoint-damaged restart)`,
        );
      } else {
        throw error;
      }
    }
  }
  const outputPath = plainOutputFile(config);
  if (resume !== undefined) {
    say(
      `resuming from the checkpoint in ${config.checkpoint ?? ''} at byte ${resume.position.toLocaleString('en-US')} ` +
        `of the input`,
    );
    if (outputPath !== null && resume.outputBytes !== null) await rewindOutput(outputPath, resume.outputBytes);
    else say('results written after that checkpoint are written again');
  }

  const source = openInput(input, config, terminal, kafka, resume?.position ?? 0);
  const decoder = createDecoder(config.parser, { maxFrameBytes: config.maxFrameBytes });
  const engine = resume?.engine ?? new CountingEngine(engineOptions);

  const stop = new AbortController();
  const onUserStop = (): void => stop.abort('signal');
  // A signal that came while the input was checked would not fire again.
  if (terminal.signal.aborted) onUserStop();
  else terminal.signal.addEventListener('abort', onUserStop, { once: true });
  let readerGone = false;
  const onClosed = (): void => {
    // The reader of our output went away (`| head`): stop quietly.
    readerGone = true;
    stop.abort('closed');
  };
  const sink = openSink(config, terminal, onClosed, kafka, resume !== undefined && outputPath !== null);
  let deadLetters: DeadLetterSink | undefined;
  try {
    deadLetters = openDeadLetters(config, terminal, onClosed, kafka);
  } catch (error) {
    // A Kafka sink is already connecting: left open, it would keep the process alive.
    await sink.close().catch(() => undefined);
    throw error;
  }

  const showProgress = options.progress ?? terminal.stderr.isTTY === true;
  const fileSource = 'bytesRead' in source ? (source as FileSource) : undefined;
  let progressShown = false;
  try {
    // A Kafka output that cannot be reached fails the run before any input is read; a named
    // pipe waits for its reader. A signal ends either wait.
    await Promise.race([
      Promise.all([sinkReady(sink), deadLetters ? sinkReady(deadLetters) : undefined]),
      aborted(stop.signal),
    ]);
    if (stop.signal.aborted && !readerGone) {
      say('stopped by a signal while waiting for the outputs, before reading any input');
      return exitCodeOfSignal(terminal.signal);
    }
    const summary = await runPipeline({
      source,
      decoder,
      engine,
      sink,
      ...(deadLetters ? { deadLetters } : {}),
      now: terminal.now,
      signal: stop.signal,
      idleTimeoutMs: config.idleTimeout * 1000,
      wallClockAfterMs: config.wallClockAfter * 1000,
      untilIdleMs: config.untilIdle * 1000,
      onSignal: 'flush-partial',
      ...(checkpoints ? { checkpointer: checkpoints.checkpointer(config.checkpointInterval * 1000, outputPath) } : {}),
      ...(showProgress
        ? {
            onProgress: (progress) => {
              progressShown = true;
              terminal.stderr.write(`\r${progressLine(progress, fileSource?.totalBytes, fileSource?.bytesRead)}\x1b[K`);
            },
          }
        : {}),
    }).catch((error: unknown) => {
      if (readerGone) return null;
      throw error;
    });
    if (progressShown) terminal.stderr.write('\r\x1b[K');
    if (summary === null) return 0;
    if (!options.quiet) for (const line of summaryLines(summary)) say(line);
    const noValidFrame = noValidFrameLine(summary);
    if (noValidFrame !== undefined) say(noValidFrame);
    if (summary.stopReason === 'signal' && !readerGone) return exitCodeOfSignal(terminal.signal);
    return 0;
  } finally {
    terminal.signal.removeEventListener('abort', onUserStop);
    await Promise.allSettled([source.close(), sink.close(), deadLetters?.close()]);
  }
}

function exitCodeOfSignal(signal: AbortSignal): number {
  return signal.reason === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED;
}

/** Resolves when `signal` aborts (never, if it does not). */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

interface KafkaClientOptions {
  readonly log: KafkaLog;
  readonly connectTimeoutMs?: number;
  readonly security?: KafkaSecurity;
}

type InputPlan =
  | { readonly kind: 'demo' }
  | { readonly kind: 'kafka'; readonly endpoint: Extract<Endpoint, { kind: 'kafka' }> }
  | { readonly kind: 'files'; readonly paths: readonly string[] };

/** What to read, checked before anything is opened. */
async function planInput(
  options: CountRunOptions,
  terminal: Terminal,
  say: (line: string) => void,
): Promise<InputPlan> {
  const { config } = options;
  if (options.demo) {
    if (options.files.length > 0 || config.from !== undefined)
      throw usage('--demo counts its own sample: give no files and no --from');
    say(DEMO_DESCRIPTION);
    return { kind: 'demo' };
  }
  let paths: string[] = [...options.files];
  if (config.from !== undefined) {
    if (paths.length > 0) throw usage('give input files or --from, not both');
    const endpoint = parseEndpoint(config.from, 'input');
    switch (endpoint.kind) {
      case 'stdin':
        paths = ['-'];
        break;
      case 'file':
        paths = [endpoint.path];
        break;
      case 'kafka':
        return { kind: 'kafka', endpoint };
      case 'stdout':
        throw usage('--from cannot be stdout');
    }
  }
  if (paths.length === 0) paths = ['-'];
  await checkReadable(paths);
  if (paths.includes('-') && terminal.stdin.isTTY === true)
    say('reading frames from stdin (end with Ctrl-D; --help for files and Kafka)');
  return { kind: 'files', paths };
}

function openInput(
  input: InputPlan,
  config: CountConfig,
  terminal: Terminal,
  kafka: KafkaClientOptions,
  resumeFrom: number,
): Source {
  switch (input.kind) {
    case 'demo':
      return openFileSource(['-'], { stdin: Readable.from(demoChunks()), maxFrameBytes: config.maxFrameBytes });
    case 'kafka':
      return openSource(input.endpoint, {
        kafka: { ...kafka, group: config.group, fromBeginning: config.fromBeginning, clientId: 'uniqstream' },
      });
    case 'files':
      return openFileSource(input.paths, { maxFrameBytes: config.maxFrameBytes, stdin: terminal.stdin, resumeFrom });
  }
}

/** The results file when it is a plain (not gzip) file, which a resume can cut back exactly. */
function plainOutputFile(config: CountConfig): string | null {
  const endpoint = parseEndpoint(config.to, 'output');
  return endpoint.kind === 'file' && !endpoint.path.endsWith('.gz') ? endpoint.path : null;
}

function openSink(
  config: CountConfig,
  terminal: Terminal,
  onClosed: () => void,
  kafka: KafkaClientOptions,
  append: boolean,
): ResultSink {
  const endpoint = parseEndpoint(config.to, 'output');
  return openResultSink(endpoint, {
    format: config.format,
    timeZone: config.timeZone,
    stream: terminal.stdout,
    onClosed,
    append,
    kafka,
  });
}

function openDeadLetters(
  config: CountConfig,
  terminal: Terminal,
  onClosed: () => void,
  kafka: KafkaClientOptions,
): DeadLetterSink | undefined {
  if (config.deadLetter === undefined) return undefined;
  const endpoint = parseEndpoint(config.deadLetter, 'output');
  if (endpoint.kind === 'stdout' && parseEndpoint(config.to, 'output').kind === 'stdout') {
    throw usage('results already go to stdout: send dead letters to a file (--dead-letter file:PATH)');
  }
  return createDeadLetterSink(endpoint, { stream: terminal.stdout, onClosed, kafka });
}

function usage(message: string): UniqstreamError {
  return new UniqstreamError('USAGE', message);
}
