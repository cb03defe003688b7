import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CounterError,
  ExactSet,
  HLL_DEFAULT_PRECISION,
  HLL_MAX_PRECISION,
  HLL_MIN_PRECISION,
  HyperLogLog,
} from '../../src/counters/index.js';
import { keyHi, keyLo } from './hashes.js';

type Key = readonly [number, number];

const U32_MAX = 0xffffffff;
const HEADER_BYTES = 8;

/** Halves that reach the edge cases: all-zero rank bits, index-only words, sign bits. */
const half = fc.oneof(
  fc.constantFrom(0, 1, 0x80000000, U32_MAX, 0xfffc0000, 0x0003ffff),
  fc.integer({ min: 0, max: U32_MAX }),
);
const key = fc.tuple(half, half);

/** Registers computed the slow, obvious way: BigInt and a string of 64 bits. */
function referenceRegisters(keys: Iterable<Key>, precision: number): Uint8Array {
  const registers = new Uint8Array(1 << precision);
  for (const [hi, lo] of keys) {
    const bits = ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(2).padStart(64, '0');
    const index = Number.parseInt(bits.slice(0, precision), 2);
    const firstOne = bits.slice(precision).indexOf('1');
    const rank = firstOne === -1 ? 64 - precision + 1 : firstOne + 1;
    registers[index] = Math.max(registers[index]!, rank);
  }
  return registers;
}

/** The registers of a dense serialization, read bit by bit as a little-endian stream of 6-bit fields. */
function serializedRegisters(sketch: HyperLogLog): Uint8Array {
  const bytes = sketch.serialize();
  expect(bytes[6]).toBe(1); // dense encoding
  const body = bytes.subarray(HEADER_BYTES);
  const m = 1 << sketch.precision;
  expect(body.length).toBe((m * 6) / 8);
  const registers = new Uint8Array(m);
  for (let i = 0; i < m; i++) {
    let value = 0;
    for (let b = 0; b < 6; b++) {
      const bit = i * 6 + b;
      value |= ((body[bit >> 3]! >> (bit & 7)) & 1) << b;
    }
    registers[i] = value;
  }
  return registers;
}

/** The exact hashes of a sparse serialization, as "hi:lo" strings. */
function serializedKeys(sketch: HyperLogLog): string[] {
  const bytes = sketch.serialize();
  expect(bytes[6]).toBe(0); // sparse encoding
  const out: string[] = [];
  ExactSet.deserialize(bytes.subarray(HEADER_BYTES)).forEach((hi, lo) => {
    out.push(`${hi}:${lo}`);
  });
  return out.sort();
}

function distinct(keys: Iterable<Key>): number {
  const seen = new Set<string>();
  for (const [hi, lo] of keys) seen.add(`${hi >>> 0}:${lo >>> 0}`);
  return seen.size;
}

function sketchOf(keys: Iterable<Key>, precision: number): HyperLogLog {
  const sketch = new HyperLogLog(precision);
  for (const [hi, lo] of keys) sketch.add(hi, lo);
  return sketch;
}

/** Two sketches hold the same state: both sparse with the same hashes, or both dense with the same registers. */
function expectSameSketch(actual: HyperLogLog, expected: HyperLogLog): void {
  expect(actual.precision).toBe(expected.precision);
  expect(actual.isSparse).toBe(expected.isSparse);
  if (expected.isSparse) expect(serializedKeys(actual)).toEqual(serializedKeys(expected));
  else expect(serializedRegisters(actual)).toEqual(serializedRegisters(expected));
  expect(actual.estimate()).toBe(expected.estimate());
}

