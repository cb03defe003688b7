import { pipeline } from 'node:stream';
import { constants as zlibConstants, createGunzip, type Gunzip } from 'node:zlib';
import { SourceError } from './errors.js';

/** The first two bytes of every gzip member (RFC 1952). */
const GZIP_MAGIC_1 = 0x1f;
const GZIP_MAGIC_2 = 0x8b;
export const GZIP_MAGIC_LENGTH = 2;

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
export function gunzipChunks(compressed: AsyncIterable<Buffer> | NodeJS.ReadableStream, chunkSize: number): Gunzip {
  const gunzip = createGunzip({ chunkSize: Math.max(chunkSize, zlibConstants.Z_MIN_CHUNK) });
  // Errors reach the reader of `gunzip`: pipeline destroys it with them.
  pipeline(compressed, gunzip, () => {});
  return gunzip;
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

export function gzipError(origin: string, compressedOffset: number, cause: unknown): SourceError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new SourceError(
    'GZIP_CORRUPT',
    `corrupt gzip data in ${origin} near compressed byte ${compressedOffset}: ${reason}`,
    { cause },
  );
}
