/**
 * Reading uid and ts from an object a JSON parser built, with the same rules
 * and the same order of checks as the scanner.
 */

import type { DecodedFrame, MalformedKind } from './contract.js';
import { hashStringInto } from './hash.js';
import { INVALID_TS, tsFromNumber, tsFromString } from './ts.js';

/**
 * Fills `out` from a parsed root object. Only own properties count: a parser
 * that honours a `"__proto__"` key could otherwise hand back an inherited uid.
 */
export function readFields(root: object, out: DecodedFrame): MalformedKind | null {
  if (!Object.hasOwn(root, 'uid')) return 'missing-uid';
  const uid: unknown = (root as { uid: unknown }).uid;
  if (typeof uid !== 'string' || uid.length === 0) return 'invalid-uid';
  hashStringInto(uid, out);
  if (!Object.hasOwn(root, 'ts')) return 'missing-ts';
  const value: unknown = (root as { ts: unknown }).ts;
  const ts =
    typeof value === 'number' ? tsFromNumber(value) : typeof value === 'string' ? tsFromString(value) : INVALID_TS;
  if (ts === INVALID_TS) return 'invalid-ts';
  out.ts = ts;
  return null;
}

/** The frame's text; a view on the same memory, no copy before decoding. */
export function frameText(frame: Uint8Array): string {
  const buffer = Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  return buffer.toString('utf8');
}
