import { CounterError } from './counter-error.js';
import { EXACT_KEY_BYTES, EXACT_MAX_LOAD, EXACT_MIN_SLOTS, ExactSet } from './exact-set.js';

export const HLL_MIN_PRECISION = 4;
export const HLL_MAX_PRECISION = 18;
export const HLL_DEFAULT_PRECISION = 14;

/** Bits of the 64-bit hash. */
const HASH_BITS = 64;
/** Bits in each of the two halves `(hi, lo)`. */
const HALF_BITS = 32;
/**
 * Bits per register in the serialized dense form: a register holds at most
 * 64 - 4 + 1 = 61 (precision 4), which fits in 6 bits.
 */
const PACKED_REGISTER_BITS = 6;
const PACKED_REGISTER_MASK = (1 << PACKED_REGISTER_BITS) - 1;
/** Four 6-bit registers pack into three bytes; every m (at least 16) is a multiple of four. */
const PACK_REGISTERS = 4;
const PACK_BYTES = 3;
const BYTE_BITS = 8;
const BYTE_MASK = 0xff;

/** Serialized form: magic "UHL" + format byte, version, precision, encoding, one reserved byte. */
const MAGIC = [0x55, 0x48, 0x4c, 0x31] as const;
const VERSION = 1;
const HEADER_BYTES = 8;
const VERSION_OFFSET = 4;
const PRECISION_OFFSET = 5;
const ENCODING_OFFSET = 6;
const RESERVED_OFFSET = 7;
/** The exact hashes follow, as an ExactSet serialization. */
const ENCODING_SPARSE = 0;
/** The registers follow, 6 bits each, packed little-endian. */
const ENCODING_DENSE = 1;

/** 1 / (2 ln 2): the limit of HyperLogLog's alpha_m as m grows, which Ertl's estimator uses for every m. */
const ALPHA_INF = 0.5 / Math.LN2;

/**
 * How many exact hashes a sketch keeps before it turns dense: as many as an
 * ExactSet can hold in a table no larger than the m bytes of the registers
 * (for p = 14: 2048 slots of 8 bytes, so 1536 hashes). Below precision 6 even
 * the smallest table is larger than the registers, so those start dense.
 */
function sparseLimitFor(precision: number): number {
  const slots = (1 << precision) / EXACT_KEY_BYTES;
  return slots < EXACT_MIN_SLOTS ? 0 : Math.floor(slots * EXACT_MAX_LOAD);
}

function checkPrecision(precision: number): void {
  if (!Number.isInteger(precision) || precision < HLL_MIN_PRECISION || precision > HLL_MAX_PRECISION) {
    throw new CounterError(
      'BAD_PRECISION',
      `HyperLogLog precision must be an integer from ${HLL_MIN_PRECISION} to ${HLL_MAX_PRECISION}, got ${precision}`,
    );
  }
}

/**
 * A HyperLogLog sketch of 64-bit hashes `(hi, lo)` in the HLL++ manner
 * (Heule, Nunkesser, Hall 2013): exact while small, then m = 2^p one-byte
 * registers, estimated with Ertl's improved estimator.
 *
 * Sparse: the distinct hashes are kept exactly in an ExactSet while its table
 * fits in the m bytes the registers would take (see `sparseLimitFor`), and the
 * count is exact. One hash past that, the sketch turns dense for good. Whether
 * a sketch is sparse depends only on how many distinct hashes it has seen, so
 * the state of a sketch is a function of its set of hashes, whatever the
 * order of adds and merges.
 *
 * Dense: register index = the top p bits of `hi`; rank = 1 + the leading
 * zeros of the other 64 - p bits (64 - p + 1 when they are all zero); each
 * register keeps the largest rank it has seen.
 */
export class HyperLogLog {
  readonly precision: number;
  /** Hashes kept exactly, or null once dense. */
  private sparse: ExactSet | null;
  /** The m registers; empty while sparse, so a small sketch holds no 16 KB array. */
  private registers: Uint8Array;
  private readonly sparseLimit: number;
  /** Last estimate of the registers, or -1 after a register changed. */
  private cached = -1;

  constructor(precision: number = HLL_DEFAULT_PRECISION) {
    checkPrecision(precision);
    this.precision = precision;
    this.sparseLimit = sparseLimitFor(precision);
    if (this.sparseLimit > 0) {
      this.sparse = new ExactSet();
      this.registers = new Uint8Array(0);
    } else {
      this.sparse = null;
      this.registers = new Uint8Array(1 << precision);
    }
  }

  /** Relative standard error of the dense estimate, 1.04 / sqrt(m). */
  get relativeError(): number {
    return 1.04 / Math.sqrt(1 << this.precision);
  }

  get isSparse(): boolean {
    return this.sparse !== null;
  }

  /** Memory held by the sketch's arrays, in bytes. */
  get byteLength(): number {
    return this.sparse !== null ? this.sparse.byteLength : this.registers.byteLength;
  }

