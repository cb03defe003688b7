/**
 * The 64-bit uid hash: the first two words of MurmurHash3_x86_128 (seed 0)
 * over the uid's UTF-8 bytes. Its four 32-bit lanes are mixed into each other
 * after every 16-byte block and again around the final avalanche, so both
 * output words depend on every input bit; it passes SMHasher. Only 32-bit
 * `Math.imul` arithmetic is used, which V8 compiles to plain machine
 * multiplies (no BigInt, no allocation).
 */

/** Somewhere to put the 64 bits; `DecodedFrame` fits. */
export interface UidHash {
  uidHi: number;
  uidLo: number;
}

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;
const BLOCK_BYTES = 16;
const WORD_BYTES = 4;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Little-endian 32-bit word at `i`; the caller guarantees 4 bytes are there. */
function word(bytes: Uint8Array, i: number): number {
  return bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
}

/** Up to 4 tail bytes from `i` (exclusive `end`) as a little-endian word. */
function tailWord(bytes: Uint8Array, i: number, end: number): number {
  let k = 0;
  for (let shift = 0; i < end; i++, shift += 8) k |= bytes[i]! << shift;
  return k;
}

/**
 * MurmurHash3_x86_128 of `bytes[start, end)` with `seed`; writes the four
 * 32-bit words of the digest (h1..h4, unsigned) to `digest`. Exact port of the
 * reference C++ (checked against SMHasher's verification value in the tests).
 */
export function murmur3x86128(bytes: Uint8Array, start: number, end: number, seed: number, digest: Uint32Array): void {
  const length = end - start;
  let h1 = seed | 0;
  let h2 = h1;
  let h3 = h1;
  let h4 = h1;
  let i = start;
  for (const blocksEnd = start + (length & ~(BLOCK_BYTES - 1)); i < blocksEnd; i += BLOCK_BYTES) {
    h1 ^= Math.imul(rotl(Math.imul(word(bytes, i), C1), 15), C2);
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    h2 ^= Math.imul(rotl(Math.imul(word(bytes, i + 4), C2), 16), C3);
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    h3 ^= Math.imul(rotl(Math.imul(word(bytes, i + 8), C3), 17), C4);
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    h4 ^= Math.imul(rotl(Math.imul(word(bytes, i + 12), C4), 18), C1);
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  // The tail (0-15 bytes) feeds whole or partial words into lanes 1..4 in
  // order; a lane whose word is absent is left alone, as in the reference.
  const tail = end - i;
  if (tail > 3 * WORD_BYTES) h4 ^= Math.imul(rotl(Math.imul(tailWord(bytes, i + 12, end), C4), 18), C1);
  if (tail > 2 * WORD_BYTES)
    h3 ^= Math.imul(rotl(Math.imul(tailWord(bytes, i + 8, Math.min(end, i + 12)), C3), 17), C4);
  if (tail > WORD_BYTES) h2 ^= Math.imul(rotl(Math.imul(tailWord(bytes, i + 4, Math.min(end, i + 8)), C2), 16), C3);
  if (tail > 0) h1 ^= Math.imul(rotl(Math.imul(tailWord(bytes, i, Math.min(end, i + 4)), C1), 15), C2);

  h1 ^= length;
  h2 ^= length;
  h3 ^= length;
  h4 ^= length;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  digest[0] = h1;
  digest[1] = h2;
  digest[2] = h3;
  digest[3] = h4;
}

const digest = new Uint32Array(4);

/** Hashes the uid bytes `bytes[start, end)` into `out` (both words unsigned). */
export function hashUid(bytes: Uint8Array, start: number, end: number, out: UidHash): void {
  murmur3x86128(bytes, start, end, 0, digest);
  out.uidHi = digest[0]!;
  out.uidLo = digest[1]!;
}

const encoder = new TextEncoder();
const INITIAL_ENCODED_BYTES = 64;
/** Grows as needed; a uid is small, so this stays a few bytes for the life of the process. */
let encoded = new Uint8Array(INITIAL_ENCODED_BYTES);
// A UTF-16 code unit never takes more than 3 UTF-8 bytes (a surrogate pair
// takes 4 for 2 units).
const MAX_UTF8_BYTES_PER_UNIT = 3;

/**
 * Hashes the UTF-8 encoding of `s` into `out`. A lone surrogate (which JSON's
 * `\ud800` escape can produce) encodes as U+FFFD, as TextEncoder does.
 */
export function hashStringInto(s: string, out: UidHash): void {
  if (encoded.length < s.length * MAX_UTF8_BYTES_PER_UNIT) encoded = new Uint8Array(s.length * MAX_UTF8_BYTES_PER_UNIT);
  const { written } = encoder.encodeInto(s, encoded);
  hashUid(encoded, 0, written, out);
}

/** The uid hash of a string, as [hi, lo]; for tests, references and tools. */
export function hashString(s: string): [hi: number, lo: number] {
  const out = { uidHi: 0, uidLo: 0 };
  hashStringInto(s, out);
  return [out.uidHi, out.uidLo];
}
