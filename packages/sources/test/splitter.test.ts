import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FrameBatch } from '@uniqstream/core';
import { LineSplitter } from '../src/splitter.js';
import { validUtf8 } from './support/utf8.js';

/** The trusted reference: String.split, the empty piece after a final `\n` dropped, one `\r` stripped. */
function referenceLines(text: string): string[] {
  const pieces = text.split('\n');
  if (pieces[pieces.length - 1] === '') pieces.pop();
  return pieces;
}

interface RefFrame {
  readonly bytes: Buffer;
  readonly position: number;
  /** Position after the line's terminator (or the end of the input). */
  readonly next: number;
}

function referenceFrames(text: string, maxFrameBytes: number): RefFrame[] {
  const total = Buffer.byteLength(text);
  const frames: RefFrame[] = [];
  let position = 0;
  for (const piece of referenceLines(text)) {
    const raw = Buffer.from(piece);
    const stripped = piece.endsWith('\r') ? raw.subarray(0, raw.length - 1) : raw;
    const bytes = stripped.length > maxFrameBytes ? raw.subarray(0, maxFrameBytes + 1) : stripped;
    const next = Math.min(position + raw.length + 1, total);
    frames.push({ bytes, position, next });
    position = next;
  }
  return frames;
}

/** Cuts `bytes` at the given offsets (any byte, inside CRLF or a UTF-8 character alike). */
function chunksAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

function runSplitter(
  chunks: readonly Buffer[],
  options: Partial<ConstructorParameters<typeof LineSplitter>[0]> = {},
): FrameBatch[] {
  const splitter = new LineSplitter({
    origin: 'test',
    batchFrames: 4096,
    maxFrameBytes: 1024 * 1024,
    startPosition: 0,
    startLine: 1,
    skipBytes: 0,
    ...options,
  });
  const batches: FrameBatch[] = [];
  for (const chunk of chunks) batches.push(...splitter.push(chunk));
  const last = splitter.end();
  if (last !== undefined) batches.push(last);
  return batches;
}

const alphabet = fc.constantFrom(
  'a',
  'b',
  '{',
  '"',
  ' ',
  '\n',
  '\n',
  '\r',
  '\r\n',
  '\r\n',
  'é',
  'Свобода',
  '😀',
  '\u0000',
);
const text = fc.array(alphabet, { maxLength: 120 }).map((parts) => parts.join(''));
const cuts = fc.array(fc.nat(), { maxLength: 20 });

function flatten(batches: readonly FrameBatch[]): { frames: Buffer[]; positions: number[] } {
  const frames: Buffer[] = [];
  const positions: number[] = [];
  for (const batch of batches) {
    batch.frames.forEach((f, i) => {
      frames.push(Buffer.from(f));
      positions.push(batch.positions[i]!);
    });
  }
  return { frames, positions };
}

/** Valid text with, sometimes, bytes that no UTF-8 allows (a lone continuation byte, a cut sequence, 0xff). */
const maybeInvalid = fc
  .array(
    fc.oneof(
      alphabet.map((piece) => Buffer.from(piece)),
      fc.constantFrom(Buffer.of(0xff), Buffer.of(0x80), Buffer.of(0xc3), Buffer.of(0xe2, 0x82)),
    ),
    { maxLength: 120 },
  )
  .map((parts) => Buffer.concat(parts));

