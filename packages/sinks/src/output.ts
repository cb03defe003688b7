import { constants, createWriteStream, fstatSync, fsync, openSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { constants as zlibConstants, createGzip, type Gzip } from 'node:zlib';
import { openError, SinkError, writeError } from './errors.js';

/** Where a sink's text goes: ordered writes with backpressure. */
export interface TextOutput {
  /** Resolves once the output can take more (after 'drain' when it was full). */
  write(text: string): Promise<void>;
  /** Resolves when everything written so far has reached the OS (and disk, for files). */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Resolves when the output can take writes; absent when it can at once. */
  ready?(): Promise<void>;
}

export interface StreamOutputOptions {
  /** For messages, e.g. `stdout` or a file name. */
  readonly name: string;
  /** Whether close() ends the stream; stdout is only flushed. */
  readonly end: boolean;
  /** Called once when the output fails or its reader goes away. */
  readonly onClosed?: ((error: SinkError) => void) | undefined;
}

/**
 * Writes text to a Writable in order. A failure (EPIPE from `| head`
 * included) is caught from both the write callback and the 'error' event, so
 * it never becomes an uncaught exception; it rejects the next write or flush
 * with a SinkError instead, and calls onClosed.
 */
export class StreamOutput implements TextOutput {
  private failure: SinkError | undefined;
  private closed = false;
  /** Settles when the latest write has been handed to the OS. */
  private lastWrite: Promise<void> = Promise.resolve();
  private readonly onError = (error: unknown): void => this.fail(error);

  constructor(
    private readonly stream: Writable,
    private readonly options: StreamOutputOptions,
  ) {
    stream.on('error', this.onError);
  }

  get failed(): SinkError | undefined {
    return this.failure;
  }

  /** The stream holds more than its high-water mark: a writer in front of it should wait (drain()). */
  get needsDrain(): boolean {
    return this.stream.writableNeedDrain;
  }

  /** Resolves on 'drain', or when the stream fails or closes. */
  drain(): Promise<void> {
    return this.drained();
  }

  write(text: string | Uint8Array): Promise<void> {
    const refused = this.refusal();
    if (refused !== undefined) return Promise.reject(refused);
    const stream = this.stream;
    this.lastWrite = new Promise<void>((resolve) => {
      stream.write(text, (error) => {
        if (error) this.fail(error);
        resolve();
      });
    });
    // A pipe whose reader is gone fails inside write() (EPIPE destroys the
    // socket at once) but reports it on the next tick, and a caller writing in
    // a tight loop of resolved promises would never let that tick run.
    this.checkStream();
    if (!stream.writableNeedDrain) return this.settled();
    return this.drained().then(() => this.settled());
  }

  async flush(): Promise<void> {
    await this.lastWrite;
    const failure = this.failure;
    if (failure !== undefined) throw failure;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.options.end && this.failure === undefined) {
      await new Promise<void>((resolve) => {
        // 'close' comes after the file descriptor is closed; 'error' instead of it on failure.
        this.stream.once('close', resolve);
        this.stream.once('error', () => resolve());
        this.stream.end();
      });
    } else {
      await this.lastWrite;
    }
    // After a failure the listener stays: the dead stream may still report errors.
    if (this.failure === undefined) this.stream.off('error', this.onError);
    const failure = this.failure;
    if (failure !== undefined && failure.code !== 'CLOSED') throw failure;
  }

  private checkStream(): void {
    const stream = this.stream;
    if (stream.errored !== null) this.fail(stream.errored);
    else if (stream.destroyed) this.fail(new SinkError('CLOSED', `${this.options.name} was closed`));
  }

  private refusal(): SinkError | undefined {
    this.checkStream();
    if (this.failure !== undefined) return this.failure;
    if (this.closed) return new SinkError('CLOSED', `${this.options.name} sink is closed`);
    return undefined;
  }

  private settled(): Promise<void> {
    const failure = this.failure;
    return failure === undefined ? Promise.resolve() : Promise.reject(failure);
  }

  /** Resolves on 'drain', or when the stream fails or closes (then waiting longer is pointless). */
  private drained(): Promise<void> {
    const stream = this.stream;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        stream.off('drain', done);
        stream.off('close', done);
        stream.off('error', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
      stream.on('error', done);
    });
  }

  /** Records a failure seen elsewhere (e.g. by a compressor in front of the stream). */
  reportError(error: unknown): void {
    this.fail(error);
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = writeError(this.options.name, error);
    this.options.onClosed?.(this.failure);
  }
}

export interface FileOutputOptions {
  /** Compress with gzip (the default for names ending in `.gz`). */
  readonly gzip?: boolean;
  /** Add to the end of an existing file instead of replacing it. */
  readonly append?: boolean;
  /** fsync a regular file on flush() and close(), so flushed results survive a crash of the machine (default true). */
  readonly fsync?: boolean;
  readonly onClosed?: ((error: SinkError) => void) | undefined;
}

const GZIP_SUFFIX = '.gz';
/** How often to try again to open a named pipe that has no reader yet. */
const PIPE_READER_POLL_MS = 50;

