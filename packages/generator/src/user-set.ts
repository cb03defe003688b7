/** Bits per word of the bitset. */
const WORD_BITS = 32;
const WORD_SHIFT = 5;
const WORD_MASK = WORD_BITS - 1;
/**
 * Rough bytes per entry of a Set of small integers in V8. Once a set holds
 * more than capacity / (8 * this) users, a bitset of the whole pool is smaller.
 */
const SET_BYTES_PER_ENTRY = 16;
const BITS_PER_BYTE = 8;

/**
 * A set of user indices in 0..capacity-1 that starts as a Set and turns into
 * a bitset of the whole pool once that is smaller: a day or year window with a
 * million users then costs 125 KB instead of tens of MB.
 */
export class UserSet {
  private set: Set<number> | null = new Set();
  private bits: Uint32Array | null = null;
  private count = 0;
  private readonly promoteAt: number;

  /** `capacity` 0 means unknown: stay a Set. */
  constructor(private readonly capacity: number) {
    this.promoteAt =
      capacity > 0 ? Math.ceil(capacity / (BITS_PER_BYTE * SET_BYTES_PER_ENTRY)) : Number.POSITIVE_INFINITY;
  }

  get size(): number {
    return this.count;
  }

  add(user: number): void {
    const bits = this.bits;
    if (bits !== null) {
      const word = user >>> WORD_SHIFT;
      const mask = 1 << (user & WORD_MASK);
      if ((bits[word]! & mask) === 0) {
        bits[word] = bits[word]! | mask;
        this.count++;
      }
      return;
    }
    const set = this.set!;
    const before = set.size;
    set.add(user);
    if (set.size === before) return;
    this.count++;
    if (this.count >= this.promoteAt) this.promote(set);
  }

  has(user: number): boolean {
    if (this.bits !== null) return ((this.bits[user >>> WORD_SHIFT]! >>> (user & WORD_MASK)) & 1) === 1;
    return this.set!.has(user);
  }

  private promote(set: Set<number>): void {
    const bits = new Uint32Array(Math.ceil(this.capacity / WORD_BITS));
    for (const user of set) bits[user >>> WORD_SHIFT] = bits[user >>> WORD_SHIFT]! | (1 << (user & WORD_MASK));
    this.bits = bits;
    this.set = null;
  }
}
