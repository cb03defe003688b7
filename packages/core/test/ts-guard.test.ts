import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TsGuard, type TsGuardOptions } from '../src/ts-guard.js';

const OPTIONS: TsGuardOptions = {
  maxFutureSkew: 60,
  confirmations: 3,
  patience: 100,
  bootstrapFrames: 8,
  maxHeld: 1000,
};
const T0 = 1_468_244_340;

/** Feeds timestamps; returns which indexes were counted (in order) and which rejected. */
function feed(
  stamps: readonly number[],
  options: TsGuardOptions = OPTIONS,
): { counted: number[]; rejected: number[]; guard: TsGuard<number> } {
  const guard = new TsGuard<number>(options);
  const counted: number[] = [];
  const rejected: number[] = [];
  const drain = (): void => {
    for (const h of guard.released.splice(0)) counted.push(h.item);
    for (const h of guard.rejected.splice(0)) rejected.push(h.item);
  };
  stamps.forEach((ts, i) => {
    if (guard.admit(ts)) counted.push(i);
    else guard.hold(ts, i);
    drain();
  });
  guard.finish();
  drain();
  return { counted, rejected, guard };
}

describe('TsGuard', () => {
  it('passes an ordinary disordered stream through untouched, in order after the bootstrap', () => {
    const stamps = Array.from({ length: 500 }, (_, i) => T0 + Math.floor(i / 10) - (i % 7));
    const { counted, rejected } = feed(stamps);
    expect(rejected).toEqual([]);
    expect(counted).toEqual(stamps.map((_, i) => i));
  });

  it(
    'rejects isolated bitflips that event time does not reach within the patience, and never raises ' +
      'maxTs for them',
    () => {
      // 4 frames a second and patience 100: a flip of bit 7 (128 s) or more is
      // still beyond the 60 s skew after 100 ordinary frames.
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.tuple(fc.integer({ min: 2, max: 90 }), fc.integer({ min: 7, max: 31 })), {
            maxLength: 5,
            selector: ([slot]) => slot,
          }),
          (flips) => {
            const stamps = Array.from({ length: 1000 }, (_, i) => T0 + Math.floor(i / 4));
            const corrupt = new Set<number>();
            // Bitflips are rare: a few, at least ten frames apart.
            for (const [slot, bit] of flips) {
              const at = slot * 10;
              const flipped = (stamps[at]! ^ (1 << bit)) >>> 0;
              if (flipped > stamps[at]! + 60) {
                stamps[at] = flipped;
                corrupt.add(at);
              }
            }
            const { counted, rejected, guard } = feed(stamps);
            expect(new Set(rejected)).toEqual(corrupt);
            expect(counted.length + rejected.length).toBe(stamps.length);
            expect(guard.maxTs).toBe(T0 + 249);
          },
        ),
        { numRuns: 200 },
      );
    },
  );

  it('accepts a gap in real data after a few confirming frames, without losing any', () => {
    const stamps = [
      ...Array.from({ length: 50 }, (_, i) => T0 + i),
      ...Array.from({ length: 50 }, (_, i) => T0 + 7200 + i),
    ];
    const { counted, rejected, guard } = feed(stamps);
    expect(rejected).toEqual([]);
    expect(counted).toEqual(stamps.map((_, i) => i));
    expect(guard.maxTs).toBe(T0 + 7249);
  });

  it('anchors on the median of the first frames when the very first one is corrupt', () => {
    const stamps = [T0 + 2 ** 30, ...Array.from({ length: 300 }, (_, i) => T0 + i)];
    const { rejected, guard } = feed(stamps);
    expect(rejected).toEqual([0]);
    expect(guard.maxTs).toBe(T0 + 299);
  });

  it('does not confirm a jump backed by a minority of frames', () => {
    // Three frames with the same high bit flipped, close together, among many ordinary ones.
    const stamps = Array.from({ length: 400 }, (_, i) => T0 + Math.floor(i / 2));
    for (const at of [100, 130, 160]) stamps[at] = stamps[at]! + 2 ** 24;
    const { rejected, guard } = feed(stamps);
    expect(rejected).toEqual([100, 130, 160]);
    expect(guard.maxTs).toBe(T0 + 199);
  });

  it('holds at most maxHeld frames', () => {
    const stamps = [...Array.from({ length: 20 }, (_, i) => T0 + i)];
    for (let i = 0; i < 50; i++) stamps.push(T0 + 10_000 * (i + 1)); // each far from the others
    const { counted, rejected } = feed(stamps, { ...OPTIONS, maxHeld: 10, confirmations: 100 });
    expect(counted.length + rejected.length).toBe(stamps.length);
    expect(rejected.length).toBeGreaterThanOrEqual(40);
  });

  it('learns the spacing of a sparse stream: nothing held back, high bitflips still rejected', () => {
    const stamps = Array.from({ length: 400 }, (_, i) => T0 + 50 * i);
    stamps[200] = (stamps[200]! ^ (1 << 20)) >>> 0; // about 12 days away
    const guard = new TsGuard<number>(OPTIONS);
    const heldAt: number[] = [];
    const rejected: number[] = [];
    stamps.forEach((ts, i) => {
      if (!guard.admit(ts)) {
        heldAt.push(i);
        guard.hold(ts, i);
      }
      for (const h of guard.rejected.splice(0)) rejected.push(h.item);
      guard.released.length = 0;
    });
    guard.finish();
    for (const h of guard.rejected.splice(0)) rejected.push(h.item);
    expect(heldAt.filter((i) => i >= OPTIONS.bootstrapFrames)).toEqual([200]);
    expect(rejected).toEqual([200]);
    expect(guard.skew).toBeGreaterThanOrEqual(150);
    expect(guard.skew).toBeLessThan(250);
  });

  it('accepts a frame a little beyond the skew once event time comes within the skew of it', () => {
    // Such a frame cannot be told from an honest one; accepting it moves maxTs by at most the skew.
    const stamps = Array.from({ length: 200 }, (_, i) => T0 + Math.floor(i / 4));
    stamps[50] = stamps[50]! + 64;
    const { counted, rejected } = feed(stamps);
    expect(rejected).toEqual([]);
    expect(counted).toHaveLength(200);
  });

  it('does not count delayed frames of a sparse stream against a real step forward', () => {
    // One frame every 6 s (the skew is 5), each step followed by stragglers up to 3 s old.
    const stamps: number[] = [];
    for (let k = 0; k < 60; k++) stamps.push(T0 + 6 * k, T0 + 6 * k - 3, T0 + 6 * k - 2);
    const { counted, rejected } = feed(stamps, { ...OPTIONS, maxFutureSkew: 5 });
    expect(rejected).toEqual([]);
    expect(counted).toHaveLength(stamps.length);
  });
});
