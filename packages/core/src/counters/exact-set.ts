import { CounterError } from './counter-error.js';

/**
 * Words per slot: a key is stored as its two 32-bit halves side by side, so a
 * probe touches one cache line for both.
 */
const SLOT_WORDS = 2;
/** Bytes one key takes in a table slot and in the serialized form. */
export const EXACT_KEY_BYTES = 8;
/** The smallest table; a window that sees a handful of users stays small. */
export const EXACT_MIN_SLOTS = 8;
/** Tables never grow beyond this many slots (8 GiB); past it a set is refused. */
const MAX_SLOTS = 2 ** 30;
/**
 * The table doubles once it is more than this full. Measured with 1.8e5 and
 * 1.5e6 distinct well-mixed keys, each added about ten times in random order
 * (sizes where 0.5 and 0.75 give different tables): 0.75 holds them in half
 * the memory of 0.5 at about the same speed (in cache 18.8 vs 16.3 M adds/s,
 * out of cache 7.8 vs 9.1, both within this shared machine's +-20% noise),
 * while near 85% full (allowed by 0.875) adds were ~1.8x slower.
 */
export const EXACT_MAX_LOAD = 0.75;

/** Multiplier of the slot mixer (2^32 / golden ratio, odd). */
const MIX_A = 0x9e3779b1;
/** Second multiplier of the slot mixer (from murmur3's finalizer, odd). */
const MIX_B = 0x85ebca6b;

/** Serialized form: "UXS" + format byte, a version, 3 reserved bytes, a u32 count, then the keys. */
const MAGIC = [0x55, 0x58, 0x53, 0x31] as const;
const VERSION = 1;
const HEADER_BYTES = 12;
const VERSION_OFFSET = 4;
const RESERVED_OFFSET = 5;
const RESERVED_BYTES = 3;
const COUNT_OFFSET = 8;
const LO_OFFSET = 0;
const HI_OFFSET = 4;

/** How many slots a table needs so `keys` keys fit without growing. */
function slotsFor(keys: number): number {
  let slots = EXACT_MIN_SLOTS;
  while (Math.floor(slots * EXACT_MAX_LOAD) < keys) {
    slots *= 2;
    if (slots > MAX_SLOTS) throw new CounterError('BAD_CAPACITY', `an exact set cannot hold ${keys} keys`);
  }
  return slots;
}

/**
 * Home slot of a key, before masking. The keys are uid hashes and already
 * well mixed, so `lo` alone would do; the two multiplies keep the table fast
 * for keys that are not (small integers in tests, one half constant) at a
 * cost far below that of the memory access that follows. The low bits of the
 * result pick the slot, so walking a larger table in slot order and adding
 * into a smaller one spreads the keys evenly (no clustering in `addAll`).
 */
function home(hi: number, lo: number): number {
  const h = Math.imul(lo ^ Math.imul(hi, MIX_A), MIX_B);
  return h ^ (h >>> 16);
}

/**
 * A set of 64-bit keys, given as unsigned 32-bit halves `(hi, lo)`: an
 * open-addressing hash table with linear probing, stored flat in one
 * Int32Array (no object, string or BigInt per key).
 *
 * An all-zero slot marks "empty", so the key (0, 0) cannot live in the table.
 * It is kept in a flag beside it instead of being remapped to another key,
 * which makes the set exact for every key at the price of one branch that
 * the hot path needs anyway.
 */
export class ExactSet {
  private table: Int32Array;
  private mask: number;
  /** Keys in the table, not counting (0, 0). */
  private stored = 0;
  private growAt: number;
  private hasZero = false;

  /** @param initialCapacity keys the set should hold before its first growth. */
  constructor(initialCapacity = 0) {
    if (!Number.isSafeInteger(initialCapacity) || initialCapacity < 0) {
      throw new CounterError('BAD_CAPACITY', `initial capacity must be a non-negative integer, got ${initialCapacity}`);
    }
    const slots = slotsFor(initialCapacity);
    this.table = new Int32Array(slots * SLOT_WORDS);
    this.mask = slots - 1;
    this.growAt = Math.floor(slots * EXACT_MAX_LOAD);
  }

