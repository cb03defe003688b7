import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CountingEngine, type EngineOptions, type WindowResult } from '../src/index.js';
import { decodeSnapshot, encodeSnapshot } from '../src/snapshot.js';
import { disorderedStream, testHash, type TestFrame } from './helpers.js';

const T0 = 1468244340;

function feed(
  engine: CountingEngine,
  frames: readonly TestFrame[],
  from: number,
  to: number,
  out: WindowResult[],
): void {
  for (let i = from; i < to; i++) {
    const f = frames[i]!;
    const [hi, lo] = testHash(f.uid);
    const part = engine.partition(i % 3);
    part.add(hi, lo, f.ts, i, Buffer.from(f.uid));
    part.next = i + 1;
    out.push(...engine.takeResults());
  }
}

describe('engine snapshots', () => {
  it('round-trips blobs and non-finite numbers through the container', () => {
    const value = {
      a: Number.NEGATIVE_INFINITY,
      b: [new Uint8Array([1, 2, 3]), new Uint8Array(0)],
      c: 'x',
      d: { e: Number.POSITIVE_INFINITY },
    };
    expect(decodeSnapshot(encodeSnapshot(value))).toEqual(value);
    // Buffers (as kafkajs hands records over) are blobs too, and decoding copies out of them.
    const fromBuffer = decodeSnapshot(Buffer.from(encodeSnapshot({ blob: Buffer.from([7, 8, 9]) }))) as {
      blob: Uint8Array;
    };
    expect([...fromBuffer.blob]).toEqual([7, 8, 9]);
    expect(fromBuffer.blob.buffer.byteLength).toBe(3);
    expect(() => decodeSnapshot(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))).toThrow(
      /not a uniqstream checkpoint/,
    );
    const bytes = encodeSnapshot(value);
    expect(() => decodeSnapshot(bytes.subarray(0, bytes.length - 2))).toThrow(/truncated/);
  });

  it('restoring at any frame and going on gives exactly the results of an uninterrupted run', () => {
    const frames = disorderedStream({ seed: 5, start: T0, seconds: 400, rate: 4, users: 60, maxDelay: 5 });
    // Some late frames, a corrupt one and one held at a partition boundary.
    frames.splice(700, 0, { uid: 'late', ts: T0 + 100 }, { uid: 'future', ts: T0 + 2 ** 28 });
    const options: Partial<EngineOptions> = {
      windows: ['minute', 'hour', 'day'],
      method: 'auto',
      allowedLateness: 30,
      earlyEvery: 120,
    };
    const straight: WindowResult[] = [];
    const whole = new CountingEngine(options);
    feed(whole, frames, 0, frames.length, straight);
    whole.finish();
    straight.push(...whole.takeResults());

    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: frames.length }), { minLength: 1, maxLength: 4 }),
        (cuts) => {
          const points = [...cuts].sort((a, b) => a - b);
          const out: WindowResult[] = [];
          let engine = new CountingEngine(options);
          let at = 0;
          for (const point of points) {
            feed(engine, frames, at, point, out);
            at = point;
            const bytes = engine.snapshot();
            engine = CountingEngine.restore(bytes, options);
            expect(engine.consumedPositions().get((point - 1) % 3) ?? 0).toBeLessThanOrEqual(point);
          }
          feed(engine, frames, at, frames.length, out);
          engine.finish();
          out.push(...engine.takeResults());
          expect(out).toEqual(straight);
          expect(engine.stats.corruptTs).toBe(whole.stats.corruptTs);
          expect(engine.stats.counted).toBe(whole.stats.counted);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('emits revisions at the same frames as an uninterrupted run, whatever frame the snapshot follows', () => {
    // Late frames well behind the watermark: each one marks a window that is due for a revision
    // already, which goes out at the next rise of the watermark, not at the snapshot.
    const frames = disorderedStream({
      seed: 9,
      start: T0,
      seconds: 600,
      rate: 4,
      users: 40,
      maxDelay: 40,
      lateFraction: 0.1,
    });
    const options: Partial<EngineOptions> = { windows: ['minute'], maxDelay: 5, allowedLateness: 60 };
    const straight: WindowResult[] = [];
    const whole = new CountingEngine(options);
    feed(whole, frames, 0, frames.length, straight);
    whole.finish();
    straight.push(...whole.takeResults());
    expect(straight.filter((r) => r.revision > 0 && !r.final).length).toBeGreaterThan(20);

    // Snapshots right after a late frame are the ones at risk; every tenth other frame too.
    const cuts: number[] = [];
    let newest = Number.NEGATIVE_INFINITY;
    frames.forEach((f, i) => {
      if (i > 0 && (f.ts < newest - 5 || i % 10 === 0)) cuts.push(i + 1);
      newest = Math.max(newest, f.ts);
    });
    expect(cuts.length).toBeGreaterThan(300);
    for (const cut of cuts) {
      const out: WindowResult[] = [];
      const first = new CountingEngine(options);
      feed(first, frames, 0, cut, out);
      const engine = CountingEngine.restore(first.snapshot(), options);
      out.push(...engine.takeResults());
      feed(engine, frames, cut, frames.length, out);
      engine.finish();
      out.push(...engine.takeResults());
      if (JSON.stringify(out) !== JSON.stringify(straight))
        expect(out, `snapshot after frame ${cut}`).toEqual(straight);
    }
  }, 60_000);

  it('applies a changed allowed lateness from the next rise of the watermark on', () => {
    const first = new CountingEngine({ windows: ['minute'], maxDelay: 0, allowedLateness: 120 });
    const part = first.partition(0);
    for (let s = 0; s < 130; s++) part.add(s % 7, 1, T0 + s, s, Buffer.from('x'));
    // Minutes 0 and 1 have had their on-time results; with 120 s of lateness neither is final yet.
    expect(first.takeResults().map((r) => [r.start - T0, r.final])).toEqual([
      [0, false],
      [60, false],
    ]);
    const engine = CountingEngine.restore(first.snapshot(), { windows: ['minute'], maxDelay: 0, allowedLateness: 0 });
    expect(engine.takeResults()).toEqual([]);
    engine.partition(0).add(1, 1, T0 + 130, 130, Buffer.from('x'));
    expect(engine.takeResults().map((r) => [r.start - T0, r.final])).toEqual([
      [0, true],
      [60, true],
    ]);
  });

  it('refuses a snapshot taken with other windows, naming the difference', () => {
    const engine = new CountingEngine({ windows: ['minute'] });
    const bytes = engine.snapshot();
    expect(() => CountingEngine.restore(bytes, { windows: ['minute', 'hour'] })).toThrow(/windows/);
  });
});
