/**
 * The checks every decoder makes before parsing, so that all of them refuse
 * the same frames for the same reason: too long, empty, not UTF-8, or not
 * starting like an object.
 */

import { isUtf8 } from 'node:buffer';
import { OPEN_BRACE, isWhitespace } from './bytes.js';
import type { MalformedKind } from './contract.js';

/**
 * Index of the frame's opening `{` (after leading whitespace), or the kind of
 * damage that makes parsing pointless.
 */
export function precheck(frame: Uint8Array, maxFrameBytes: number, knownUtf8 = false): number | MalformedKind {
  const end = frame.length;
  // Checked first so that a runaway line is never scanned, not even for UTF-8.
  if (end > maxFrameBytes) return 'too-long';
  let i = 0;
  while (i < end && isWhitespace(frame[i]!)) i++;
  if (i === end) return 'empty';
  // Native (simdutf) and several GB/s: a fraction of the scan that follows.
  if (!knownUtf8 && !isUtf8(frame)) return 'invalid-utf8';
  return frame[i] === OPEN_BRACE ? i : 'not-object';
}
