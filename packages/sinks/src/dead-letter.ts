import { isUtf8 } from 'node:buffer';
import type { Writable } from 'node:stream';
import type { DeadLetter, DeadLetterSink, Endpoint } from '@uniqstream/core';
import { SinkError } from './errors.js';
import { createKafkaDeadLetterSink, type KafkaSinkOptions } from './kafka-sink.js';
import { FileOutput, StreamOutput, type TextOutput } from './output.js';
import { jsonNumber } from './result-json.js';

/** Enough of a frame to see what is wrong with it, small enough to keep floods cheap. */
export const DEFAULT_DEAD_LETTER_FRAME_BYTES = 4 * 1024;
/** UTF-8 continuation bytes look like 0b10xxxxxx. */
const CONTINUATION_MASK = 0xc0;
const CONTINUATION_BITS = 0x80;
/** A UTF-8 character is at most 4 bytes, so a cut backs off at most 3. */
const MAX_UTF8_BACKOFF = 3;

export interface DeadLetterFormatOptions {
  /** Frames longer than this are cut (at a character boundary) and marked frameTruncated. */
  readonly maxFrameBytes?: number;
}

/**
 * One dead letter as a JSON line (without `\n`): reason, detail, origin,
 * partition, position, ts when known, then `frame` as text when the bytes are
 * valid UTF-8 or `frameBase64` when not, and `frameTruncated` when cut.
 */
export function formatDeadLetter(letter: DeadLetter, options: DeadLetterFormatOptions = {}): string {
  const cap = options.maxFrameBytes ?? DEFAULT_DEAD_LETTER_FRAME_BYTES;
  const frame = letter.frame;
  const truncated = frame.length > cap;
  const bytes = truncated ? frame.subarray(0, utf8Boundary(frame, cap)) : frame;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let text =
    '{"reason":' +
    JSON.stringify(letter.reason) +
    ',"detail":' +
    JSON.stringify(letter.detail) +
    ',"origin":' +
    JSON.stringify(letter.origin) +
    ',"partition":' +
    jsonNumber(letter.partition) +
    ',"position":' +
    jsonNumber(letter.position);
  if (letter.ts !== undefined) text += `,"ts":${jsonNumber(letter.ts)}`;
  text += isUtf8(view)
    ? `,"frame":${JSON.stringify(view.toString('utf8'))}`
    : `,"frameBase64":"${view.toString('base64')}"`;
  if (truncated) text += ',"frameTruncated":true';
  return `${text}}`;
}

/** Where to cut `bytes` near `cap` without splitting a UTF-8 character. */
function utf8Boundary(bytes: Uint8Array, cap: number): number {
  let cut = cap;
  while (cut > 0 && cap - cut < MAX_UTF8_BACKOFF && ((bytes[cut] ?? 0) & CONTINUATION_MASK) === CONTINUATION_BITS)
    cut--;
  return cut;
}

export interface DeadLetterSinkOptions extends DeadLetterFormatOptions {
  /** Where `stdout` writes instead of process.stdout (tests, embedding). */
  readonly stream?: Writable;
  /** fsync files on flush() and close() (default true). */
  readonly fsync?: boolean;
  /** Add to an existing file instead of replacing it. */
  readonly append?: boolean;
  /** Called once when the output's reader went away or writing failed. */
  readonly onClosed?: (error: SinkError) => void;
  /** Used for kafka:// endpoints only. */
  readonly kafka?: KafkaSinkOptions;
}

/**
 * Dead letters as JSON lines to stdout or a file (gzip when the name ends in
 * `.gz`), or as records to a Kafka topic (connecting starts at once, see sinkReady).
 */
export function createDeadLetterSink(endpoint: Endpoint, options: DeadLetterSinkOptions = {}): DeadLetterSink {
  const format: DeadLetterFormatOptions =
    options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes };
  switch (endpoint.kind) {
    case 'stdout': {
      const stream = options.stream ?? process.stdout;
      const name = stream === process.stdout ? 'stdout' : 'dead letter output';
      return new JsonLinesDeadLetterSink(
        new StreamOutput(stream, { name, end: false, onClosed: options.onClosed }),
        format,
      );
    }
    case 'file': {
      const output = new FileOutput(endpoint.path, {
        ...(options.fsync === undefined ? {} : { fsync: options.fsync }),
        ...(options.append === undefined ? {} : { append: options.append }),
        onClosed: options.onClosed,
      });
      return new JsonLinesDeadLetterSink(output, format);
    }
    case 'kafka':
      return createKafkaDeadLetterSink(endpoint, { ...options.kafka, ...format });
    case 'stdin':
      throw new SinkError('BAD_OPTION', 'stdin is an input, not an output for dead letters');
  }
}

class JsonLinesDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly output: TextOutput,
    private readonly format: DeadLetterFormatOptions,
  ) {}

  write(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return Promise.resolve();
    let text = '';
    for (const letter of letters) text += `${formatDeadLetter(letter, this.format)}\n`;
    return this.output.write(text);
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
}
