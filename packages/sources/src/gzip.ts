import { pipeline } from 'node:stream';
import { constants as zlibConstants, createGunzip, type Gunzip } from 'node:zlib';
import { SourceError } from './errors.js';

/** The first two bytes of every gzip member (RFC 1952). */
const GZIP_MAGIC_1 = 0x1f;
const GZIP_MAGIC_2 = 0x8b;
export const GZIP_MAGIC_LENGTH = 2;

/** Step of the replay that finds where zlib met the damage (see locateGzipDamage). */
export const GZIP_LOCATE_STEP_BYTES = 64;

export function isGzipHeader(head: Uint8Array): boolean {
  return head.length >= GZIP_MAGIC_LENGTH && head[0] === GZIP_MAGIC_1 && head[1] === GZIP_MAGIC_2;
}

/** What a peek at the first bytes of a stream found. */
export interface Peeked {
  readonly gzip: boolean;
  /** The whole stream again, the peeked bytes included. */
  readonly chunks: AsyncIterable<Buffer>;
}

/** Reads just enough of `raw` to tell gzip from plain, without losing a byte. */
export async function peekGzip(raw: AsyncIterable<Buffer>): Promise<Peeked> {
  const iterator = raw[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  let done = false;
  while (headBytes < GZIP_MAGIC_LENGTH) {
    const step = await iterator.next();
    if (step.done === true) {
      done = true;
      break;
    }
    head.push(step.value);
    headBytes += step.value.length;
  }
  const gzip = isGzipHeader(head.length === 1 ? head[0]! : Buffer.concat(head, headBytes));
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      yield* head;
      if (done) return;
      for (;;) {
        const step = await iterator.next();
        if (step.done === true) return;
        yield step.value;
      }
    } finally {
      if (!done) await iterator.return?.();
    }
  }
  return { gzip, chunks: replay() };
}

/**
 * Decompresses `compressed` (one or more concatenated gzip members) into
 * output chunks of up to `chunkSize` bytes. Large output chunks matter: with
 * zlib's default of 16 KiB, one 2 KB line in eight would span two chunks and
 * have to be copied.
 */
export function gunzipChunks(compressed: AsyncIterable<Uint8Array>, chunkSize: number): Gunzip {
  const gunzip = createGunzip({ chunkSize: Math.max(chunkSize, zlibConstants.Z_MIN_CHUNK) });
  // Errors reach the reader of `gunzip`: pipeline destroys it with them.
  pipeline(compressed, gunzip, () => {});
  return gunzip;
}

/**
 * Where zlib meets the damage in `compressed` (a gzip file read again from
 * its start). zlib tells how far it got (`bytesWritten`) only as it
 * finishes a piece of work, about a read chunk, so a failed run knows the
 * damage only to within a chunk. The replay gives a new inflater the first
 * `knownGood` bytes in whole chunks (the failed run got that far), then the
 * rest in steps of GZIP_LOCATE_STEP_BYTES until it fails: an error path
 * only, a few thousand small writes. Returns the offset of the step it
 * failed on, or the length of the input when the data ends too early;
 * undefined when it does not fail at all (the file changed meanwhile).
 */
export async function locateGzipDamage(
  compressed: AsyncIterable<Uint8Array>,
  knownGood: number,
): Promise<number | undefined> {
  const gunzip = createGunzip();
  let failure: unknown;
  gunzip.on('error', (error) => (failure ??= error));
  gunzip.resume();
  let at = 0;
  try {
    for await (const chunk of compressed) {
      for (let from = 0; from < chunk.length; ) {
        const step =
          at < knownGood
            ? Math.min(chunk.length - from, knownGood - at)
            : Math.min(chunk.length - from, GZIP_LOCATE_STEP_BYTES);
        await written(gunzip, chunk.subarray(from, from + step));
        if (failure !== undefined) return at;
        from += step;
        at += step;
      }
    }
    await new Promise<void>((resolve) => {
      gunzip.once('end', resolve);
      gunzip.once('error', () => resolve());
      gunzip.end();
    });
    return failure === undefined ? undefined : at;
  } finally {
    gunzip.destroy();
  }
}

/** Resolves once zlib has inflated `chunk`, or failed on it. */
function written(gunzip: Gunzip, chunk: Uint8Array): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      gunzip.off('error', done);
      resolve();
    };
    gunzip.once('error', done);
    gunzip.write(chunk, done);
  });
}

interface ZlibErrorLike {
  readonly code?: unknown;
  readonly message?: unknown;
}

/** True for errors raised by zlib itself (bad data), not by the file read. */
export function isZlibError(error: unknown): boolean {
  const code = (error as ZlibErrorLike | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** Where zlib met damaged data: from `offset`, within `span` compressed bytes. */
export interface GzipDamage {
  readonly offset: number;
  readonly span: number;
}

export function gzipError(origin: string, damage: GzipDamage, cause: unknown): SourceError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const where =
    damage.span <= GZIP_LOCATE_STEP_BYTES
      ? `near compressed byte ${damage.offset}`
      : `between compressed bytes ${damage.offset} and ${damage.offset + damage.span}`;
  return new SourceError('GZIP_CORRUPT', `corrupt gzip data in ${origin} ${where}: ${reason}`, { cause });
}