  /** Adds a key; true if it was not in the set. */
  add(hi: number, lo: number): boolean {
    // Int32 on both sides of every comparison, whether callers pass the
    // unsigned halves or signed ones from Math.imul.
    hi |= 0;
    lo |= 0;
    if ((hi | lo) === 0) {
      if (this.hasZero) return false;
      this.hasZero = true;
      return true;
    }
    const table = this.table;
    const mask = this.mask;
    let slot = home(hi, lo) & mask;
    for (;;) {
      const at = slot * SLOT_WORDS;
      const h = table[at]!;
      const l = table[at + 1]!;
      if (h === hi && l === lo) return false;
      if ((h | l) === 0) {
        table[at] = hi;
        table[at + 1] = lo;
        if (++this.stored > this.growAt) this.grow();
        return true;
      }
      slot = (slot + 1) & mask;
    }
  }

  has(hi: number, lo: number): boolean {
    hi |= 0;
    lo |= 0;
    if ((hi | lo) === 0) return this.hasZero;
    const table = this.table;
    const mask = this.mask;
    let slot = home(hi, lo) & mask;
    for (;;) {
      const at = slot * SLOT_WORDS;
      const h = table[at]!;
      const l = table[at + 1]!;
      if (h === hi && l === lo) return true;
      if ((h | l) === 0) return false;
      slot = (slot + 1) & mask;
    }
  }

  get size(): number {
    return this.hasZero ? this.stored + 1 : this.stored;
  }

  /** Memory held by the table, in bytes. */
  get byteLength(): number {
    return this.table.byteLength;
  }

  /** Calls `fn` with every key as unsigned halves, in no particular order. */
  forEach(fn: (hi: number, lo: number) => void): void {
    if (this.hasZero) fn(0, 0);
    const table = this.table;
    for (let at = 0; at < table.length; at += SLOT_WORDS) {
      const h = table[at]!;
      const l = table[at + 1]!;
      if ((h | l) !== 0) fn(h >>> 0, l >>> 0);
    }
  }

  /** Adds every key of `other` (union in place); returns how many were new. */
  addAll(other: ExactSet): number {
    const before = this.size;
    // The union has at least this many keys: growing once up front saves
    // the intermediate doublings.
    this.reserve(Math.max(this.stored, other.stored));
    if (other.hasZero) this.add(0, 0);
    const table = other.table;
    for (let at = 0; at < table.length; at += SLOT_WORDS) {
      const h = table[at]!;
      const l = table[at + 1]!;
      if ((h | l) !== 0) this.add(h, l);
    }
    return this.size - before;
  }

  /** A copy that shares nothing with this set. */
  clone(): ExactSet {
    const copy = new ExactSet();
    copy.table = this.table.slice();
    copy.mask = this.mask;
    copy.stored = this.stored;
    copy.growAt = this.growAt;
    copy.hasZero = this.hasZero;
    return copy;
  }

  /**
   * The keys only, little-endian: a 12-byte header (magic "UXS1", version,
   * 3 reserved zero bytes, u32 count) then each key as a u64 (lo word first).
   */
  serialize(): Uint8Array {
    const count = this.size;
    const bytes = new Uint8Array(HEADER_BYTES + count * EXACT_KEY_BYTES);
    bytes.set(MAGIC, 0);
    bytes[VERSION_OFFSET] = VERSION;
    const view = new DataView(bytes.buffer);
    view.setUint32(COUNT_OFFSET, count, true);
    let offset = HEADER_BYTES;
    if (this.hasZero) offset += EXACT_KEY_BYTES;
    // A plain loop, not forEach: a share is serialized at every revision of its window, and the callback cost
    // twice the copy.
    const table = this.table;
    for (let at = 0; at < table.length; at += SLOT_WORDS) {
      const hi = table[at]!;
      const lo = table[at + 1]!;
      if ((hi | lo) === 0) continue;
      view.setInt32(offset + LO_OFFSET, lo, true);
      view.setInt32(offset + HI_OFFSET, hi, true);
      offset += EXACT_KEY_BYTES;
    }
    return bytes;
  }

