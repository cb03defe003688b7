import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CounterError,
  createCounter,
  deserializeCounter,
  ExactSet,
  HyperLogLog,
  type DistinctCounter,
} from '../../src/counters/index.js';
import type { CountMethod } from '../../src/types.js';
import { keyHi, keyLo } from './hashes.js';

type Key = readonly [number, number];

const half = fc.oneof(fc.constantFrom(0, 1, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));
const keys = fc.array(fc.tuple(half, half), { maxLength: 300 });

function distinct(...lists: (readonly Key[])[]): number {
  const seen = new Set<string>();
  for (const list of lists) for (const [hi, lo] of list) seen.add(`${hi}:${lo}`);
  return seen.size;
}

function counterOf(method: CountMethod, list: readonly Key[], precision?: number): DistinctCounter {
  const counter = createCounter(method, precision);
  for (const [hi, lo] of list) counter.add(hi, lo);
  return counter;
}

function streamKeys(seed: number, n: number): Key[] {
  const out: Key[] = [];
  for (let i = 0; i < n; i++) out.push([keyHi(seed, i), keyLo(seed, i)]);
  return out;
}

function expectCode(fn: () => unknown, code: CounterError['code']): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CounterError);
  expect((caught as CounterError).code).toBe(code);
}

describe('createCounter', () => {
  it('makes exact and hll counters that count like a Set', () => {
    fc.assert(
      fc.property(keys, (list) => {
        const exact = counterOf('exact', list);
        const hll = counterOf('hll', list);
        expect(exact.method).toBe('exact');
        expect(hll.method).toBe('hll');
        expect(exact.count()).toBe(distinct(list));
        expect(hll.count()).toBe(distinct(list)); // still sparse, so exact
      }),
      { numRuns: 100 },
    );
  });

  it('reports the relative error and memory of what it wraps', () => {
    const list = streamKeys(1, 30_000);
    expect(counterOf('exact', list).relativeError()).toBe(0);
    expect(createCounter('hll').relativeError()).toBe(0); // sparse: the count is exact
    expect(counterOf('hll', list).relativeError()).toBeCloseTo(1.04 / 128, 12);
    expect(counterOf('hll', list, 10).relativeError()).toBeCloseTo(1.04 / 32, 12);
    const exact = counterOf('exact', list);
    const set = new ExactSet();
    for (const [hi, lo] of list) set.add(hi, lo);
    expect(exact.byteLength).toBe(set.byteLength);
    expect(counterOf('hll', list).byteLength).toBe(16384);
    expect(counterOf('hll', list, 12).byteLength).toBe(4096);
  });

  it('estimates like the HyperLogLog it wraps', () => {
    const list = streamKeys(2, 50_000);
    const sketch = new HyperLogLog(12);
    for (const [hi, lo] of list) sketch.add(hi, lo);
    expect(counterOf('hll', list, 12).count()).toBe(sketch.estimate());
    expect(Math.abs(sketch.estimate() - 50_000) / 50_000).toBeLessThanOrEqual(3 * (1.04 / 64));
  });

  it('refuses an unknown method and a bad precision', () => {
    expectCode(() => createCounter('approx' as CountMethod), 'BAD_METHOD');
    expectCode(() => createCounter('hll', 3), 'BAD_PRECISION');
    expectCode(() => createCounter('hll', 19), 'BAD_PRECISION');
  });
});

