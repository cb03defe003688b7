/**
 * Fast stand-ins for uid hashes in tests: streams of distinct, well-mixed
 * 64-bit keys `(hi, lo)` made from a counter with 32-bit mixers, so millions
 * of them cost a fraction of a second and no allocation.
 */

const GOLDEN = 0x9e3779b9;

/** murmur3's 32-bit finalizer: a bijection on 32-bit words with good avalanche. */
function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Low half of the i-th key of stream `seed`. A bijection of i for a fixed
 * seed, so keys 0..2^32-1 of one stream are all distinct.
 */
export function keyLo(seed: number, i: number): number {
  return fmix32((i + Math.imul(seed, GOLDEN)) | 0);
}

/** High half of the i-th key of stream `seed`: two mixing rounds, so its bits look independent of keyLo's. */
export function keyHi(seed: number, i: number): number {
  return fmix32((fmix32(i ^ Math.imul(seed + 1, 0x632be5ab)) + GOLDEN) | 0);
}
