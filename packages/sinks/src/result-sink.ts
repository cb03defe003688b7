import type { Endpoint, ResultSink, WindowResult } from '@uniqstream/core';
import { SinkError } from './errors.js';
import { createKafkaResultSink, type KafkaSinkOptions } from './kafka-sink.js';
import { FileOutput, StreamOutput, type TextOutput } from './output.js';
import { formatResultLines } from './result-json.js';
import { tableHeader, tableRow } from './table.js';
import type { Writable } from 'node:stream';

export const RESULT_FORMATS = ['json', 'table'] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];

export interface StdoutSinkOptions {
  /** JSON lines (default) or a fixed-width table for people. */
  readonly format?: ResultFormat;
  /** IANA time zone of the table's times (default UTC); JSON carries unix seconds. */
  readonly timeZone?: string;
  /** Where to write instead of process.stdout (tests, embedding). */
  readonly stream?: Writable;
  /**
   * Called once when the reader went away (EPIPE, e.g. `| head`) or writing
   * failed. Later writes reject with a SinkError whose code is 'CLOSED'
   * (reader gone) or 'WRITE_FAILED'; the caller should stop quietly.
   */
  readonly onClosed?: (error: SinkError) => void;
}

export interface FileSinkOptions {
  readonly format?: ResultFormat;
  /** IANA time zone of the table's times (default UTC). */
  readonly timeZone?: string;
  /** Compress with gzip; default: when the path ends in `.gz`. */
  readonly gzip?: boolean;
  /** Add to an existing file (a new gzip member for .gz) instead of replacing it. */
  readonly append?: boolean;
  /** fsync on flush() and close() (default true). */
  readonly fsync?: boolean;
  readonly onClosed?: (error: SinkError) => void;
}

/** Results to stdout. close() flushes but leaves stdout open. */
export function createStdoutSink(options: StdoutSinkOptions = {}): ResultSink {
  const format = formatOf(options.format, options.timeZone);
  const stream = options.stream ?? process.stdout;
  const output = new StreamOutput(stream, {
    name: stream === process.stdout ? 'stdout' : 'output',
    end: false,
    onClosed: options.onClosed,
  });
  return new TextResultSink(output, format, options.timeZone);
}

/** Results to a file, created or replaced now (gzip when the name ends in `.gz`). */
export function createFileSink(path: string, options: FileSinkOptions = {}): ResultSink {
  const format = formatOf(options.format, options.timeZone);
  const output = new FileOutput(path, {
    ...(options.gzip === undefined ? {} : { gzip: options.gzip }),
    ...(options.append === undefined ? {} : { append: options.append }),
    ...(options.fsync === undefined ? {} : { fsync: options.fsync }),
    onClosed: options.onClosed,
  });
  return new TextResultSink(output, format, options.timeZone);
}

export interface ResultSinkOptions extends StdoutSinkOptions, FileSinkOptions {
  /** Used for kafka:// endpoints only. */
  readonly kafka?: KafkaSinkOptions;
}

/**
 * The result sink for a parsed output endpoint: stdout, a file, or a Kafka
 * topic (JSON only; connecting starts at once, see sinkReady).
 */
export function openResultSink(endpoint: Endpoint, options: ResultSinkOptions = {}): ResultSink {
  switch (endpoint.kind) {
    case 'stdout':
      return createStdoutSink(options);
    case 'file':
      return createFileSink(endpoint.path, options);
    case 'kafka':
      if (formatOf(options.format) !== 'json') {
        throw new SinkError(
          'BAD_OPTION',
          `results go to Kafka as JSON: --format ${String(options.format)} is for stdout and files`,
        );
      }
      return createKafkaResultSink(endpoint, options.kafka);
    case 'stdin':
      throw new SinkError('BAD_OPTION', 'stdin is an input, not an output for results');
  }
}

/** The format, checked before anything is opened (an unknown time zone of a table included). */
function formatOf(format: ResultFormat | undefined, timeZone?: string): ResultFormat {
  const value = format ?? 'json';
  if (!(RESULT_FORMATS as readonly string[]).includes(value)) {
    throw new SinkError('BAD_OPTION', `unknown format ${String(value)}: expected json or table`);
  }
  if (value === 'table') tableHeader(timeZone);
  return value;
}

class TextResultSink implements ResultSink {
  private headerWritten = false;

  constructor(
    private readonly output: TextOutput,
    private readonly format: ResultFormat,
    private readonly timeZone: string | undefined,
  ) {}

  write(results: readonly WindowResult[]): Promise<void> {
    if (results.length === 0) return Promise.resolve();
    return this.output.write(this.format === 'json' ? formatResultLines(results) : this.table(results));
  }

  /** A named pipe's output waits for its reader (sinkReady calls this). */
  async ready(): Promise<void> {
    await this.output.ready?.();
  }

  flush(): Promise<void> {
    return this.output.flush();
  }

  close(): Promise<void> {
    return this.output.close();
  }

  private table(results: readonly WindowResult[]): string {
    let text = '';
    if (!this.headerWritten) {
      text = tableHeader(this.timeZone);
      this.headerWritten = true;
    }
    for (const result of results) text += tableRow(result, this.timeZone);
    return text;
  }
}