  add(hi: number, lo: number): void {
    const sparse = this.sparse;
    if (sparse !== null) {
      // Below the limit the set cannot grow past the registers' size.
      if (sparse.size < this.sparseLimit) {
        sparse.add(hi, lo);
        return;
      }
      if (sparse.has(hi, lo)) return;
      this.densify();
    }
    this.addDense(hi, lo);
  }

  /**
   * The distinct count: exact while sparse, else Ertl's improved estimator,
   * rounded to a whole number.
   */
  estimate(): number {
    if (this.sparse !== null) return this.sparse.size;
    if (this.cached < 0) this.cached = Math.round(ertlEstimate(this.registers, this.precision));
    return this.cached;
  }

  /**
   * Merges `other` into this sketch; afterwards it is the sketch of the union
   * of both sets of hashes. Both must have the same precision.
   */
  merge(other: HyperLogLog): void {
    if (other.precision !== this.precision) {
      throw new CounterError(
        'MERGE_MISMATCH',
        `cannot merge a HyperLogLog of precision ${other.precision} into one of precision ${this.precision}`,
      );
    }
    if (other === this) return;
    const theirs = other.sparse;
    if (theirs !== null) {
      // At most sparseLimit hashes; `add` turns this sketch dense if the union needs it.
      theirs.forEach((hi, lo) => {
        this.add(hi, lo);
      });
      return;
    }
    if (this.sparse !== null) this.densify();
    const mine = this.registers;
    const registers = other.registers;
    let changed = false;
    for (let i = 0; i < mine.length; i++) {
      const r = registers[i]!;
      if (r > mine[i]!) {
        mine[i] = r;
        changed = true;
      }
    }
    if (changed) this.cached = -1;
  }

  /** Adds every key of an exact set. */
  addAll(set: ExactSet): void {
    set.forEach((hi, lo) => {
      this.add(hi, lo);
    });
  }

  clone(): HyperLogLog {
    const copy = new HyperLogLog(this.precision);
    copy.sparse = this.sparse === null ? null : this.sparse.clone();
    copy.registers = this.registers.slice();
    copy.cached = this.cached;
    return copy;
  }

  /**
   * An 8-byte header (magic "UHL1", version, precision, encoding, a reserved
   * zero) then either the exact hashes (an ExactSet serialization) or the m
   * registers packed 6 bits each, little-endian (12 KB for p = 14).
   */
  serialize(): Uint8Array {
    const sparse = this.sparse;
    let bytes: Uint8Array;
    if (sparse !== null) {
      const body = sparse.serialize();
      bytes = new Uint8Array(HEADER_BYTES + body.length);
      bytes.set(body, HEADER_BYTES);
      bytes[ENCODING_OFFSET] = ENCODING_SPARSE;
    } else {
      bytes = new Uint8Array(HEADER_BYTES + packedLength(this.registers.length));
      packRegisters(this.registers, bytes, HEADER_BYTES);
      bytes[ENCODING_OFFSET] = ENCODING_DENSE;
    }
    bytes.set(MAGIC, 0);
    bytes[VERSION_OFFSET] = VERSION;
    bytes[PRECISION_OFFSET] = this.precision;
    return bytes;
  }

