import fc from 'fast-check';
import { GRANULARITIES, type WindowResult } from '@uniqstream/core';

const seconds = fc.integer({ min: 0, max: 2 ** 32 });
const count = fc.oneof(fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));

/** Results as core emits them: `error` only for 'hll'. */
export const windowResult: fc.Arbitrary<WindowResult> = fc
  .record({
    window: fc.constantFrom(...GRANULARITIES),
    start: seconds,
    length: fc.integer({ min: 1, max: 366 * 86_400 }),
    users: count,
    frames: count,
    revision: fc.nat({ max: 10_000 }),
    final: fc.boolean(),
    hll: fc.boolean(),
    error: fc.double({ min: 1e-6, max: 0.5, noNaN: true }),
  })
  .map((r): WindowResult => {
    const base = {
      window: r.window,
      start: r.start,
      end: r.start + r.length,
      users: r.users,
      frames: r.frames,
      revision: r.revision,
      final: r.final,
    };
    return r.hll ? { ...base, method: 'hll', error: r.error } : { ...base, method: 'exact' };
  });