/**
 * A file, plain or gzip. The file is opened at once, so a bad path fails
 * here with one clear line, not at the first result.
 *
 * Only a regular file is fsynced: a device (`/dev/null`) or a pipe has
 * nothing to make durable, and fsync refuses it (EINVAL). A named pipe is
 * opened when a reader has opened it (as a shell's `> pipe` would), waiting
 * on timers rather than in open(), which would block the whole process:
 * `ready()` resolves then, writes wait for it, and close() gives up waiting.
 */
export class FileOutput implements TextOutput {
  private out: StreamOutput | undefined;
  /** The open file, or a named pipe once its reader has come. */
  private readonly opened: Promise<StreamOutput>;
  private readonly gzip: Gzip | undefined;
  private fd: number | undefined;
  private readonly fsync: boolean;
  private readonly stopWaiting = new AbortController();
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly options: FileOutputOptions = {},
  ) {
    if (isNamedPipe(path)) {
      this.fsync = false;
      this.opened = openPipeForWriting(path, this.stopWaiting.signal).then((fd) =>
        this.attach(new Socket({ fd, readable: false, writable: true })),
      );
      // A close() before the reader came rejects it; whoever waits on it sees that.
      this.opened.catch(() => undefined);
    } else {
      let fd: number;
      try {
        fd = openSync(path, options.append === true ? 'a' : 'w');
      } catch (error) {
        throw openError(path, error);
      }
      this.fd = fd;
      this.fsync = (options.fsync ?? true) && fstatSync(fd).isFile();
      this.opened = Promise.resolve(this.attach(createWriteStream(path, { fd, autoClose: true })));
    }
    if (options.gzip ?? path.endsWith(GZIP_SUFFIX)) {
      const gzip = createGzip();
      // Compressed bytes go to the file by hand (not pipe) so flush() can
      // wait for the last of them to be written; in order, since callbacks
      // on one promise run in the order they were added.
      gzip.on('data', (chunk: Buffer) => {
        const out = this.out;
        if (out !== undefined) out.write(chunk).catch(() => {});
        else void this.opened.then((o) => o.write(chunk)).catch(() => {});
      });
      gzip.on(
        'error',
        (error) =>
          void this.opened.then(
            (o) => o.reportError(error),
            () => undefined,
          ),
      );
      this.gzip = gzip;
    }
  }

  /** Resolves when the output is open: at once, or for a named pipe when its reader has come. */
  async ready(): Promise<void> {
    await this.opened;
  }

  async write(text: string): Promise<void> {
    if (this.closed) throw new SinkError('CLOSED', `${this.path} sink is closed`);
    const out = this.out ?? (await this.opened);
    const gzip = this.gzip;
    if (gzip === undefined) return out.write(text);
    const failure = out.failed;
    if (failure !== undefined) throw failure;
    if (!gzip.write(text)) await once(gzip, 'drain');
    // The file is the slow end: wait for it as well, or memory would grow.
    if (out.needsDrain) await out.drain();
    const late = out.failed;
    if (late !== undefined) throw late;
  }

  async flush(): Promise<void> {
    const out = await this.opened;
    const gzip = this.gzip;
    if (gzip !== undefined) {
      // A sync flush ends the deflate block so what is on disk decompresses up to here.
      await new Promise<void>((resolve) => gzip.flush(zlibConstants.Z_SYNC_FLUSH, () => resolve()));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await out.flush();
    if (this.fsync && this.fd !== undefined) await syncFd(this.fd);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const out = this.out;
    if (out === undefined) {
      // A named pipe whose reader never came: nothing was written, nothing to end.
      this.stopWaiting.abort();
      this.gzip?.destroy();
      return;
    }
    const gzip = this.gzip;
    if (gzip !== undefined) {
      await new Promise<void>((resolve) => {
        gzip.once('end', resolve);
        gzip.end();
      });
    }
    if (this.fsync && this.fd !== undefined && out.failed === undefined) {
      await out.flush().catch(() => {});
      await syncFd(this.fd).catch(() => {});
    }
    await out.close();
  }

  private attach(stream: Writable): StreamOutput {
    this.out = new StreamOutput(stream, { name: this.path, end: true, onClosed: this.options.onClosed });
    return this.out;
  }
}

/** True when `path` is a named pipe (an existing one: other paths are files to create). */
function isNamedPipe(path: string): boolean {
  try {
    return statSync(path).isFIFO();
  } catch {
    return false;
  }
}

/**
 * Opens a named pipe for writing once a reader has opened it. With
 * O_NONBLOCK, open() answers at once (ENXIO while there is no reader), so
 * the wait is a timer that `signal` can end.
 */
async function openPipeForWriting(path: string, signal: AbortSignal): Promise<number> {
  for (;;) {
    try {
      return openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENXIO') throw openError(path, error);
    }
    try {
      await delay(PIPE_READER_POLL_MS, undefined, { signal });
    } catch {
      throw new SinkError('CLOSED', `${path} was closed before a reader opened it`);
    }
  }
}

function once(stream: Writable | Gzip, event: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      stream.off(event, done);
      stream.off('close', done);
      resolve();
    };
    stream.on(event, done);
    stream.on('close', done);
  });
}

function syncFd(fd: number): Promise<void> {
  return new Promise<void>((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));
}
