import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recycledChunks } from '../src/recycled-reader.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uniqstream-recycled-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('recycledChunks', () => {
  it(
    'yields the file from any start in chunks of at most size bytes, ' + 'each intact until the next is asked for',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ maxLength: 2000 }),
          fc.nat(),
          fc.integer({ min: 1, max: 300 }),
          async (bytes, at, size) => {
            const path = join(dir, 'data');
            await writeFile(path, bytes);
            const start = at % (bytes.length + 1);
            const copies: Buffer[] = [];
            for await (const chunk of recycledChunks(await open(path, 'r'), start, size)) {
              expect(chunk.length).toBeGreaterThan(0);
              expect(chunk.length).toBeLessThanOrEqual(size);
              copies.push(Buffer.from(chunk));
            }
            expect(Buffer.concat(copies)).toEqual(Buffer.from(bytes.subarray(start)));
          },
        ),
        { numRuns: 200 },
      );
    },
  );

  it('takes turns in two buffers: a chunk is overwritten two reads later', async () => {
    const path = join(dir, 'turns');
    await writeFile(path, 'aaaabbbbccccdddd');
    const seen: Buffer[] = [];
    for await (const chunk of recycledChunks(await open(path, 'r'), 0, 4)) seen.push(chunk);
    // The views share two buffers: what a caller kept past its turn now shows later bytes.
    expect(seen.map((c) => c.toString())).toEqual(['cccc', 'dddd', 'cccc', 'dddd']);
    expect(seen[0]!.buffer).toBe(seen[2]!.buffer);
  });

  it('closes the handle when the caller stops early', async () => {
    const path = join(dir, 'early');
    await writeFile(path, Buffer.alloc(10_000, 0x61));
    const handle = await open(path, 'r');
    for await (const chunk of recycledChunks(handle, 0, 100)) {
      expect(chunk.length).toBe(100);
      break;
    }
    expect(handle.fd).toBe(-1);
  });
});
