import type { CountMethod } from '../types.js';
import { CounterError } from './counter-error.js';
import { ExactSet } from './exact-set.js';
import { HLL_DEFAULT_PRECISION, HyperLogLog } from './hyperloglog.js';

/** Counts the distinct 64-bit uid hashes `(hi, lo)` of one window, exactly or approximately. */
export interface DistinctCounter {
  readonly method: CountMethod;
  add(hi: number, lo: number): void;
  /** The exact size, or the HyperLogLog estimate (exact while the sketch is sparse). */
  count(): number;
  /** Relative standard error of `count()`: 0 while it is exact (always for 'exact'), else 1.04/sqrt(m). */
  relativeError(): number;
  /**
   * Adds everything `other` counted: exact <- exact, hll <- hll (same
   * precision), hll <- exact. Exact <- hll throws CounterError
   * `MERGE_MISMATCH`: a sketch no longer has the keys.
   */
  mergeFrom(other: DistinctCounter): void;
  /**
   * mergeFrom(deserializeCounter(bytes)), with the same errors; an exact
   * counter adds the keys straight from the bytes, without the counter in
   * between (what a merge of partitions' shares mostly does).
   */
  mergeSerialized(bytes: Uint8Array): void;
  /** Self-describing bytes: a method tag, then the counter's own serialization. */
  serialize(): Uint8Array;
  /** Memory held by the counter's arrays, in bytes. */
  readonly byteLength: number;
}

/** First byte of a serialized counter. */
const TAG_EXACT = 0x45; // 'E'
const TAG_HLL = 0x48; // 'H'
const TAG_BYTES = 1;

class ExactCounter implements DistinctCounter {
  readonly method = 'exact' as const;
  constructor(readonly set: ExactSet) {}

  add(hi: number, lo: number): void {
    this.set.add(hi, lo);
  }

  count(): number {
    return this.set.size;
  }

  relativeError(): number {
    return 0;
  }

  mergeFrom(other: DistinctCounter): void {
    if (other instanceof ExactCounter) {
      if (other !== this) this.set.addAll(other.set);
      return;
    }
    const why = other.method === 'hll' ? 'a HyperLogLog sketch does not keep its keys' : 'it is of an unknown kind';
    throw new CounterError('MERGE_MISMATCH', `cannot merge a '${other.method}' counter into an exact one: ${why}`);
  }

  mergeSerialized(bytes: Uint8Array): void {
    if (bytes instanceof Uint8Array && bytes[0] === TAG_EXACT) this.set.addSerialized(bytes.subarray(TAG_BYTES));
    else this.mergeFrom(deserializeCounter(bytes));
  }

  serialize(): Uint8Array {
    return tagged(TAG_EXACT, this.set.serialize());
  }

  get byteLength(): number {
    return this.set.byteLength;
  }
}

class HllCounter implements DistinctCounter {
  readonly method = 'hll' as const;
  constructor(readonly sketch: HyperLogLog) {}

  add(hi: number, lo: number): void {
    this.sketch.add(hi, lo);
  }

  count(): number {
    return this.sketch.estimate();
  }

  /** 0 while the sketch is sparse, since its count is then exact. */
  relativeError(): number {
    return this.sketch.isSparse ? 0 : this.sketch.relativeError;
  }

  mergeFrom(other: DistinctCounter): void {
    if (other instanceof HllCounter) {
      this.sketch.merge(other.sketch);
      return;
    }
    if (other instanceof ExactCounter) {
      this.sketch.addAll(other.set);
      return;
    }
    throw new CounterError(
      'MERGE_MISMATCH',
      `cannot merge a '${other.method}' counter of unknown kind into an hll one`,
    );
  }

  mergeSerialized(bytes: Uint8Array): void {
    this.mergeFrom(deserializeCounter(bytes));
  }

  serialize(): Uint8Array {
    return tagged(TAG_HLL, this.sketch.serialize());
  }

  get byteLength(): number {
    return this.sketch.byteLength;
  }
}

function tagged(tag: number, body: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(TAG_BYTES + body.length);
  bytes[0] = tag;
  bytes.set(body, TAG_BYTES);
  return bytes;
}

/**
 * A new, empty counter. `precision` (4..18, default 14) is for 'hll' only;
 * throws CounterError `BAD_METHOD` or `BAD_PRECISION`.
 */
export function createCounter(method: CountMethod, precision: number = HLL_DEFAULT_PRECISION): DistinctCounter {
  switch (method) {
    case 'exact':
      return new ExactCounter(new ExactSet());
    case 'hll':
      return new HllCounter(new HyperLogLog(precision));
    default:
      throw new CounterError('BAD_METHOD', `unknown count method '${String(method as unknown)}': use 'exact' or 'hll'`);
  }
}

/** Reads what `DistinctCounter.serialize` wrote; throws CounterError `BAD_SERIALIZED` on anything else. */
export function deserializeCounter(bytes: Uint8Array): DistinctCounter {
  if (!(bytes instanceof Uint8Array) || bytes.length < TAG_BYTES) {
    throw new CounterError('BAD_SERIALIZED', 'a serialized counter needs at least its method tag');
  }
  const body = bytes.subarray(TAG_BYTES);
  switch (bytes[0]) {
    case TAG_EXACT:
      return new ExactCounter(ExactSet.deserialize(body));
    case TAG_HLL:
      return new HllCounter(HyperLogLog.deserialize(body));
    default:
      throw new CounterError('BAD_SERIALIZED', `unknown counter tag 0x${bytes[0]!.toString(16)}`);
  }
}
