/**
 * What every scanner does once it knows where the root `uid` and `ts` values
 * are: hash the uid's bytes and parse the ts, in place, with the same checks
 * in the same order. Only a uid or ts string with a backslash is unescaped
 * first, into reused scratch.
 */

import { BACKSLASH, MINUS, QUOTE, isDigit } from './bytes.js';
import type { DecodedFrame, MalformedKind } from './contract.js';
import { hashUid } from './hash.js';
import { INVALID_TS, tsFromBytes } from './ts.js';
import type { Unescaper } from './unescape.js';

/** Where a root value was not found. */
export const ABSENT = -1;

/** `tsValue` result for a ts string with a malformed escape (INVALID_TS is -1). */
const BAD_ESCAPE = -2;
/** A string value's range includes its two quotes. */
const QUOTES = 2;

export function hasBackslash(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] === BACKSLASH) return true;
  return false;
}

/**
 * Fills `out` from the root values `b[uidStart, uidEnd)` and `b[tsStart,
 * tsEnd)` (ABSENT when the key is missing) of a frame whose syntax the
 * scanner accepted; or says what is wrong with them.
 */
export function readRootValues(
  b: Uint8Array,
  uidStart: number,
  uidEnd: number,
  tsStart: number,
  tsEnd: number,
  out: DecodedFrame,
  unescaper: Unescaper,
): MalformedKind | null {
  if (uidStart === ABSENT) return 'missing-uid';
  if (b[uidStart] !== QUOTE || uidEnd - uidStart === QUOTES) return 'invalid-uid';
  if (!hashUidValue(b, uidStart + 1, uidEnd - 1, out, unescaper)) return 'invalid-json';
  if (tsStart === ABSENT) return 'missing-ts';
  const ts = tsValue(b, tsStart, tsEnd, unescaper);
  if (ts === BAD_ESCAPE) return 'invalid-json';
  if (ts === INVALID_TS) return 'invalid-ts';
  out.ts = ts;
  return null;
}

/**
 * Hashes the decoded uid string whose content (between quotes) is
 * `b[start, end)`; false when it holds a malformed escape.
 */
function hashUidValue(b: Uint8Array, start: number, end: number, out: DecodedFrame, unescaper: Unescaper): boolean {
  // Real uids are plain hex, so their raw bytes are hashed in place.
  if (!hasBackslash(b, start, end)) {
    hashUid(b, start, end, out);
    return true;
  }
  const n = unescaper.unescape(b, start, end);
  if (n < 0) return false;
  hashUid(unescaper.bytes, 0, n, out);
  return true;
}

/**
 * The ts of the root value `b[start, end)` (a string with its quotes, or a
 * scalar): INVALID_TS when it breaks the ts rules, BAD_ESCAPE when the string
 * holds a malformed escape.
 */
function tsValue(b: Uint8Array, start: number, end: number, unescaper: Unescaper): number {
  const first = b[start]!;
  if (first === MINUS || isDigit(first)) return tsFromBytes(b, start, end);
  if (first !== QUOTE) return INVALID_TS;
  if (!hasBackslash(b, start + 1, end - 1)) return tsFromBytes(b, start + 1, end - 1);
  const n = unescaper.unescape(b, start + 1, end - 1);
  if (n < 0) return BAD_ESCAPE;
  return tsFromBytes(unescaper.bytes, 0, n);
}
