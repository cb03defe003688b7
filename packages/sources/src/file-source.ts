import { constants, createReadStream, statSync, type Stats } from 'node:fs';
import { access, open, stat, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { FrameBatch, Source } from '@uniqstream/core';
import { fileError, SourceError } from './errors.js';
import {
  GZIP_LOCATE_STEP_BYTES,
  GZIP_MAGIC_LENGTH,
  gunzipChunks,
  gzipError,
  isGzipHeader,
  isZlibError,
  locateGzipDamage,
  peekGzip,
  type GzipDamage,
} from './gzip.js';
import { recycledChunks } from './recycled-reader.js';
import { openSpecialFile } from './special-file.js';
import { LineSplitter } from './splitter.js';

const KIB = 1024;
const MIB = 1024 * KIB;
/** Enough for any real frame (about 2 KB) with a wide margin. */
export const DEFAULT_MAX_FRAME_BYTES = 1 * MIB;
export const DEFAULT_BATCH_FRAMES = 4096;
/** Measured against 256 KiB and 4 MiB by the `split` benchmark (see README). */
export const DEFAULT_HIGH_WATER_MARK = 1 * MIB;
export const STDIN_PATH = '-';

export interface FileSourceOptions {
  /** Most frames per batch (default 4096); a batch also never spans two chunks. */
  readonly batchFrames?: number;
  /** Frames longer than this are cut to maxFrameBytes + 1 bytes (default 1 MiB). */
  readonly maxFrameBytes?: number;
  /**
   * A global position from an earlier batch's `next`: that many bytes of
   * (decompressed) input are skipped, across files, before splitting starts.
   */
  readonly resumeFrom?: number;
  /** Aborting ends iteration quietly after the current batch. */
  readonly signal?: AbortSignal;
  /** Bytes per read from a file, and per decompressed chunk (default 1 MiB). */
  readonly highWaterMark?: number;
  /** What `-` reads (default `process.stdin`); for tests and embedding. */
  readonly stdin?: Readable;
}

/** A Source over files and stdin, with what a progress display needs. */
export interface FileSource extends Source {
  /** Bytes consumed so far as stored (compressed for gzip), bytes skipped by resumeFrom included. */
  readonly bytesRead: number;
  /** Sum of the input sizes as stored, when every input is a regular file. */
  readonly totalBytes: number | undefined;
}

/**
 * Opens `paths` in order as one source (`-` is stdin; no paths means stdin).
 * Nothing is read until iteration starts, and a missing file is reported
 * when iteration reaches it; call `checkReadable` first to fail early.
 */
export function openFileSource(paths: readonly string[], options: FileSourceOptions = {}): FileSource {
  return new FileSourceImpl(paths.length === 0 ? [STDIN_PATH] : [...paths], options);
}

/**
 * Fails with the first input that cannot be read (missing, unreadable, a
 * directory). Named pipes, devices and sockets are checked for permission
 * only: opening a pipe waits for its writer, and closing it again would
 * throw away what the writer sent (and kill the writer with SIGPIPE).
 */
export async function checkReadable(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    if (path === STDIN_PATH) continue;
    try {
      const stats = await stat(path);
      if (stats.isDirectory()) throw new SourceError('FILE_UNREADABLE', `cannot read ${path}: it is a directory`);
      if (!stats.isFile()) {
        await access(path, constants.R_OK);
        continue;
      }
      // open() can refuse what access() allows (ACLs, mandatory access control).
      const handle = await open(path, 'r');
      await handle.close();
    } catch (error) {
      throw fileError(path, error);
    }
  }
}

interface Closable {
  destroy(error?: Error): unknown;
}

/** One input opened and ready to split. */
interface OpenedInput {
  readonly chunks: AsyncIterable<Buffer>;
  /** Where splitting starts: a seek skips bytes without reading them. */
  readonly seekedTo: number;
  /** Gzip only: where the compressed data is damaged, for the message of a zlib error. */
  readonly damage?: () => Promise<GzipDamage>;
}

interface SkippedInput {
  readonly skippedBytes: number;
}

class FileSourceImpl implements FileSource {
  readonly name: string;
  readonly totalBytes: number | undefined;
  private readonly paths: readonly string[];
  private readonly batchFrames: number;
  private readonly maxFrameBytes: number;
  private readonly resumeFrom: number;
  private readonly highWaterMark: number;
  private readonly signal: AbortSignal | undefined;
  private readonly stdin: Readable | undefined;
  private started = false;
  private closed = false;
  /** The signals of the iteration under way, combined. */
  private abort: AbortSignal | undefined;
  /** Bytes of inputs already finished, plus bytes read of the current one. */
  private doneBytes = 0;
  private currentBytes = 0;
  private readonly open = new Set<Closable>();

