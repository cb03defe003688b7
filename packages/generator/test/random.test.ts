import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Random, mix32 } from '../src/random.js';

describe('Random', () => {
  it('repeats its sequence for the same seed and stream', () => {
    fc.assert(
      fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.nat({ max: 1000 }), (seed, stream) => {
        const a = new Random(seed, stream);
        const b = new Random(seed, stream);
        for (let i = 0; i < 20; i++) expect(a.next()).toBe(b.next());
      }),
    );
  });

  it('gives unrelated sequences for nearby seeds and for other streams', () => {
    const first = (r: Random) => Array.from({ length: 8 }, () => r.next());
    expect(first(new Random(1))).not.toEqual(first(new Random(2)));
    expect(first(new Random(1, 0))).not.toEqual(first(new Random(1, 1)));
    // Seeds that differ only above bit 32 still differ.
    expect(first(new Random(2 ** 40))).not.toEqual(first(new Random(0)));
  });

  it('draws below(n) uniformly (chi-square over 10 cells)', () => {
    const r = new Random(42);
    const cells = new Array<number>(10).fill(0);
    const n = 100_000;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const v = r.below(10);
      if (v >= 0 && v < 10 && Number.isInteger(v)) cells[v]!++;
      else outside++;
    }
    expect(outside).toBe(0);
    const expected = n / 10;
    const chi2 = cells.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: P(chi2 > 33.7) < 0.0001.
    expect(chi2).toBeLessThan(33.7);
  });

  it('keeps fractions in [0, 1) and honours chance(0) and chance(1)', () => {
    const r = new Random(3);
    let wrong = 0;
    for (let i = 0; i < 10_000; i++) {
      const f = r.fraction();
      const d = r.double();
      if (!(f >= 0 && f < 1 && d >= 0 && d < 1) || r.chance(0) || !r.chance(1)) wrong++;
    }
    expect(wrong).toBe(0);
  });

  it('draws between(lo, hi) inclusive at both ends', () => {
    const r = new Random(5);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(r.between(1, 5));
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('mix32', () => {
  it('is a bijection on a sample of 32-bit values (no collisions among 200k inputs)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200_000; i++) seen.add(mix32(i * 7919));
    expect(seen.size).toBe(200_000);
  });
});