  /** Reads what `serialize` wrote; throws CounterError `BAD_SERIALIZED` on anything else. */
  static deserialize(bytes: Uint8Array): HyperLogLog {
    if (!(bytes instanceof Uint8Array)) throw bad('expected a Uint8Array');
    if (bytes.length < HEADER_BYTES) throw bad(`${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
    for (let i = 0; i < MAGIC.length; i++) {
      if (bytes[i] !== MAGIC[i]) throw bad('not a serialized HyperLogLog (bad magic)');
    }
    if (bytes[VERSION_OFFSET] !== VERSION) throw bad(`unknown HyperLogLog version ${bytes[VERSION_OFFSET]}`);
    if (bytes[RESERVED_OFFSET] !== 0) throw bad('reserved header byte is not zero');
    const precision = bytes[PRECISION_OFFSET]!;
    if (precision < HLL_MIN_PRECISION || precision > HLL_MAX_PRECISION) {
      throw bad(`precision ${precision} is out of range`);
    }
    const sketch = new HyperLogLog(precision);
    const body = bytes.subarray(HEADER_BYTES);
    const encoding = bytes[ENCODING_OFFSET];
    if (encoding === ENCODING_SPARSE) {
      let set: ExactSet;
      try {
        set = ExactSet.deserialize(body);
      } catch (cause) {
        throw bad('the exact hashes of a sparse HyperLogLog are damaged', cause);
      }
      // A writer with a larger sparse limit is still readable: adding turns
      // the sketch dense exactly where this version would have.
      sketch.addAll(set);
      return sketch;
    }
    if (encoding !== ENCODING_DENSE) throw bad(`unknown HyperLogLog encoding ${encoding}`);
    const m = 1 << precision;
    if (body.length !== packedLength(m)) {
      throw bad(
        `a dense HyperLogLog of precision ${precision} needs ${packedLength(m)} bytes of registers, got ${body.length}`,
      );
    }
    const registers = unpackRegisters(body, m);
    const maxRank = HASH_BITS - precision + 1;
    for (let i = 0; i < m; i++) {
      if (registers[i]! > maxRank) {
        throw bad(`register ${i} holds ${registers[i]}, more than the largest rank ${maxRank}`);
      }
    }
    sketch.sparse = null;
    sketch.registers = registers;
    return sketch;
  }

  private addDense(hi: number, lo: number): void {
    const p = this.precision;
    const index = hi >>> (HALF_BITS - p);
    // The rank bits start below the index: shift them to the top of a word,
    // where the low p bits become zero, so clz32 sees only rank bits.
    const rest = hi << p;
    const rank = rest !== 0 ? Math.clz32(rest) + 1 : HALF_BITS - p + Math.clz32(lo) + 1;
    const registers = this.registers;
    if (rank > registers[index]!) {
      registers[index] = rank;
      this.cached = -1;
    }
  }

  private densify(): void {
    const sparse = this.sparse;
    if (sparse === null) return;
    this.sparse = null;
    this.registers = new Uint8Array(1 << this.precision);
    this.cached = -1;
    sparse.forEach((hi, lo) => {
      this.addDense(hi, lo);
    });
  }
}

/**
 * Ertl's improved raw estimator: O. Ertl, "New cardinality estimation
 * algorithms for HyperLogLog sketches", arXiv:1702.01284 (2017), the
 * improved estimator (the one Redis uses since 5.0).
 * It corrects HyperLogLog's bias over the whole range (small counts, where
 * HLL++ switches to linear counting, included) from the register histogram
 * alone, with no empirical tables; the relative error stays near 1.04/sqrt(m).
 * q = 64 - p, so registers hold 0..q+1.
 */
function ertlEstimate(registers: Uint8Array, precision: number): number {
  const m = registers.length;
  const q = HASH_BITS - precision;
  const histogram = new Int32Array(q + 2);
  for (let i = 0; i < m; i++) histogram[registers[i]!]!++;
  let z = m * tau(1 - histogram[q + 1]! / m);
  for (let k = q; k >= 1; k--) z = 0.5 * (z + histogram[k]!);
  z += m * sigma(histogram[0]! / m);
  return (ALPHA_INF * m * m) / z;
}

/**
 * Ertl's sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1), summed until it stops
 * changing; infinite at 1, so an empty sketch estimates 0.
 */
function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const previous = z;
    z += x * y;
    y += y;
    if (z === previous) return z;
  }
}

/** Ertl's tau(x) = (1/3) (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k), summed until it stops changing. */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const previous = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
    if (z === previous) return z / 3;
  }
}

function packedLength(m: number): number {
  return (m / PACK_REGISTERS) * PACK_BYTES;
}

/** Writes the registers into `out` from `offset`, 6 bits each, little-endian. */
function packRegisters(registers: Uint8Array, out: Uint8Array, offset: number): void {
  for (let i = 0, o = offset; i < registers.length; i += PACK_REGISTERS, o += PACK_BYTES) {
    const word =
      registers[i]! |
      (registers[i + 1]! << PACKED_REGISTER_BITS) |
      (registers[i + 2]! << (2 * PACKED_REGISTER_BITS)) |
      (registers[i + 3]! << (3 * PACKED_REGISTER_BITS));
    out[o] = word & BYTE_MASK;
    out[o + 1] = (word >>> BYTE_BITS) & BYTE_MASK;
    out[o + 2] = (word >>> (2 * BYTE_BITS)) & BYTE_MASK;
  }
}

function unpackRegisters(packed: Uint8Array, m: number): Uint8Array {
  const registers = new Uint8Array(m);
  for (let i = 0, o = 0; i < m; i += PACK_REGISTERS, o += PACK_BYTES) {
    const word = packed[o]! | (packed[o + 1]! << BYTE_BITS) | (packed[o + 2]! << (2 * BYTE_BITS));
    registers[i] = word & PACKED_REGISTER_MASK;
    registers[i + 1] = (word >>> PACKED_REGISTER_BITS) & PACKED_REGISTER_MASK;
    registers[i + 2] = (word >>> (2 * PACKED_REGISTER_BITS)) & PACKED_REGISTER_MASK;
    registers[i + 3] = (word >>> (3 * PACKED_REGISTER_BITS)) & PACKED_REGISTER_MASK;
  }
  return registers;
}

function bad(message: string, cause?: unknown): CounterError {
  return new CounterError('BAD_SERIALIZED', message, cause === undefined ? undefined : { cause });
}
