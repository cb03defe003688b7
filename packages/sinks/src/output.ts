import { createWriteStream, fsync, openSync, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { constants as zlibConstants, createGzip, type Gzip } from 'node:zlib';
import { openError, SinkError, writeError } from './errors.js';

/** Where a sink's text goes: ordered writes with backpressure. */
export interface TextOutput {
  /** Resolves once the output can take more (after 'drain' when it was full). */
  write(text: string): Promise<void>;
  /** Resolves when everything written so far has reached the OS (and disk, for files). */
  flush(): Promise<void>;
  close(): Promise<void>;
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
  /** fsync on flush() and close(), so flushed results survive a crash of the machine (default true). */
  readonly fsync?: boolean;
  readonly onClosed?: ((error: SinkError) => void) | undefined;
}

const GZIP_SUFFIX = '.gz';

/**
 * A file, plain or gzip. The file is opened at once, so a bad path fails
 * here with one clear line, not at the first result.
 */
export class FileOutput implements TextOutput {
  private readonly file: WriteStream;
  private readonly out: StreamOutput;
  private readonly gzip: Gzip | undefined;
  private readonly fd: number;
  private readonly fsync: boolean;
  private closed = false;

  constructor(
    private readonly path: string,
    options: FileOutputOptions = {},
  ) {
    let fd: number;
    try {
      fd = openSync(path, options.append === true ? 'a' : 'w');
    } catch (error) {
      throw openError(path, error);
    }
    this.fd = fd;
    this.fsync = options.fsync ?? true;
    this.file = createWriteStream(path, { fd, autoClose: true });
    this.out = new StreamOutput(this.file, { name: path, end: true, onClosed: options.onClosed });
    if (options.gzip ?? path.endsWith(GZIP_SUFFIX)) {
      const gzip = createGzip();
      // Compressed bytes go to the file by hand (not pipe) so flush() can
      // wait for the last of them to be written.
      gzip.on('data', (chunk: Buffer) => {
        this.out.write(chunk).catch(() => {});
      });
      gzip.on('error', (error) => this.out.reportError(error));
      this.gzip = gzip;
    }
  }

  async write(text: string): Promise<void> {
    const gzip = this.gzip;
    if (gzip === undefined) return this.out.write(text);
    const failure = this.out.failed;
    if (failure !== undefined) throw failure;
    if (this.closed) throw new SinkError('CLOSED', `${this.path} sink is closed`);
    if (!gzip.write(text)) await once(gzip, 'drain');
    // The file is the slow end: wait for it as well, or memory would grow.
    if (this.file.writableNeedDrain) await once(this.file, 'drain');
    const late = this.out.failed;
    if (late !== undefined) throw late;
  }

  async flush(): Promise<void> {
    const gzip = this.gzip;
    if (gzip !== undefined) {
      // A sync flush ends the deflate block so what is on disk decompresses up to here.
      await new Promise<void>((resolve) => gzip.flush(zlibConstants.Z_SYNC_FLUSH, () => resolve()));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await this.out.flush();
    if (this.fsync) await syncFd(this.fd);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const gzip = this.gzip;
    if (gzip !== undefined) {
      await new Promise<void>((resolve) => {
        gzip.once('end', resolve);
        gzip.end();
      });
    }
    if (this.fsync && this.out.failed === undefined) {
      await this.out.flush().catch(() => {});
      await syncFd(this.fd).catch(() => {});
    }
    await this.out.close();
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
