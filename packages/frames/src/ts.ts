/**
 * The ts rules every decoder shares. A ts is a JSON number, or a JSON string
 * whose (unescaped) content is a JSON number literal. Its value must be finite,
 * at least 0 and below 2^32, so a 32-bit ts with one bit flipped still passes
 * (the window logic judges it) while a millisecond timestamp does not; a
 * fractional value is floored.
 */

import { DIGIT_0, DIGIT_1, DOT, LOWER_E, MINUS, PLUS, UPPER_E, isDigit } from './bytes.js';

/** Exclusive upper bound of a ts: 2^32 seconds. */
export const TS_LIMIT = 2 ** 32;

/** Returned by the ts parsers for a value that breaks the rules. */
export const INVALID_TS = -1;

/** Whole seconds of a parsed ts value, or INVALID_TS. */
export function tsFromNumber(value: number): number {
  // `!(value >= 0)` also refuses NaN.
  if (!(value >= 0) || value >= TS_LIMIT) return INVALID_TS;
  // `+ 0` turns the -0 of `-0` or `-0.5e-9` into 0.
  return Math.floor(value) + 0;
}

/** JSON's number grammar, anchored: no sign but a leading minus, no spaces, no leading zeros. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** The ts a JSON string's decoded content stands for, or INVALID_TS. */
export function tsFromString(content: string): number {
  return JSON_NUMBER.test(content) ? tsFromNumber(Number(content)) : INVALID_TS;
}

/**
 * End of the JSON number literal starting at `bytes[start]`. When the bytes
 * there are not one, returns `~i` (negative), where `i` is the position at
 * which the grammar failed, so a caller can tell a number cut off by the end
 * of the frame (`i >= end`) from a wrong byte. Stops at the first byte that
 * cannot continue the number; the caller decides whether it may follow.
 */
export function numberEnd(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  if (i < end && bytes[i] === MINUS) i++;
  if (i >= end) return ~i;
  const first = bytes[i]!;
  if (first === DIGIT_0) i++;
  else if (first >= DIGIT_1 && isDigit(first)) {
    i++;
    while (i < end && isDigit(bytes[i]!)) i++;
  } else return ~i;
  if (i < end && bytes[i] === DOT) {
    i++;
    if (i >= end || !isDigit(bytes[i]!)) return ~i;
    while (i < end && isDigit(bytes[i]!)) i++;
  }
  if (i < end && (bytes[i] === LOWER_E || bytes[i] === UPPER_E)) {
    i++;
    if (i < end && (bytes[i] === PLUS || bytes[i] === MINUS)) i++;
    if (i >= end || !isDigit(bytes[i]!)) return ~i;
    while (i < end && isDigit(bytes[i]!)) i++;
  }
  return i;
}

/** A plain digit run of at most this many bytes is below 2^53, so summing it in a double is exact. */
const EXACT_DIGITS = 15;

/**
 * The ts for the bytes `[start, end)`, which must be exactly one JSON number
 * literal (anything else gives INVALID_TS).
 */
export function tsFromBytes(bytes: Uint8Array, start: number, end: number): number {
  // Real ts values are plain digits, so they are summed directly; anything
  // with a sign, fraction or exponent takes the general path.
  if (end > start && end - start <= EXACT_DIGITS && (bytes[start] !== DIGIT_0 || end - start === 1)) {
    let value = 0;
    let i = start;
    for (; i < end; i++) {
      const digit = bytes[i]! - DIGIT_0;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
    }
    if (i === end) return value < TS_LIMIT ? value : INVALID_TS;
  }
  if (numberEnd(bytes, start, end) !== end) return INVALID_TS;
  // A valid number literal is ASCII, so each byte is one char. Number() and
  // JSON.parse round a literal to the same double, so all decoders agree.
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]!);
  return tsFromNumber(Number(text));
}