function streamKeys(seed: number, from: number, to: number): Key[] {
  const keys: Key[] = [];
  for (let i = from; i < to; i++) keys.push([keyHi(seed, i), keyLo(seed, i)]);
  return keys;
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

describe('HyperLogLog', () => {
  it('accepts precisions 4..18 (default 14) and refuses the rest', () => {
    expect(new HyperLogLog().precision).toBe(HLL_DEFAULT_PRECISION);
    expect(HLL_DEFAULT_PRECISION).toBe(14);
    for (let p = HLL_MIN_PRECISION; p <= HLL_MAX_PRECISION; p++) {
      const sketch = new HyperLogLog(p);
      expect(sketch.relativeError).toBeCloseTo(1.04 / Math.sqrt(2 ** p), 12);
      expect(sketch.estimate()).toBe(0);
    }
    for (const p of [3, 19, 0, -14, 14.5, Number.NaN]) expectCode(() => new HyperLogLog(p), 'BAD_PRECISION');
  });

  it('counts exactly while sparse, within the dense size, and turns dense where an exact set would outgrow it', () => {
    for (let p = HLL_MIN_PRECISION; p <= HLL_MAX_PRECISION; p++) {
      const m = 2 ** p;
      const sketch = new HyperLogLog(p);
      const reference = new ExactSet();
      expect(sketch.isSparse).toBe(p >= 6);
      let i = 0;
      let wrong = 0;
      while (sketch.isSparse) {
        if (sketch.byteLength > m) wrong++;
        const hi = keyHi(p, i);
        const lo = keyLo(p, i);
        sketch.add(hi, lo);
        sketch.add(hi, lo); // a repeat changes nothing
        reference.add(hi, lo);
        i++;
        if (sketch.isSparse !== reference.byteLength <= m) wrong++;
        if (sketch.isSparse && sketch.estimate() !== i) wrong++;
      }
      expect(wrong, `p=${p}`).toBe(0);
      expect(sketch.byteLength).toBe(m);
      if (p >= 6)
        expect(i).toBeGreaterThan(m / 8 / 2); // it kept hashes up to at least half-full 8-byte slots
      else expect(i).toBe(0); // the smallest exact table is already larger than the registers
    }
  });

  it('is exact while sparse for any keys, repeats and (0, 0) included', () => {
    fc.assert(
      fc.property(fc.array(key, { maxLength: 1500 }), (keys) => {
        const sketch = sketchOf([...keys, ...keys], HLL_DEFAULT_PRECISION);
        expect(sketch.isSparse).toBe(true);
        expect(sketch.estimate()).toBe(distinct(keys));
      }),
      { numRuns: 50 },
    );
  });

  it('sets the registers from the top p bits and the leading zeros of the rest', () => {
    fc.assert(
      fc.property(fc.array(key, { minLength: 1, maxLength: 200 }), fc.integer({ min: 4, max: 12 }), (keys, p) => {
        const sketch = sketchOf(keys, p);
        // Densify with keys of its own so every precision is checked dense.
        const extra = streamKeys(p + 100, 0, 2 ** p);
        for (const [hi, lo] of extra) sketch.add(hi, lo);
        expect(sketch.isSparse).toBe(false);
        expect(serializedRegisters(sketch)).toEqual(referenceRegisters([...keys, ...extra], p));
      }),
      { numRuns: 60 },
    );
  });

  it('takes signed halves as the same hash', () => {
    const a = sketchOf(streamKeys(7, 0, 5000), 10);
    const b = sketchOf(
      streamKeys(7, 0, 5000).map(([hi, lo]) => [hi | 0, lo | 0] as const),
      10,
    );
    expectSameSketch(b, a);
  });

  it('estimates within 3 standard errors once dense, for several seeds and precisions', () => {
    for (const p of [8, 10, 12, 14, 16]) {
      const bound = 3 * (1.04 / Math.sqrt(2 ** p));
      for (const n of [2 ** p, 10 * 2 ** p, 50_000]) {
        for (let seed = 1; seed <= 4; seed++) {
          const sketch = new HyperLogLog(p);
          for (let i = 0; i < n; i++) sketch.add(keyHi(seed, i), keyLo(seed, i));
          if (sketch.isSparse) continue; // exactness is covered above
          const error = Math.abs(sketch.estimate() - n) / n;
          expect(error, `p=${p} n=${n} seed=${seed}`).toBeLessThanOrEqual(bound);
        }
      }
    }
  });

  it('merged sketches equal the sketch of the union, sparse or dense on either side', () => {
    const keys = fc.array(key, { maxLength: 120 });
    fc.assert(
      fc.property(keys, keys, keys, fc.constantFrom(6, 8), (onlyA, onlyB, both, p) => {
        const a = sketchOf([...onlyA, ...both], p);
        const b = sketchOf([...both, ...onlyB], p);
        const union = sketchOf([...onlyB, ...both, ...onlyA], p);
        const ab = a.clone();
        ab.merge(b);
        expectSameSketch(ab, union);
        const ba = b.clone();
        ba.merge(a);
        expectSameSketch(ba, union);
        if (!union.isSparse)
          expect(serializedRegisters(ab)).toEqual(referenceRegisters([...onlyA, ...onlyB, ...both], p));
      }),
      { numRuns: 300 },
    );
  });

  it('merges every combination at the default precision', () => {
    const small = streamKeys(1, 0, 1000); // sparse
    const overlap = streamKeys(1, 600, 1600); // sparse, but the union of the two is not
    const large = streamKeys(1, 1200, 60_000); // dense
    const other = streamKeys(2, 0, 40_000); // dense
    const cases: [Key[], Key[]][] = [
      [small, small],
      [small, overlap],
      [small, large],
      [large, small],
      [large, other],
    ];
    for (const [left, right] of cases) {
      const merged = sketchOf(left, 14);
      merged.merge(sketchOf(right, 14));
      expectSameSketch(merged, sketchOf([...right, ...left], 14));
    }
    expect(sketchOf(small, 14).isSparse).toBe(true);
    expect(sketchOf(overlap, 14).isSparse).toBe(true);
    expect(sketchOf([...small, ...overlap], 14).isSparse).toBe(false);
  });

  it('merging with itself changes nothing, and different precisions do not merge', () => {
    const sketch = sketchOf(streamKeys(3, 0, 3000), 12);
    const before = sketch.clone();
    sketch.merge(sketch);
    expectSameSketch(sketch, before);
    expectCode(() => sketch.merge(new HyperLogLog(13)), 'MERGE_MISMATCH');
  });

  it('clone copies the state and shares nothing', () => {
    for (const n of [100, 20_000]) {
      const sketch = sketchOf(streamKeys(4, 0, n), 14);
      const before = sketch.clone();
      const copy = sketch.clone();
      for (const [hi, lo] of streamKeys(5, 0, 30_000)) copy.add(hi, lo);
      expectSameSketch(sketch, before);
      expect(copy.estimate()).not.toBe(sketch.estimate());
    }
  });

  it('serializes sparse and dense sketches and reads them back to the same state', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 4, max: 16 }), fc.nat(), (n, p, seed) => {
        const sketch = sketchOf(streamKeys(seed, 0, n), p);
        const back = HyperLogLog.deserialize(sketch.serialize());
        expectSameSketch(back, sketch);
        // It goes on as the original would.
        const more = streamKeys(seed + 1, 0, 2000);
        for (const [hi, lo] of more) {
          back.add(hi, lo);
          sketch.add(hi, lo);
        }
        expectSameSketch(back, sketch);
      }),
      { numRuns: 60 },
    );
  });

  it('packs dense registers in 6 bits each', () => {
    const sketch = sketchOf(streamKeys(9, 0, 100_000), 14);
    expect(sketch.serialize().length).toBe(HEADER_BYTES + (16384 * 6) / 8);
  });

  it('rejects random bytes, truncations and damaged headers with a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expectCode(() => HyperLogLog.deserialize(bytes), 'BAD_SERIALIZED');
      }),
      { numRuns: 300 },
    );
    for (const n of [10, 50_000]) {
      const good = sketchOf(streamKeys(11, 0, n), 10).serialize();
      for (let length = 0; length < good.length; length += length < 40 ? 1 : 97) {
        expectCode(() => HyperLogLog.deserialize(good.slice(0, length)), 'BAD_SERIALIZED');
      }
      const damaged = (at: number, value: number): Uint8Array => {
        const copy = good.slice();
        copy[at] = value;
        return copy;
      };
      expectCode(() => HyperLogLog.deserialize(damaged(1, 0)), 'BAD_SERIALIZED'); // magic
      expectCode(() => HyperLogLog.deserialize(damaged(4, 9)), 'BAD_SERIALIZED'); // version
      expectCode(() => HyperLogLog.deserialize(damaged(5, 3)), 'BAD_SERIALIZED'); // precision too small
      expectCode(() => HyperLogLog.deserialize(damaged(5, 19)), 'BAD_SERIALIZED'); // precision too large
      // The exact hashes of a sparse body fit any precision; dense registers do not.
      if (n > 1000) expectCode(() => HyperLogLog.deserialize(damaged(5, 11)), 'BAD_SERIALIZED');
      expectCode(() => HyperLogLog.deserialize(damaged(6, 7)), 'BAD_SERIALIZED'); // encoding
      expectCode(() => HyperLogLog.deserialize(damaged(7, 1)), 'BAD_SERIALIZED'); // reserved
      expect(HyperLogLog.deserialize(good).estimate()).toBe(sketchOf(streamKeys(11, 0, n), 10).estimate());
    }
  });

  it('rejects a register above the largest possible rank', () => {
    const p = 4;
    const good = sketchOf(streamKeys(12, 0, 1000), p).serialize();
    const tooHigh = good.slice();
    // Register 0 lives in the low 6 bits of the first body byte; 64 - 4 + 1 = 61 is the largest rank.
    tooHigh[HEADER_BYTES] = (tooHigh[HEADER_BYTES]! & 0xc0) | 62;
    expectCode(() => HyperLogLog.deserialize(tooHigh), 'BAD_SERIALIZED');
    const highest = good.slice();
    highest[HEADER_BYTES] = (highest[HEADER_BYTES]! & 0xc0) | 61;
    expect(serializedRegisters(HyperLogLog.deserialize(highest))[0]).toBe(61);
  });
});