  /** Reads what `serialize` wrote; throws CounterError `BAD_SERIALIZED` on anything else. */
  static deserialize(bytes: Uint8Array): ExactSet {
    const count = serializedCount(bytes);
    let set: ExactSet;
    try {
      set = new ExactSet(count);
    } catch (cause) {
      throw bad(`cannot hold ${count} keys`, cause);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let offset = HEADER_BYTES; offset < bytes.length; offset += EXACT_KEY_BYTES) {
      const lo = view.getUint32(offset + LO_OFFSET, true);
      const hi = view.getUint32(offset + HI_OFFSET, true);
      if (!set.add(hi, lo)) throw bad(`key ${hi.toString(16)}:${lo.toString(16)} appears twice`);
    }
    return set;
  }

  /**
   * Adds every key of what `serialize` wrote (union in place), as
   * addAll(deserialize(bytes)) does without building that set first: a
   * merge unites each partition's share of a window this way. Returns how
   * many keys were new. Throws CounterError `BAD_SERIALIZED` as
   * deserialize does, except for a key written twice, which a union does
   * not need to notice.
   */
  addSerialized(bytes: Uint8Array): number {
    const count = serializedCount(bytes);
    const before = this.size;
    this.reserve(Math.max(this.stored, count));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let offset = HEADER_BYTES; offset < bytes.length; offset += EXACT_KEY_BYTES) {
      this.add(view.getUint32(offset + HI_OFFSET, true), view.getUint32(offset + LO_OFFSET, true));
    }
    return this.size - before;
  }

  /** Grows the table, if needed, so that `keys` keys fit without growing again. */
  private reserve(keys: number): void {
    if (keys > this.growAt) this.rehash(slotsFor(keys));
  }

  private grow(): void {
    const slots = (this.mask + 1) * 2;
    if (slots > MAX_SLOTS) {
      throw new CounterError('BAD_CAPACITY', `an exact set cannot hold more than ${this.stored - 1} keys`);
    }
    this.rehash(slots);
  }

  private rehash(slots: number): void {
    const old = this.table;
    const table = new Int32Array(slots * SLOT_WORDS);
    const mask = slots - 1;
    for (let from = 0; from < old.length; from += SLOT_WORDS) {
      const hi = old[from]!;
      const lo = old[from + 1]!;
      if ((hi | lo) === 0) continue;
      // Keys are distinct, so only look for a free slot.
      let slot = home(hi, lo) & mask;
      while ((table[slot * SLOT_WORDS]! | table[slot * SLOT_WORDS + 1]!) !== 0) slot = (slot + 1) & mask;
      table[slot * SLOT_WORDS] = hi;
      table[slot * SLOT_WORDS + 1] = lo;
    }
    this.table = table;
    this.mask = mask;
    this.growAt = Math.floor(slots * EXACT_MAX_LOAD);
  }
}

/** The key count of a serialization, checked against its header and length; throws BAD_SERIALIZED. */
function serializedCount(bytes: Uint8Array): number {
  if (!(bytes instanceof Uint8Array)) throw bad('expected a Uint8Array');
  if (bytes.length < HEADER_BYTES) throw bad(`${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw bad('not a serialized exact set (bad magic)');
  }
  if (bytes[VERSION_OFFSET] !== VERSION) throw bad(`unknown exact set version ${bytes[VERSION_OFFSET]}`);
  for (let i = RESERVED_OFFSET; i < RESERVED_OFFSET + RESERVED_BYTES; i++) {
    if (bytes[i] !== 0) throw bad('reserved header bytes are not zero');
  }
  const count = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(COUNT_OFFSET, true);
  const expected = HEADER_BYTES + count * EXACT_KEY_BYTES;
  if (bytes.length !== expected) {
    throw bad(`header says ${count} keys (${expected} bytes) but there are ${bytes.length} bytes`);
  }
  return count;
}

function bad(message: string, cause?: unknown): CounterError {
  return new CounterError('BAD_SERIALIZED', message, cause === undefined ? undefined : { cause });
}
