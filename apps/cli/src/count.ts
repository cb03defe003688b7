import { Readable, type Writable } from 'node:stream';
import {
  CountingEngine,
  engineOptionsOf,
  parseEndpoint,
  runPipeline,
  UniqstreamError,
  type CountConfig,
  type DeadLetterSink,
  type ResultSink,
  type Source,
} from '@uniqstream/core';
import { createDecoder } from '@uniqstream/frames';
import { createDeadLetterSink, openResultSink, sinkReady, type KafkaLog } from '@uniqstream/sinks';
import { checkReadable, openFileSource, openSource, type FileSource } from '@uniqstream/sources';
import { demoChunks, DEMO_DESCRIPTION } from './demo.js';
import { progressLine, summaryLines } from './report.js';

export interface CountRunOptions {
  readonly files: readonly string[];
  readonly config: CountConfig;
  readonly demo: boolean;
  /** Live progress on stderr: undefined = when stderr is a terminal. */
  readonly progress: boolean | undefined;
  readonly quiet: boolean;
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
  const source = await openInput(options, terminal, say, kafkaLog);
  const decoder = createDecoder(config.parser, { maxFrameBytes: config.maxFrameBytes });
  const engine = new CountingEngine(engineOptionsOf(config));

  const stop = new AbortController();
  const onUserStop = (): void => stop.abort('signal');
  terminal.signal.addEventListener('abort', onUserStop, { once: true });
  let readerGone = false;
  const onClosed = (): void => {
    // The reader of our output went away (`| head`): stop quietly.
    readerGone = true;
    stop.abort('closed');
  };
  const sink = openSink(config, terminal, onClosed, kafkaLog);
  let deadLetters: DeadLetterSink | undefined;
  try {
    deadLetters = openDeadLetters(config, terminal, onClosed, kafkaLog);
  } catch (error) {
    // A Kafka sink is already connecting: left open, it would keep the process alive.
    await sink.close().catch(() => undefined);
    throw error;
  }

  const showProgress = options.progress ?? terminal.stderr.isTTY === true;
  const fileSource = 'bytesRead' in source ? (source as FileSource) : undefined;
  let progressShown = false;
  try {
    // A Kafka output that cannot be reached fails the run before any input is read.
    await Promise.all([sinkReady(sink), deadLetters ? sinkReady(deadLetters) : undefined]);
    const summary = await runPipeline({
      source,
      decoder,
      engine,
      sink,
      ...(deadLetters ? { deadLetters } : {}),
      now: terminal.now,
      signal: stop.signal,
      idleTimeoutMs: config.idleTimeout * 1000,
      untilIdleMs: config.untilIdle * 1000,
      onSignal: 'flush-partial',
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
    if (summary.stopReason === 'signal' && !readerGone) return 130;
    return 0;
  } finally {
    terminal.signal.removeEventListener('abort', onUserStop);
    await Promise.allSettled([source.close(), sink.close(), deadLetters?.close()]);
  }
}

async function openInput(options: CountRunOptions, terminal: Terminal, say: (line: string) => void, kafkaLog: KafkaLog): Promise<Source> {
  const { config } = options;
  if (options.demo) {
    if (options.files.length > 0 || config.from !== undefined) throw usage('--demo counts its own sample: give no files and no --from');
    say(DEMO_DESCRIPTION);
    return openFileSource(['-'], { stdin: Readable.from(demoChunks()), maxFrameBytes: config.maxFrameBytes });
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
        return openSource(endpoint, {
          kafka: { group: config.group, fromBeginning: config.fromBeginning, clientId: 'uniqstream', log: kafkaLog },
        });
      case 'stdout':
        throw usage('--from cannot be stdout');
    }
  }
  if (paths.length === 0) paths = ['-'];
  await checkReadable(paths);
  if (paths.includes('-') && terminal.stdin.isTTY === true) say('reading frames from stdin (end with Ctrl-D; --help for files and Kafka)');
  return openFileSource(paths, { maxFrameBytes: config.maxFrameBytes, stdin: terminal.stdin });
}

function openSink(config: CountConfig, terminal: Terminal, onClosed: () => void, kafkaLog: KafkaLog): ResultSink {
  const endpoint = parseEndpoint(config.to, 'output');
  return openResultSink(endpoint, { format: config.format, stream: terminal.stdout, onClosed, kafka: { log: kafkaLog } });
}

function openDeadLetters(config: CountConfig, terminal: Terminal, onClosed: () => void, kafkaLog: KafkaLog): DeadLetterSink | undefined {
  if (config.deadLetter === undefined) return undefined;
  const endpoint = parseEndpoint(config.deadLetter, 'output');
  if (endpoint.kind === 'stdout' && parseEndpoint(config.to, 'output').kind === 'stdout') {
    throw usage('results already go to stdout: send dead letters to a file (--dead-letter file:PATH)');
  }
  return createDeadLetterSink(endpoint, { stream: terminal.stdout, onClosed, kafka: { log: kafkaLog } });
}

export function usage(message: string): UniqstreamError {
  return new UniqstreamError('USAGE', message);
}
