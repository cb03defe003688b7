import { isUtf8 } from 'node:buffer';

/** UTF-8 continuation bytes are 0b10xxxxxx. */
const CONTINUATION_MASK = 0xc0;
const CONTINUATION_BITS = 0x80;

/**
 * Whether every value of `bytes`, packed back to back (value i ends at
 * `ends[i]` and starts where value i - 1 ends), is valid UTF-8: one native
 * check of the whole span instead of one call per value.
 *
 * A valid span alone is not enough: a character could start at the end of
 * one value and end in the next. But then the next value would start with a
 * continuation byte, so the span is valid and no value starts with one
 * exactly when every value is valid.
 */
export function packedValuesAreUtf8(bytes: Uint8Array, ends: ArrayLike<number>): boolean {
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    if (end > start && (bytes[start]! & CONTINUATION_MASK) === CONTINUATION_BITS) return false;
    start = end;
  }
  return isUtf8(bytes.subarray(0, start));
}
