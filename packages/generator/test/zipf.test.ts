import { describe, expect, it } from 'vitest';
import { Random } from '../src/random.js';
import { ZipfSampler } from '../src/zipf.js';
import { plausible } from './support/reference.js';

/** Exact P(rank = k) for a Zipf law on 1..n with exponent s. */
function pmf(n: number, s: number): number[] {
  let norm = 0;
  for (let k = 1; k <= n; k++) norm += 1 / k ** s;
  return Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s / norm);
}

describe('ZipfSampler', () => {
  for (const [n, s] of [
    [1000, 1.2],
    [1000, 1],
    [50, 0.5],
    [100_000, 2],
  ] as const) {
    it(`matches the exact law for n=${n}, s=${s} on the top ranks`, () => {
      const sampler = new ZipfSampler(n, s);
      const r = new Random(11);
      const draws = 200_000;
      const counts = new Map<number, number>();
      let outside = 0;
      for (let i = 0; i < draws; i++) {
        const k = sampler.sample(r);
        if (!(k >= 1 && k <= n && Number.isInteger(k))) outside++;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      expect(outside).toBe(0);
      const p = pmf(n, s);
      for (let k = 1; k <= 5; k++) expect(plausible(counts.get(k) ?? 0, draws, p[k - 1]!)).toBe(true);
    });
  }

  it('can return the last rank', () => {
    const sampler = new ZipfSampler(3, 0.1);
    const r = new Random(1);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(sampler.sample(r));
    expect([...seen].sort()).toEqual([1, 2, 3]);
  });
});
