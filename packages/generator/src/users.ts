import { mix32, seedWords } from './random.js';

/** A uid is 3 + 16 lowercase hex characters, as in the challenge's sample. */
export const UID_LENGTH = 19;
/** Hex digits taken from the high word: 19 - 16. */
const HIGH_DIGITS = 3;
const WORD_DIGITS = 8;
const HEX = new TextEncoder().encode('0123456789abcdef');
const NIBBLE_MASK = 0xf;
const NIBBLE_BITS = 4;
/** Indices must fit 32 bits: the low word is a bijection of the index. */
export const MAX_USERS = 0x1_0000_0000;

/**
 * Turns user indices into uids, deterministically per seed. The last 8 hex
 * digits are a bijection of the index (an xor with a seed key, then mix32),
 * so distinct users always get distinct uids and a set of user indices has
 * exactly as many members as the set of their uids.
 */
export class UserIds {
  private readonly keyLow: number;
  private readonly keyMid: number;
  private readonly keyHigh: number;

  constructor(seed: number) {
    const [lo, hi] = seedWords(seed);
    this.keyLow = mix32(lo ^ 0x5bd1e995) ^ hi;
    this.keyMid = mix32(hi ^ 0x27d4eb2f) ^ lo;
    this.keyHigh = mix32(lo + 0x165667b1) ^ mix32(hi);
  }

  /** Writes the uid's 19 ASCII bytes at `pos`; returns the position after them. */
  write(user: number, out: Uint8Array, pos: number): number {
    const low = mix32(user ^ this.keyLow);
    const mid = mix32(mix32(user ^ this.keyMid) + this.keyLow);
    const high = mix32(user ^ this.keyHigh);
    let p = pos;
    for (let i = HIGH_DIGITS - 1; i >= 0; i--) out[p++] = HEX[(high >>> (i * NIBBLE_BITS)) & NIBBLE_MASK]!;
    for (let i = WORD_DIGITS - 1; i >= 0; i--) out[p++] = HEX[(mid >>> (i * NIBBLE_BITS)) & NIBBLE_MASK]!;
    for (let i = WORD_DIGITS - 1; i >= 0; i--) out[p++] = HEX[(low >>> (i * NIBBLE_BITS)) & NIBBLE_MASK]!;
    return p;
  }

  /** The uid of `user` as a string. */
  uid(user: number): string {
    const bytes = new Uint8Array(UID_LENGTH);
    this.write(user, bytes, 0);
    return String.fromCharCode(...bytes);
  }
}

/** The uid the generator gives user `user` (0-based) for `seed`. */
export function userId(seed: number, user: number): string {
  return new UserIds(seed).uid(user);
}