describe('LineSplitter', () => {
  it('yields exactly the frames of text.split at any chunk boundaries', () => {
    fc.assert(
      fc.property(
        text,
        cuts,
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 40 }),
        (input, cutsAt, batchFrames, maxFrameBytes) => {
          const bytes = Buffer.from(input);
          const batches = runSplitter(chunksAt(bytes, cutsAt), { batchFrames, maxFrameBytes });
          const expected = referenceFrames(input, maxFrameBytes);
          const { frames, positions } = flatten(batches);
          expect(frames).toEqual(expected.map((f) => f.bytes));
          expect(positions).toEqual(expected.map((f) => f.position));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it(
    'says how many bytes of input each batch covers: together, every byte, cut-off rests of too-long ' +
      'lines included',
    () => {
      fc.assert(
        fc.property(
          text,
          cuts,
          fc.integer({ min: 1, max: 5 }),
          fc.integer({ min: 1, max: 40 }),
          fc.nat(),
          (input, cutsAt, batchFrames, maxFrameBytes, skip) => {
            const bytes = Buffer.from(input);
            const skipBytes = skip % (bytes.length + 1);
            const batches = runSplitter(chunksAt(bytes, cutsAt), { batchFrames, maxFrameBytes, skipBytes });
            let covered = 0;
            for (const batch of batches) {
              // From the first frame's start to the position after the last frame's terminator.
              expect(batch.bytes).toBe(batch.next - batch.positions[0]!);
              covered += batch.bytes!;
            }
            // Skipped bytes were read before (a resume), so they are not this run's.
            expect(covered).toBe(bytes.length - skipBytes);
          },
        ),
        { numRuns: 2000 },
      );
      const long = runSplitter([Buffer.from(`ok\n${'y'.repeat(10_000)}\r\nend`)], { maxFrameBytes: 50 });
      expect(long.map((b) => b.bytes)).toEqual([3 + 10_002, 3]);
    },
  );

  it('marks a batch knownUtf8 only when every frame in it is valid UTF-8', () => {
    fc.assert(
      fc.property(
        maybeInvalid,
        cuts,
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 40 }),
        (bytes, cutsAt, batchFrames, maxFrameBytes) => {
          const batches = runSplitter(chunksAt(bytes, cutsAt), { batchFrames, maxFrameBytes });
          for (const batch of batches) {
            if (batch.knownUtf8 === true) expect(batch.frames.every(validUtf8)).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('marks every batch of valid, uncut lines knownUtf8 (all but a last line without its newline)', () => {
    fc.assert(
      fc.property(text, cuts, fc.integer({ min: 1, max: 5 }), (input, cutsAt, batchFrames) => {
        const batches = runSplitter(chunksAt(Buffer.from(input), cutsAt), { batchFrames });
        const terminated = input.endsWith('\n') ? batches : batches.slice(0, -1);
        expect(terminated.map((b) => b.knownUtf8)).toEqual(terminated.map(() => true));
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves the check to the decoder for a batch with an invalid frame or a line cut at maxFrameBytes', () => {
    const invalid = runSplitter([Buffer.from('{"a":1}\n'), Buffer.of(0x7b, 0xff, 0x7d, 0x0a)]);
    expect(invalid.map((b) => b.knownUtf8)).toEqual([true, false]);
    // 'é' is two bytes: the cut after 4 + 1 bytes keeps the first byte of the third.
    const cut = runSplitter([Buffer.from('ééé\nab\n')], { maxFrameBytes: 4 });
    expect(cut[0]!.frames[0]).toEqual(Buffer.from('ééé').subarray(0, 5));
    expect(validUtf8(cut[0]!.frames[0]!)).toBe(false);
    expect(cut.map((b) => b.knownUtf8)).toEqual([false]);
  });

  it('gives each batch its next position, first line, and at most batchFrames frames', () => {
    fc.assert(
      fc.property(text, cuts, fc.integer({ min: 1, max: 4 }), (input, cutsAt, batchFrames) => {
        const batches = runSplitter(chunksAt(Buffer.from(input), cutsAt), { batchFrames, origin: 'x.jsonl' });
        const expected = referenceFrames(input, 1024);
        let index = 0;
        for (const batch of batches) {
          expect(batch.frames.length).toBeGreaterThan(0);
          expect(batch.frames.length).toBeLessThanOrEqual(batchFrames);
          expect(batch.partition).toBe(0);
          expect(batch.origin).toBe('x.jsonl');
          expect(batch.firstLine).toBe(index + 1);
          index += batch.frames.length;
          expect(batch.next).toBe(expected[index - 1]!.next);
        }
        expect(index).toBe(expected.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('resumes at any frame boundary with the remaining frames and their line numbers', () => {
    fc.assert(
      fc.property(text, cuts, fc.nat(), (input, cutsAt, pick) => {
        const expected = referenceFrames(input, 1024);
        const boundaries = [0, ...expected.map((f) => f.next)];
        const k = pick % boundaries.length;
        const batches = runSplitter(chunksAt(Buffer.from(input), cutsAt), { skipBytes: boundaries[k]! });
        const { frames, positions } = flatten(batches);
        expect(frames).toEqual(expected.slice(k).map((f) => f.bytes));
        expect(positions).toEqual(expected.slice(k).map((f) => f.position));
        if (batches.length > 0) expect(batches[0]!.firstLine).toBe(k + 1);
      }),
      { numRuns: 1000 },
    );
  });

  it('offsets positions by startPosition and omits firstLine when the line is unknown', () => {
    const batches = runSplitter([Buffer.from('ab\ncd\n')], { startPosition: 1000, startLine: undefined });
    expect(batches).toHaveLength(1);
    expect(Array.from(batches[0]!.positions)).toEqual([1000, 1003]);
    expect(batches[0]!.next).toBe(1006);
    expect('firstLine' in batches[0]!).toBe(false);
  });

  it('returns views of the chunk for lines inside it, and a copy only for a line that spans chunks', () => {
    // Own ArrayBuffers: small Buffer.from() results share one pool.
    const first = Buffer.from(new TextEncoder().encode('one\ntw').buffer);
    const second = Buffer.from(new TextEncoder().encode('o\nthree\n').buffer);
    const frames = flatten(runSplitter([first, second])).frames;
    expect(frames.map(String)).toEqual(['one', 'two', 'three']);
    const batches = runSplitter([first, second]);
    const all = batches.flatMap((b) => [...b.frames]);
    expect(all[0]!.buffer).toBe(first.buffer);
    expect(all[1]!.buffer).not.toBe(first.buffer);
    expect(all[1]!.buffer).not.toBe(second.buffer);
    expect(all[2]!.buffer).toBe(second.buffer);
  });

  it('keeps only maxFrameBytes + 1 bytes of a huge line spread over many small chunks', () => {
    const max = 100;
    const line = Buffer.alloc(200_000, 0x61);
    const input = Buffer.concat([Buffer.from('head\n'), line, Buffer.from('\ntail\n')]);
    const chunks = chunksAt(
      input,
      Array.from({ length: 3000 }, (_, i) => i * 67),
    );
    const batches = runSplitter(chunks, { maxFrameBytes: max });
    const { frames, positions } = flatten(batches);
    expect(frames.map((f) => f.length)).toEqual([4, max + 1, 4]);
    expect(frames[1]!.equals(line.subarray(0, max + 1))).toBe(true);
    expect(positions).toEqual([0, 5, 5 + line.length + 1]);
  });

  it('merges a line that arrives one byte at a time into one frame', () => {
    const line = `${'x'.repeat(5000)}\r\n`;
    const chunks = [...Buffer.from(line)].map((b) => Buffer.from([b]));
    const { frames } = flatten(runSplitter(chunks));
    expect(frames).toEqual([Buffer.from('x'.repeat(5000))]);
  });
});
