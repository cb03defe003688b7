import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameBatch } from '@uniqstream/core';
import { checkReadable, openFileSource, SourceError, type FileSourceOptions } from '../src/index.js';
import { GZIP_LOCATE_STEP_BYTES } from '../src/gzip.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uniqstream-sources-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fileCount = 0;
async function file(content: Buffer | string, suffix = '.jsonl'): Promise<string> {
  const path = join(dir, `f${fileCount++}${suffix}`);
  await writeFile(path, content);
  return path;
}

interface Seen {
  readonly frames: string[];
  readonly positions: number[];
  readonly batches: FrameBatch[];
}

async function readAll(paths: readonly string[], options: FileSourceOptions = {}): Promise<Seen> {
  const source = openFileSource(paths, options);
  const seen: Seen = { frames: [], positions: [], batches: [] };
  for await (const batch of source.batches()) {
    seen.batches.push(batch);
    batch.frames.forEach((f, i) => {
      seen.frames.push(Buffer.from(f).toString('utf8'));
      seen.positions.push(batch.positions[i]!);
    });
  }
  await source.close();
  return seen;
}

/** Reference frames of several inputs read one after another. */
function reference(texts: readonly string[]): { frames: string[]; positions: number[]; ends: number[] } {
  const frames: string[] = [];
  const positions: number[] = [];
  const ends: number[] = [];
  let base = 0;
  for (const text of texts) {
    const pieces = text.split('\n');
    if (pieces[pieces.length - 1] === '') pieces.pop();
    let at = base;
    for (const piece of pieces) {
      frames.push(piece.replace(/\r$/, ''));
      positions.push(at);
      at = Math.min(at + Buffer.byteLength(piece) + 1, base + Buffer.byteLength(text));
      ends.push(at);
    }
    base += Buffer.byteLength(text);
  }
  return { frames, positions, ends };
}

/** A gzip file of several members, cut at the given byte offsets. */
function gzipMembers(bytes: Buffer, cuts: readonly number[]): Buffer {
  const points = [0, ...[...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b), bytes.length];
  const members: Buffer[] = [];
  for (let i = 1; i < points.length; i++) members.push(gzipSync(bytes.subarray(points[i - 1], points[i])));
  return Buffer.concat(members);
}

const line = fc
  .array(fc.constantFrom('a', '"', ':', 'é', 'Свобода', '😀', '\r'), { maxLength: 30 })
  .map((p) => p.join(''));
