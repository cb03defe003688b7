import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gunzipChunks, isGzipHeader, isZlibError, peekGzip } from '../src/gzip.js';

async function concat(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

/** `bytes` cut into pieces of 1..size bytes. */
function pieces(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = sizes.length === 0 ? bytes.length : sizes[i % sizes.length]!;
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

describe('isGzipHeader', () => {
  it('knows gzip by its two magic bytes', () => {
    expect(isGzipHeader(gzipSync('x'))).toBe(true);
    expect(isGzipHeader(Buffer.from('{"uid":1}'))).toBe(false);
    expect(isGzipHeader(Buffer.from([0x1f]))).toBe(false);
    expect(isGzipHeader(Buffer.alloc(0))).toBe(false);
  });
});

describe('peekGzip', () => {
  it('tells gzip from plain however the first bytes are chunked, and loses no byte', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 50 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 5 }),
        async (data, zip, sizes) => {
          const bytes = zip ? gzipSync(data) : Buffer.from(data);
          const peeked = await peekGzip(Readable.from(pieces(bytes, sizes)));
          expect(peeked.gzip).toBe(bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b);
          expect(await concat(peeked.chunks)).toEqual(bytes);
        },
      ),
    );
  });
});

describe('gunzipChunks', () => {
  it('inflates concatenated members fed in any pieces', async () => {
    const text = Buffer.from('first member\n'.repeat(100) + 'second member\n'.repeat(100));
    const zipped = Buffer.concat([gzipSync(text.subarray(0, 1300)), gzipSync(text.subarray(1300))]);
    const out = await concat(gunzipChunks(Readable.from(pieces(zipped, [7, 1, 64])), 64));
    expect(out).toEqual(text);
  });

  it('fails with a zlib error on corrupt data', async () => {
    const zipped = gzipSync('x'.repeat(1000));
    zipped[12] = zipped[12]! ^ 0xff;
    const failure = await concat(gunzipChunks(Readable.from([zipped]), 1024)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isZlibError(failure)).toBe(true);
    expect(isZlibError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false);
  });
});