describe('DistinctCounter.mergeFrom', () => {
  it('exact <- exact is the union', () => {
    fc.assert(
      fc.property(keys, keys, (a, b) => {
        const left = counterOf('exact', a);
        left.mergeFrom(counterOf('exact', b));
        expect(left.count()).toBe(distinct(a, b));
      }),
      { numRuns: 100 },
    );
  });

  it('hll <- hll and hll <- exact give the sketch of the union', () => {
    for (const [n, m] of [
      [300, 500],
      [1000, 1000],
      [20_000, 700],
      [800, 40_000],
      [30_000, 30_000],
    ] as const) {
      const a = streamKeys(3, n);
      const b = streamKeys(3, m).concat(streamKeys(4, m));
      const union = counterOf('hll', [...a, ...b]);
      const fromHll = counterOf('hll', a);
      fromHll.mergeFrom(counterOf('hll', b));
      const fromExact = counterOf('hll', a);
      fromExact.mergeFrom(counterOf('exact', b));
      expect(fromHll.serialize()[7]).toBe(union.serialize()[7]); // same encoding byte: sparse or dense
      expect(fromHll.count()).toBe(union.count());
      expect(fromExact.count()).toBe(union.count());
      if (union.count() > 2000) {
        // Dense: the bytes are a function of the registers only.
        expect(fromHll.serialize()).toEqual(union.serialize());
        expect(fromExact.serialize()).toEqual(union.serialize());
      } else {
        expect(union.count()).toBe(distinct(a, b));
      }
    }
  });

  it('exact <- hll and different precisions are refused', () => {
    expectCode(() => createCounter('exact').mergeFrom(createCounter('hll')), 'MERGE_MISMATCH');
    expectCode(() => createCounter('hll', 12).mergeFrom(createCounter('hll', 14)), 'MERGE_MISMATCH');
  });
});

describe('DistinctCounter.mergeSerialized', () => {
  it('is mergeFrom(deserializeCounter(bytes)) for every pair of methods, errors included', () => {
    const a = streamKeys(5, 3_000);
    const b = streamKeys(6, 2_000).concat(a.slice(0, 500));
    for (const into of ['exact', 'hll'] as const) {
      for (const from of ['exact', 'hll'] as const) {
        const bytes = counterOf(from, b).serialize();
        const direct = counterOf(into, a);
        const viaCounter = counterOf(into, a);
        const outcome = (fn: () => void): string => {
          try {
            fn();
            return 'ok';
          } catch (error) {
            return (error as CounterError).code;
          }
        };
        expect(outcome(() => direct.mergeSerialized(bytes))).toBe(
          outcome(() => viaCounter.mergeFrom(deserializeCounter(bytes))),
        );
        expect(direct.count()).toBe(viaCounter.count());
        expect(direct.relativeError()).toBe(viaCounter.relativeError());
        if (into === 'exact' && from === 'exact') expect(direct.count()).toBe(distinct(a, b));
      }
    }
    expectCode(() => createCounter('exact').mergeSerialized(createCounter('hll').serialize()), 'MERGE_MISMATCH');
    expectCode(() => createCounter('exact').mergeSerialized(new Uint8Array([0x45, 1, 2])), 'BAD_SERIALIZED');
    expectCode(() => createCounter('hll').mergeSerialized(new Uint8Array([0x7a])), 'BAD_SERIALIZED');
  });
});

describe('serialize and deserializeCounter', () => {
  it('round-trips both methods, method tag first', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<CountMethod>('exact', 'hll'),
        fc.nat({ max: 20_000 }),
        fc.nat(),
        (method, n, seed) => {
          const counter = counterOf(method, streamKeys(seed, n), 12);
          const bytes = counter.serialize();
          expect(String.fromCharCode(bytes[0]!)).toBe(method === 'exact' ? 'E' : 'H');
          const back = deserializeCounter(bytes);
          expect(back.method).toBe(method);
          expect(back.count()).toBe(counter.count());
          expect(back.relativeError()).toBe(counter.relativeError());
          expect(back.serialize().length).toBe(bytes.length);
          if (method === 'exact') expect(back.count()).toBe(n);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('rejects empty, unknown and damaged bytes with a typed error', () => {
    expectCode(() => deserializeCounter(new Uint8Array(0)), 'BAD_SERIALIZED');
    expectCode(() => deserializeCounter(Uint8Array.of(0x58, 1, 2, 3)), 'BAD_SERIALIZED');
    const exact = counterOf('exact', streamKeys(5, 10)).serialize();
    const hll = counterOf('hll', streamKeys(5, 10)).serialize();
    expectCode(() => deserializeCounter(exact.subarray(0, exact.length - 1)), 'BAD_SERIALIZED');
    const swapped = hll.slice();
    swapped[0] = exact[0]!; // an hll body under the exact tag
    expectCode(() => deserializeCounter(swapped), 'BAD_SERIALIZED');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expectCode(() => deserializeCounter(bytes), 'BAD_SERIALIZED');
      }),
      { numRuns: 200 },
    );
  });
});
