import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CounterError, ExactSet } from '../../src/counters/index.js';
import { EXACT_KEY_BYTES, EXACT_MAX_LOAD, EXACT_MIN_SLOTS } from '../../src/counters/exact-set.js';

const U32_MAX = 0xffffffff;

/** Keys that hit the edge cases often: (0, 0), tiny values that collide, sign bits, and anything. */
const half = fc.oneof(
  fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, U32_MAX),
  fc.integer({ min: 0, max: 7 }),
  fc.integer({ min: 0, max: U32_MAX }),
);
const key = fc.tuple(half, half);

const name = (hi: number, lo: number): string => `${hi}:${lo}`;

function contents(set: ExactSet): string[] {
  const out: string[] = [];
  const isU32 = (x: number): boolean => Number.isInteger(x) && x >= 0 && x <= U32_MAX;
  let notUnsigned = 0;
  set.forEach((hi, lo) => {
    if (!isU32(hi) || !isU32(lo)) notUnsigned++;
    out.push(name(hi, lo));
  });
  expect(notUnsigned).toBe(0);
  return out.sort();
}

function fromKeys(keys: readonly (readonly [number, number])[]): ExactSet {
  const set = new ExactSet();
  for (const [hi, lo] of keys) set.add(hi, lo);
  return set;
}

function expectBadSerialized(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CounterError);
  expect((caught as CounterError).code).toBe('BAD_SERIALIZED');
}

/** A fast 32-bit mixer (murmur3 finalizer), a bijection: distinct inputs give distinct outputs. */
function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

