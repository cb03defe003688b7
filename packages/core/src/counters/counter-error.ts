import { UniqstreamError } from '../errors.js';

/** Closed list of the ways a distinct counter can refuse its input or configuration. */
export const COUNTER_ERROR_CODES = [
  /** An initial capacity that is not a non-negative integer, or a set too large for one table. */
  'BAD_CAPACITY',
  /** A HyperLogLog precision outside 4..18. */
  'BAD_PRECISION',
  /** A count method other than 'exact' or 'hll'. */
  'BAD_METHOD',
  /** Serialized bytes that are truncated, corrupt, or of an unknown format or version. */
  'BAD_SERIALIZED',
  /** A merge the counters cannot do: different precisions, or an exact counter from a sketch. */
  'MERGE_MISMATCH',
] as const;
export type CounterErrorCode = (typeof COUNTER_ERROR_CODES)[number];

export class CounterError extends UniqstreamError {
  override readonly name = 'CounterError';
  declare readonly code: CounterErrorCode;
  constructor(code: CounterErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
