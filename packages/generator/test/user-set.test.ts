import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { UserSet } from '../src/user-set.js';

describe('UserSet', () => {
  it('counts like a Set, before and after it turns into a bitset', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.array(fc.nat(), { maxLength: 3000 }), (capacity, raw) => {
        const users = raw.map((u) => u % capacity);
        const set = new UserSet(capacity);
        const reference = new Set<number>();
        for (const u of users) {
          set.add(u);
          reference.add(u);
          expect(set.size).toBe(reference.size);
        }
        for (let u = 0; u < Math.min(capacity, 200); u++) expect(set.has(u)).toBe(reference.has(u));
      }),
    );
  });

  it('works without a known capacity', () => {
    const set = new UserSet(0);
    for (let u = 0; u < 10_000; u++) set.add(u % 777);
    expect(set.size).toBe(777);
  });
});