describe('ExactSet', () => {
  it('behaves like a Set of "hi:lo" strings under random adds and lookups', () => {
    const op = fc.record({ kind: fc.constantFrom('add', 'add', 'has'), key });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.nat({ max: 64 }), (ops, initialCapacity) => {
        const set = new ExactSet(initialCapacity);
        const reference = new Set<string>();
        for (const {
          kind,
          key: [hi, lo],
        } of ops) {
          const k = name(hi, lo);
          if (kind === 'add') {
            expect(set.add(hi, lo)).toBe(!reference.has(k));
            reference.add(k);
          } else {
            expect(set.has(hi, lo)).toBe(reference.has(k));
          }
          expect(set.size).toBe(reference.size);
        }
        expect(contents(set)).toEqual([...reference].sort());
      }),
      { numRuns: 300 },
    );
  });

  it('keeps (0, 0) apart from every other key, (0, 1) included', () => {
    const set = new ExactSet();
    expect(set.has(0, 0)).toBe(false);
    expect(set.add(0, 1)).toBe(true);
    expect(set.has(0, 0)).toBe(false);
    expect(set.add(0, 0)).toBe(true);
    expect(set.add(0, 0)).toBe(false);
    expect(set.has(0, 0)).toBe(true);
    expect(set.size).toBe(2);
    expect(contents(set)).toEqual(['0:0', '0:1']);
  });

  it('treats signed and unsigned halves as the same key', () => {
    const set = new ExactSet();
    expect(set.add(-1, -2)).toBe(true);
    expect(set.has(U32_MAX, U32_MAX - 1)).toBe(true);
    expect(set.add(U32_MAX, U32_MAX - 1)).toBe(false);
    expect(contents(set)).toEqual([name(U32_MAX, U32_MAX - 1)]);
  });

  it('grows through many doublings and keeps every key (100k well-mixed keys, each added twice)', () => {
    const set = new ExactSet();
    const reference = new Set<string>();
    const n = 100_000;
    let wrongAnswers = 0;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < n; i++) {
        const hi = fmix32(i + 0x1234567);
        const lo = fmix32(i);
        const k = name(hi, lo);
        if (set.add(hi, lo) !== !reference.has(k)) wrongAnswers++;
        reference.add(k);
      }
    }
    expect(wrongAnswers).toBe(0);
    expect(set.size).toBe(reference.size);
    expect(reference.size).toBe(n);
    let missing = 0;
    for (let i = 0; i < n; i++) if (!set.has(fmix32(i + 0x1234567), fmix32(i))) missing++;
    expect(missing).toBe(0);
    expect(set.has(fmix32(n + 0x1234567), fmix32(n))).toBe(false);
    expect(contents(set)).toEqual([...reference].sort());
  });

  it('holds its table between 1/2 and 1 of the chosen load factor, in power-of-two slots', () => {
    fc.assert(
      fc.property(fc.nat({ max: 5000 }), (n) => {
        const set = new ExactSet();
        for (let i = 0; i < n; i++) set.add(fmix32(i ^ 0xabcdef), fmix32(i));
        const slots = set.byteLength / EXACT_KEY_BYTES;
        expect(Number.isInteger(Math.log2(slots))).toBe(true);
        expect(set.size).toBeLessThanOrEqual(slots * EXACT_MAX_LOAD);
        if (slots > EXACT_MIN_SLOTS) expect(set.size).toBeGreaterThan((slots / 2) * EXACT_MAX_LOAD);
      }),
      { numRuns: 50 },
    );
  });

  it('does not grow before its initial capacity is reached', () => {
    fc.assert(
      fc.property(fc.nat({ max: 3000 }), (capacity) => {
        const set = new ExactSet(capacity);
        const bytes = set.byteLength;
        for (let i = 0; i < capacity; i++) set.add(fmix32(i), i);
        expect(set.byteLength).toBe(bytes);
        expect(set.size).toBe(capacity);
      }),
      { numRuns: 30 },
    );
  });

  it('refuses a capacity that is not a non-negative integer', () => {
    for (const capacity of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 40]) {
      expect(() => new ExactSet(capacity)).toThrow(CounterError);
      try {
        new ExactSet(capacity);
      } catch (error) {
        expect((error as CounterError).code).toBe('BAD_CAPACITY');
      }
    }
  });

  it('addAll is the union, counts the new keys and leaves the other set alone', () => {
    fc.assert(
      fc.property(fc.array(key, { maxLength: 300 }), fc.array(key, { maxLength: 300 }), (a, b) => {
        const left = fromKeys(a);
        const right = fromKeys(b);
        const leftKeys = new Set(a.map(([hi, lo]) => name(hi, lo)));
        const rightKeys = new Set(b.map(([hi, lo]) => name(hi, lo)));
        const union = new Set([...leftKeys, ...rightKeys]);
        const added = left.addAll(right);
        expect(added).toBe(union.size - leftKeys.size);
        expect(left.size).toBe(union.size);
        expect(contents(left)).toEqual([...union].sort());
        expect(contents(right)).toEqual([...rightKeys].sort());
      }),
      { numRuns: 200 },
    );
  });

  it('addAll from a much larger table into a small one keeps every key', () => {
    const big = new ExactSet();
    for (let i = 0; i < 50_000; i++) big.add(fmix32(i * 7 + 1), fmix32(i));
    const small = new ExactSet();
    small.add(1, 2);
    expect(small.addAll(big)).toBe(50_000);
    expect(small.size).toBe(50_001);
    for (let i = 0; i < 50_000; i += 97) expect(small.has(fmix32(i * 7 + 1), fmix32(i))).toBe(true);
  });

  it('clone copies the keys and shares nothing', () => {
    fc.assert(
      fc.property(fc.array(key, { maxLength: 200 }), key, (keys, [hi, lo]) => {
        const set = fromKeys(keys);
        const before = contents(set);
        const copy = set.clone();
        expect(contents(copy)).toEqual(before);
        copy.add(hi, lo);
        copy.add(fmix32(hi) ^ 1, lo);
        expect(contents(set)).toEqual(before);
      }),
      { numRuns: 100 },
    );
  });

  it('serializes to the keys only and reads them back', () => {
    fc.assert(
      fc.property(fc.array(key, { maxLength: 300 }), (keys) => {
        const set = fromKeys(keys);
        const bytes = set.serialize();
        expect(bytes.length).toBe(12 + EXACT_KEY_BYTES * set.size);
        const back = ExactSet.deserialize(bytes);
        expect(back.size).toBe(set.size);
        expect(contents(back)).toEqual(contents(set));
      }),
      { numRuns: 200 },
    );
  });

  it('writes each key as a little-endian u64 after the header', () => {
    const set = new ExactSet();
    set.add(0x01020304, 0x05060708);
    const bytes = set.serialize();
    expect([...bytes.subarray(0, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('UXS1');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(view.getUint32(8, true)).toBe(1);
    expect(view.getBigUint64(12, true)).toBe(0x0102030405060708n);
  });

  it('reads a serialization that sits inside a larger buffer', () => {
    const set = fromKeys([
      [1, 2],
      [3, 4],
      [0, 0],
    ]);
    const bytes = set.serialize();
    const outer = new Uint8Array(bytes.length + 10);
    outer.set(bytes, 5);
    expect(contents(ExactSet.deserialize(outer.subarray(5, 5 + bytes.length)))).toEqual(contents(set));
  });

  it('rejects random bytes with a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expectBadSerialized(() => ExactSet.deserialize(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects every truncation and every extension of a valid serialization', () => {
    const bytes = fromKeys([
      [1, 2],
      [0xdeadbeef, 0xcafebabe],
    ]).serialize();
    for (let length = 0; length < bytes.length; length++) {
      expectBadSerialized(() => ExactSet.deserialize(bytes.slice(0, length)));
    }
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expectBadSerialized(() => ExactSet.deserialize(longer));
  });

  it('rejects a damaged header, a wrong count, a duplicate key and non-bytes', () => {
    const good = fromKeys([
      [1, 2],
      [3, 4],
    ]).serialize();
    const damaged = (at: number, value: number): Uint8Array => {
      const copy = good.slice();
      copy[at] = value;
      return copy;
    };
    expectBadSerialized(() => ExactSet.deserialize(damaged(0, 0x41))); // magic
    expectBadSerialized(() => ExactSet.deserialize(damaged(4, 2))); // version
    expectBadSerialized(() => ExactSet.deserialize(damaged(6, 1))); // reserved
    expectBadSerialized(() => ExactSet.deserialize(damaged(8, 3))); // count
    expectBadSerialized(() => ExactSet.deserialize(damaged(11, 0xff))); // count
    const duplicate = good.slice();
    duplicate.copyWithin(20, 12, 20);
    expectBadSerialized(() => ExactSet.deserialize(duplicate));
    expectBadSerialized(() => ExactSet.deserialize('UXS1' as unknown as Uint8Array));
    expect(ExactSet.deserialize(good).size).toBe(2);
  });

  it('addSerialized is addAll of the deserialized set: the same keys, the same count of new ones', () => {
    fc.assert(
      fc.property(fc.array(key, { maxLength: 300 }), fc.array(key, { maxLength: 300 }), fc.nat(16), (a, b, pad) => {
        const viaSet = fromKeys(a);
        const direct = fromKeys(a);
        const serialized = fromKeys(b).serialize();
        // The bytes may sit inside a larger buffer, as a record's value does.
        const inside = new Uint8Array(pad + serialized.length + pad);
        inside.set(serialized, pad);
        expect(direct.addSerialized(inside.subarray(pad, pad + serialized.length))).toBe(
          viaSet.addAll(ExactSet.deserialize(serialized)),
        );
        expect(contents(direct)).toEqual(contents(viaSet));
      }),
      { numRuns: 200 },
    );
  });

  it('addSerialized rejects what deserialize rejects, bar a duplicate key, and leaves the set alone then', () => {
    const good = fromKeys([
      [1, 2],
      [3, 4],
    ]).serialize();
    const set = fromKeys([[5, 6]]);
    expectBadSerialized(() => set.addSerialized(good.slice(0, good.length - 1)));
    const damaged = good.slice();
    damaged[0] = 0x41;
    expectBadSerialized(() => set.addSerialized(damaged));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expectBadSerialized(() => set.addSerialized(bytes));
      }),
      { numRuns: 300 },
    );
    expect(contents(set)).toEqual(['5:6']);
    const duplicate = good.slice();
    duplicate.copyWithin(20, 12, 20);
    expect(set.addSerialized(duplicate)).toBe(1);
    expect(contents(set)).toEqual(['1:2', '5:6']);
  });
});