  constructor(paths: readonly string[], options: FileSourceOptions) {
    this.paths = paths;
    this.batchFrames = positiveInteger('batchFrames', options.batchFrames ?? DEFAULT_BATCH_FRAMES);
    this.maxFrameBytes = positiveInteger('maxFrameBytes', options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    this.highWaterMark = positiveInteger('highWaterMark', options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK);
    const resumeFrom = options.resumeFrom ?? 0;
    if (!Number.isSafeInteger(resumeFrom) || resumeFrom < 0) {
      throw new SourceError('BAD_OPTION', `resumeFrom must be a position (an integer >= 0), got ${resumeFrom}`);
    }
    this.resumeFrom = resumeFrom;
    this.signal = options.signal;
    this.stdin = options.stdin;
    if (paths.filter((p) => p === STDIN_PATH).length > 1) {
      throw new SourceError('BAD_OPTION', 'stdin (-) can be read only once');
    }
    this.name = paths.map((p) => (p === STDIN_PATH ? 'stdin' : `file:${p}`)).join(', ');
    this.totalBytes = sizeOfAll(paths);
  }

  get bytesRead(): number {
    return this.doneBytes + this.currentBytes;
  }

  async *batches(signal?: AbortSignal): AsyncGenerator<FrameBatch> {
    if (this.started) throw new SourceError('BAD_STATE', `${this.name} can be iterated only once`);
    this.started = true;
    const signals = [this.signal, signal].filter((s): s is AbortSignal => s !== undefined);
    const abort = signals.length === 0 ? undefined : AbortSignal.any(signals);
    this.abort = abort;
    const onAbort = (): void => this.destroyOpen();
    abort?.addEventListener('abort', onAbort);
    try {
      let position = 0;
      let skip = this.resumeFrom;
      for (const path of this.paths) {
        if (this.stopped(abort)) return;
        let input: OpenedInput | SkippedInput;
        try {
          input = await this.openInput(path, skip);
        } catch (error) {
          // A stop while waiting for a pipe's first bytes ends the wait with an error.
          if (this.stopped(abort)) return;
          throw error;
        }
        if ('skippedBytes' in input) {
          this.doneBytes += input.skippedBytes;
          position += input.skippedBytes;
          skip -= input.skippedBytes;
          continue;
        }
        position += input.seekedTo;
        skip -= input.seekedTo;
        const splitter = new LineSplitter({
          origin: path,
          batchFrames: this.batchFrames,
          maxFrameBytes: this.maxFrameBytes,
          startPosition: position,
          // After a seek the line number is unknown: counting would mean reading.
          startLine: input.seekedTo > 0 ? undefined : 1,
          skipBytes: skip,
        });
        try {
          for await (const chunk of input.chunks) {
            const batches = splitter.push(chunk);
            for (const batch of batches) {
              yield batch;
              if (this.stopped(abort)) return;
            }
          }
        } catch (error) {
          if (this.stopped(abort)) return;
          if (input.damage !== undefined && isZlibError(error))
            throw gzipError(displayName(path), await input.damage(), error);
          throw fileError(displayName(path), error);
        }
        if (this.stopped(abort)) return;
        const last = splitter.end();
        if (last !== undefined) yield last;
        position = splitter.position;
        skip = splitter.skipRemaining;
        this.finishInput();
      }
    } finally {
      abort?.removeEventListener('abort', onAbort);
      this.destroyOpen();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.destroyOpen();
  }

  private stopped(abort: AbortSignal | undefined = this.abort): boolean {
    return this.closed || abort?.aborted === true;
  }

  /** Registers a stream to destroy on a stop; one opened after the stop is destroyed at once. */
  private track(stream: Closable): void {
    this.open.add(stream);
    if (this.stopped()) this.destroyOpen();
  }

  private finishInput(): void {
    this.doneBytes += this.currentBytes;
    this.currentBytes = 0;
    this.open.clear();
  }

  private destroyOpen(): void {
    for (const stream of this.open) stream.destroy();
    this.open.clear();
  }

  /** Opens one input, or skips a regular file that lies wholly before `skip`. */
  private async openInput(path: string, skip: number): Promise<OpenedInput | SkippedInput> {
    if (path === STDIN_PATH) return this.openStream(this.stdinStream());
    let stats: Stats;
    try {
      // stat, not open: opening a named pipe would wait for its writer in a pool thread.
      stats = await stat(path);
      if (stats.isDirectory()) throw new SourceError('FILE_UNREADABLE', `cannot read ${path}: it is a directory`);
      if (!stats.isFile()) {
        const stream = await openSpecialFile(path, stats, {
          highWaterMark: this.highWaterMark,
          stdin: () => this.stdinStream(),
        });
        return await this.openStream(stream);
      }
    } catch (error) {
      throw fileError(path, error);
    }
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw fileError(path, error);
    }
    try {
      const stat = await handle.stat();
      const head = Buffer.alloc(GZIP_MAGIC_LENGTH);
      const { bytesRead } = await handle.read(head, 0, GZIP_MAGIC_LENGTH, 0);
      const gzip = isGzipHeader(head.subarray(0, bytesRead));
      // Plain bytes before resumeFrom are skipped by seeking; gzip must be inflated to skip.
      const seekedTo = gzip ? 0 : Math.min(skip, stat.size);
      if (!gzip && skip >= stat.size) {
        await handle.close();
        return { skippedBytes: stat.size };
      }
      this.currentBytes = seekedTo;
      // A regular file never blocks a read for long, so nothing needs destroying on abort: the
      // batch loop stops at the next batch, and ending the iteration closes the handle.
      if (!gzip)
        return { chunks: this.countBytes(recycledChunks(handle, seekedTo, this.highWaterMark), seekedTo), seekedTo };
      const raw = handle.createReadStream({ start: seekedTo, highWaterMark: this.highWaterMark });
      this.track(raw);
      const counted = this.countBytes(raw, seekedTo);
      const gunzip = gunzipChunks(counted, this.highWaterMark);
      this.track(gunzip);
      const highWaterMark = this.highWaterMark;
      // A file can be read again: a replay finds the damaged spot to the step (see locateGzipDamage).
      const damage = async (): Promise<GzipDamage> => {
        const knownGood = gunzip.bytesWritten;
        const found = await locateGzipDamage(createReadStream(path, { highWaterMark }), knownGood).catch(
          () => undefined,
        );
        return found === undefined
          ? { offset: knownGood, span: this.currentBytes - knownGood }
          : { offset: found, span: GZIP_LOCATE_STEP_BYTES };
      };
      return { chunks: gunzip, seekedTo, damage };
    } catch (error) {
      await handle.close().catch(() => {});
      throw fileError(path, error);
    }
  }

  private stdinStream(): Readable {
    return this.stdin ?? process.stdin;
  }

  /** A stream read once from its start: stdin, a pipe, a device. */
  private async openStream(raw: Readable): Promise<OpenedInput> {
    this.track(raw);
    const peeked = await peekGzip(this.countBytes(raw, 0));
    if (!peeked.gzip) return { chunks: peeked.chunks, seekedTo: 0 };
    const gunzip = gunzipChunks(peeked.chunks, this.highWaterMark);
    this.track(gunzip);
    // A stream cannot be read again: zlib got as far as bytesWritten, and failed before the end of what it was given.
    return {
      chunks: gunzip,
      seekedTo: 0,
      damage: async () => ({ offset: gunzip.bytesWritten, span: this.currentBytes - gunzip.bytesWritten }),
    };
  }

  private async *countBytes(raw: AsyncIterable<unknown>, from: number): AsyncGenerator<Buffer> {
    let read = from;
    for await (const chunk of raw) {
      const buffer = asBuffer(chunk);
      read += buffer.length;
      this.currentBytes = read;
      yield buffer;
    }
  }
}

/**
 * A caller's stdin may be an object-mode stream of Uint8Arrays or strings
 * (e.g. Readable.from of a generator); Buffer views keep `indexOf` native.
 */
function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new SourceError('READ_FAILED', `expected bytes from the input, got ${typeof chunk}`);
}

function displayName(path: string): string {
  return path === STDIN_PATH ? 'stdin' : path;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new SourceError('BAD_OPTION', `${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/** Sum of the sizes when every input is a regular file that exists now. */
function sizeOfAll(paths: readonly string[]): number | undefined {
  let total = 0;
  for (const path of paths) {
    if (path === STDIN_PATH) return undefined;
    try {
      const stat = statSync(path);
      if (!stat.isFile()) return undefined;
      total += stat.size;
    } catch {
      return undefined;
    }
  }
  return total;
}
