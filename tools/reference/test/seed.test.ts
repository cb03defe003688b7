import { describe, expect, it } from 'vitest';
import { TEST_SEED_ENV, testRandom } from '../src/seed.js';

describe('testRandom', () => {
  it('prints its seed, and gives the same moments again for that seed', () => {
    const lines: string[] = [];
    const first = testRandom('kills', {}, (line) => lines.push(line));
    const moments = Array.from({ length: 5 }, first.next);
    expect(lines).toEqual([
      `kills: random moments from seed ${first.seed} (replay with ${TEST_SEED_ENV}=${first.seed})`,
    ]);
    const again = testRandom('kills', { [TEST_SEED_ENV]: String(first.seed) }, () => undefined);
    expect(again.seed).toBe(first.seed);
    expect(Array.from({ length: 5 }, again.next)).toEqual(moments);
    for (const m of moments) expect(m >= 0 && m < 1).toBe(true);
  });
});
