/**
 * Seeded randomness with 32-bit integer math only, so a seed gives the same
 * sequence on every machine and Node version (Math.random is never used).
 */

const TWO_POW_32 = 0x1_0000_0000;
/** 2^53: a double has 53 bits of mantissa. */
const TWO_POW_53 = 2 ** 53;
/** 2^26: the high part of a 53-bit fraction built from 27 + 26 bits. */
const TWO_POW_26 = 2 ** 26;
/** Outputs thrown away after seeding, so the state is well mixed before use. */
const WARMUP_ROUNDS = 12;
const GOLDEN_GAMMA = 0x9e3779b9;

/** murmur3's finalizer: a bijection on 32-bit values that spreads every input bit. */
export function mix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Splits a non-negative safe integer seed into its low and high 32 bits. */
export function seedWords(seed: number): [lo: number, hi: number] {
  return [seed >>> 0, Math.floor(seed / TWO_POW_32) >>> 0];
}

/**
 * sfc32 (Chris Doty-Humphrey's small fast counting generator): 128 bits of
 * state, passes PractRand, and its counter word guarantees a period of at
 * least 2^32. `stream` selects an independent sequence for the same seed, so
 * adding draws to one part of the generator does not shift the others.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    const [lo, hi] = seedWords(seed);
    // splitmix32 over (seed, stream) fills the state; nearby seeds diverge at once.
    let s = mix32(lo ^ mix32(hi + Math.imul(stream + 1, GOLDEN_GAMMA)));
    const next = (): number => {
      s = (s + GOLDEN_GAMMA) | 0;
      return mix32(s);
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < WARMUP_ROUNDS; i++) this.next();
  }

  /** A uniform unsigned 32-bit integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution: enough for probabilities. */
  fraction(): number {
    return this.next() / TWO_POW_32;
  }

  /** Uniform in [0, 1) with 53 bits of resolution: for scaling to large ranges. */
  double(): number {
    const high = this.next() >>> 5;
    const low = this.next() >>> 6;
    return (high * TWO_POW_26 + low) / TWO_POW_53;
  }

  /** A uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.double() * n);
  }

  /** A uniform integer in [lo, hi], both inclusive. */
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  /** True with probability `p`; never for 0, always for 1. */
  chance(p: number): boolean {
    return this.fraction() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }
}