const text = fc
  .tuple(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n'), fc.boolean())
  .map(([lines, eol, finalEol]) => lines.join(eol) + (finalEol && lines.length > 0 ? eol : ''));

describe('openFileSource', () => {
  it('reads plain, gzip and multi-member gzip files to the same frames and positions', async () => {
    await fc.assert(
      fc.asyncProperty(
        text,
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.integer({ min: 1, max: 64 }),
        async (content, cuts, highWaterMark) => {
          const bytes = Buffer.from(content);
          const plain = await file(bytes);
          const single = await file(gzipSync(bytes), '.gz');
          const multi = await file(gzipMembers(bytes, cuts), '.gz');
          const expected = reference([content]);
          for (const path of [plain, single, multi]) {
            const seen = await readAll([path], { highWaterMark, batchFrames: 3 });
            expect(seen.frames).toEqual(expected.frames);
            expect(seen.positions).toEqual(expected.positions);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('detects gzip by its magic bytes, not by the name', async () => {
    const content = 'one\ntwo\n';
    const disguised = await file(gzipSync(content), '.jsonl');
    const named = await file(content, '.gz');
    expect((await readAll([disguised])).frames).toEqual(['one', 'two']);
    expect((await readAll([named])).frames).toEqual(['one', 'two']);
  });

  it('numbers positions across files and lines within each file', async () => {
    const texts = ['a\nbb\nccc', 'dddd\r\n\r\ne\n', '', 'f'];
    const paths = [
      await file(texts[0]!),
      await file(gzipSync(texts[1]!), '.gz'),
      await file(texts[2]!),
      await file(texts[3]!),
    ];
    const seen = await readAll(paths, { batchFrames: 2 });
    const expected = reference(texts);
    expect(seen.frames).toEqual(expected.frames);
    expect(seen.positions).toEqual(expected.positions);
    const perBatch = seen.batches.map((b) => ({
      origin: b.origin,
      firstLine: b.firstLine,
      count: b.frames.length,
      next: b.next,
    }));
    expect(perBatch).toEqual([
      { origin: paths[0], firstLine: 1, count: 2, next: expected.ends[1] },
      { origin: paths[0], firstLine: 3, count: 1, next: expected.ends[2] },
      { origin: paths[1], firstLine: 1, count: 2, next: expected.ends[4] },
      { origin: paths[1], firstLine: 3, count: 1, next: expected.ends[5] },
      { origin: paths[3], firstLine: 1, count: 1, next: expected.ends[6] },
    ]);
  });

  it('resumes from any batch boundary, across plain and gzip files, with the remaining frames', async () => {
    const texts = ['a1\na2\r\na3\n', 'b1\n\nb3', 'c1\nc2\n'];
    const paths = [await file(texts[0]!), await file(gzipSync(texts[1]!), '.gz'), await file(texts[2]!)];
    const expected = reference(texts);
    const starts = [0, ...expected.ends];
    for (let k = 0; k < starts.length; k++) {
      const seen = await readAll(paths, { resumeFrom: starts[k]!, batchFrames: 1 });
      expect(seen.frames).toEqual(expected.frames.slice(k));
      expect(seen.positions).toEqual(expected.positions.slice(k));
      for (const batch of seen.batches) {
        const index = expected.positions.indexOf(batch.positions[0]!);
        // Plain files are resumed by seeking, which loses the line count; gzip counts lines as it inflates.
        if (batch.origin === paths[1]) expect(batch.firstLine).toBe(index - 3 + 1);
        if (batch.origin === paths[0] && starts[k]! > 0) expect(batch.firstLine).toBeUndefined();
        if (batch.origin === paths[2] && starts[k]! > expected.ends[5]!) expect(batch.firstLine).toBeUndefined();
      }
    }
  });

  it('reads stdin for - and for no paths, plain or gzip', async () => {
    const content = 'x\r\ny\nlast';
    const chunks = [...Buffer.from(content)].map((b) => Buffer.from([b]));
    const plain = await readAll([], { stdin: Readable.from(chunks) });
    expect(plain.frames).toEqual(['x', 'y', 'last']);
    expect(plain.batches.every((b) => b.origin === '-')).toBe(true);
    const zipped = [...gzipSync(content)].map((b) => Buffer.from([b]));
    const gz = await readAll(['-'], { stdin: Readable.from(zipped) });
    expect(gz.frames).toEqual(['x', 'y', 'last']);
    expect(gz.positions).toEqual(reference([content]).positions);
  });

  it('takes a stdin stream of Uint8Arrays or strings (object mode) as bytes', async () => {
    const content = 'é1\n€2\r\n3';
    const arrays = [...Buffer.from(content)].map((b) => new Uint8Array([b]));
    expect((await readAll(['-'], { stdin: Readable.from(arrays) })).frames).toEqual(['é1', '€2', '3']);
    const strings = ['é1\n€', '2\r', '\n3'];
    expect((await readAll(['-'], { stdin: Readable.from(strings) })).frames).toEqual(['é1', '€2', '3']);
  });

  it('cuts too-long lines to maxFrameBytes + 1 bytes and goes on with the next line', async () => {
    const long = 'y'.repeat(10_000);
    const path = await file(`ok\n${long}\r\n${'z'.repeat(50)}\r\nend`);
    const seen = await readAll([path], { maxFrameBytes: 50, highWaterMark: 64 });
    expect(seen.frames).toEqual(['ok', long.slice(0, 51), 'z'.repeat(50), 'end']);
    expect(seen.positions).toEqual(reference([`ok\n${long}\r\n${'z'.repeat(50)}\r\nend`]).positions);
  });

  it('reports bytesRead and totalBytes for progress', async () => {
    const plain = await file('a\nb\n');
    const zipped = gzipSync('c\nd\n');
    const gz = await file(zipped, '.gz');
    const source = openFileSource([plain, gz]);
    expect(source.totalBytes).toBe(4 + zipped.length);
    expect(source.bytesRead).toBe(0);
    for await (const _ of source.batches()) {
      expect(source.bytesRead).toBeGreaterThan(0);
    }
    expect(source.bytesRead).toBe(4 + zipped.length);
    expect(openFileSource(['-', plain]).totalBytes).toBeUndefined();
  });

  it('stops quietly when the signal aborts', async () => {
    const path = await file('1\n2\n3\n4\n');
    const controller = new AbortController();
    const source = openFileSource([path], { batchFrames: 1 });
    const frames: string[] = [];
    for await (const batch of source.batches(controller.signal)) {
      frames.push(Buffer.from(batch.frames[0]!).toString());
      controller.abort();
    }
    expect(frames).toEqual(['1']);
  });

  it('closes the file when iteration stops early, with a read still in flight', async () => {
    const path = await file(`${'x'.repeat(100)}\n${'y\n'.repeat(5000)}`);
    const openFiles = (): number => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    for (let run = 0; run < 20; run++) {
      const source = openFileSource([path], { highWaterMark: 256, batchFrames: 1 });
      for await (const batch of source.batches()) {
        expect(Buffer.from(batch.frames[0]!).toString()).toBe('x'.repeat(100));
        break;
      }
    }
    expect(openFiles()).toBe(before);
  });

  it('stops quietly when closed while iterating, even while stdin waits for input', async () => {
    const stdin = new PassThrough();
    stdin.write('first\n');
    const source = openFileSource(['-'], { stdin });
    const frames: string[] = [];
    for await (const batch of source.batches()) {
      frames.push(Buffer.from(batch.frames[0]!).toString());
      setTimeout(() => void source.close(), 10);
    }
    expect(frames).toEqual(['first']);
    expect(stdin.destroyed).toBe(true);
  });
});

describe('named pipes and devices', () => {
  let pipes = 0;
  function fifo(): string {
    const path = join(dir, `pipe${pipes++}`);
    execFileSync('mkfifo', [path]);
    return path;
  }

  /** A writer process, `cat file > pipe`: it waits in open() until the pipe has a reader. Resolves to its exit. */
  async function writer(
    pipe: string,
    content: string | Buffer,
  ): Promise<{ code: number | null; signal: string | null }> {
    const source = await file(content);
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', source, pipe], { stdio: 'ignore' });
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
  }

  it('reads a named pipe once, to the end of what its writer sends, after checkReadable looked at it', async () => {
    const pipe = fifo();
    const frames = Array.from({ length: 20_000 }, (_, i) => `{"uid":"u${i}","ts":${1468244340 + i}}`);
    const content = `${frames.join('\n')}\n`;
    const wrote = writer(pipe, content);
    // Opening the pipe here would let the writer in and closing it again would kill it with SIGPIPE.
    await checkReadable([pipe]);
    const seen = await readAll([pipe]);
    expect(seen.frames).toEqual(reference([content]).frames);
    expect(await wrote).toEqual({ code: 0, signal: null });
  }, 20_000);

  it('waits for the writer of a named pipe on the event loop, ' +
    'and stops quietly when aborted before it came', async () => {
    const pipe = fifo();
    const controller = new AbortController();
    const source = openFileSource([pipe]);
    // Timers still run while the source waits: the wait does not block the process.
    setTimeout(() => controller.abort(), 100);
    const frames: string[] = [];
    for await (const batch of source.batches(controller.signal))
      frames.push(...batch.frames.map((f) => Buffer.from(f).toString()));
    expect(frames).toEqual([]);
    await source.close();
  }, 20_000);

  it('reads a pipe whose writer comes later, and a character device, as streams', async () => {
    const pipe = fifo();
    const source = openFileSource(['/dev/null', pipe]);
    expect(source.totalBytes).toBeUndefined();
    const late = new Promise((resolve) => setTimeout(resolve, 100)).then(() => writer(pipe, 'a\nb'));
    const frames: string[] = [];
    for await (const batch of source.batches()) frames.push(...batch.frames.map((f) => Buffer.from(f).toString()));
    expect(frames).toEqual(['a', 'b']);
    expect(await late).toEqual({ code: 0, signal: null });
  }, 20_000);

  it('reads a gzip stream from a named pipe', async () => {
    const pipe = fifo();
    const wrote = writer(pipe, gzipSync('x\ny\n'));
    expect((await readAll([pipe])).frames).toEqual(['x', 'y']);
    expect(await wrote).toEqual({ code: 0, signal: null });
  }, 20_000);
});

describe('errors', () => {
  async function failure(paths: readonly string[]): Promise<SourceError> {
    try {
      await readAll(paths);
    } catch (error) {
      expect(error).toBeInstanceOf(SourceError);
      return error as SourceError;
    }
    throw new Error('expected a SourceError');
  }

  it('names a missing file when iteration reaches it, after the files before it', async () => {
    const first = await file('a\n');
    const missing = join(dir, 'missing.jsonl');
    const source = openFileSource([first, missing]);
    const frames: string[] = [];
    const error = await (async () => {
      try {
        for await (const batch of source.batches()) frames.push(Buffer.from(batch.frames[0]!).toString());
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(frames).toEqual(['a']);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).code).toBe('FILE_NOT_FOUND');
    expect((error as SourceError).message).toContain(missing);
    expect((error as SourceError).message).not.toContain('\n');
  });

  it('checkReadable fails before reading: missing file, directory, no permission', async () => {
    const ok = await file('a\n');
    await expect(checkReadable([ok, '-'])).resolves.toBeUndefined();
    await expect(checkReadable([ok, join(dir, 'nope')])).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    const sub = join(dir, 'sub');
    await mkdir(sub, { recursive: true });
    await expect(checkReadable([sub])).rejects.toMatchObject({ code: 'FILE_UNREADABLE' });
    expect((await failure([sub])).code).toBe('FILE_UNREADABLE');
    const locked = await file('secret\n');
    await chmod(locked, 0o000);
    // root reads anything, so only check the code when the OS refuses.
    const refused = await checkReadable([locked]).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (refused !== undefined) expect(refused).toMatchObject({ code: 'FILE_UNREADABLE' });
  });

  it('names the file and the offset of corrupt gzip data', async () => {
    const good = gzipSync('a\n'.repeat(10_000));
    const corrupt = Buffer.from(good);
    corrupt.fill(0xff, 20, 40);
    const path = await file(corrupt, '.gz');
    const error = await failure([path]);
    expect(error.code).toBe('GZIP_CORRUPT');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/byte \d+/);
    const truncated = await file(good.subarray(0, good.length - 10), '.gz');
    expect((await failure([truncated])).code).toBe('GZIP_CORRUPT');
  });

  it('says where in a gzip file zlib met the damage, to the step, also far into the file', async () => {
    const lines = Array.from(
      { length: 60_000 },
      (_, i) => `{"uid":"${((i * 2654435761) >>> 0).toString(16)}","ts":${1468244340 + i},"n":${i % 977}}`,
    );
    const good = gzipSync(`${lines.join('\n')}\n`);
    for (const at of [5000, Math.floor(good.length * 0.7)]) {
      const corrupt = Buffer.from(good);
      corrupt.fill(0xff, at, at + 8);
      const detected = firstFailingPrefix(corrupt);
      expect(detected).toBeGreaterThan(at);
      const path = await file(corrupt, '.gz');
      const error = await failure([path]);
      const reported = Number(/near compressed byte (\d+)/.exec(error.message)?.[1]);
      expect(reported).toBeLessThan(detected);
      expect(reported).toBeGreaterThanOrEqual(detected - GZIP_LOCATE_STEP_BYTES);
    }
    // Data that just ends: the end is where zlib noticed.
    const truncated = await file(good.subarray(0, 3000), '.gz');
    expect((await failure([truncated])).message).toMatch(/near compressed byte (29[4-9]\d|3000):/);
  });

  /** The oracle: the shortest prefix zlib refuses (a shorter one inflates, as far as it goes). */
  function firstFailingPrefix(bytes: Buffer): number {
    const fails = (length: number): boolean => {
      try {
        gunzipSync(bytes.subarray(0, length), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
        return false;
      } catch {
        return true;
      }
    };
    let low = 0;
    let high = bytes.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (fails(middle)) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  it('refuses bad options with a typed error', () => {
    expect(() => openFileSource([], { batchFrames: 0 })).toThrow(SourceError);
    expect(() => openFileSource([], { maxFrameBytes: 1.5 })).toThrow(SourceError);
    expect(() => openFileSource([], { resumeFrom: -1 })).toThrow(SourceError);
    expect(() => openFileSource(['-', '-'])).toThrow(/only once/);
  });
});
