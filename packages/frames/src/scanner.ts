/**
 * The `fast-js` decoder, and `fast` where WebAssembly SIMD is missing: a byte
 * scanner over the frame that never builds the object or a string. It follows
 * strings, escapes and nesting, parses the root object's grammar fully, and
 * looks at keys only at depth 1, so a `"uid"` inside a string or a nested
 * object is never mistaken for the root one. The WebAssembly scanner
 * (src/wasm/scanner.wat) gives the same answers by other means (64-byte
 * masks, then the same root-level grammar); the two are held to the same
 * tests, kinds included.
 *
 * Where the time goes: a 2 KB frame is ~90% string content in 60-80
 * strings, so finding string ends is most of it. Here that is
 * `Buffer.prototype.indexOf` with the quote byte, called on the frame (a
 * Buffer or any Uint8Array view): a native memchr that makes no string and
 * takes the view's offset into account. It costs a call into C++ per
 * string, and still decodes ~2.2x as many frames per second as a byte loop
 * in JavaScript (measured in this decoder, on the benchmark corpus). The
 * latin1 text + `String#indexOf` trick of the previous scanner was faster
 * still, but is a 2 KB string per frame. The bench package's decode suite
 * compares the ways of finding string ends.
 *
 * What it validates: UTF-8 (natively, up front); that every string ends; the
 * root object's grammar, including its scalar values; the nesting balance and
 * bracket types of nested values; that only bytes JSON allows appear outside
 * strings; the escapes of the root keys it decodes and of uid and ts. What it
 * skips, for speed: escapes and raw control characters inside other strings,
 * and the order of commas, colons and scalars inside nested values (`[1 2]`
 * passes). A frame that ends before its root object closes is always
 * `truncated`.
 */

import {
  BACKSLASH,
  CLOSE_BRACE,
  COLON,
  COMMA,
  LOWER_D,
  LOWER_F,
  LOWER_I,
  LOWER_N,
  LOWER_S,
  LOWER_T,
  LOWER_U,
  MINUS,
  NESTED_CLASS,
  NESTED_CLOSE,
  NESTED_OPEN,
  NESTED_PLAIN,
  NESTED_QUOTE,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
  SPACE,
  isDigit,
  isWhitespace,
} from './bytes.js';
import { DEFAULT_MAX_FRAME_BYTES } from './contract.js';
import type { DecodedFrame, FrameDecoder, MalformedKind } from './contract.js';
import { precheck } from './precheck.js';
import { ABSENT, hasBackslash, readRootValues } from './root-values.js';
import { numberEnd } from './ts.js';
import { Unescaper } from './unescape.js';

/** `\uXXXX`: backslash, `u`, four hex digits. */
const UNICODE_ESCAPE_BYTES = 6;
/** The longest spelling of `uid` or `ts` as a JSON key, every character a `\uXXXX` escape. */
const MAX_ESCAPED_KEY_BYTES = 3 * UNICODE_ESCAPE_BYTES;
/** The shortest: `ts` with one letter escaped. */
const MIN_ESCAPED_KEY_BYTES = UNICODE_ESCAPE_BYTES + 1;
/** Nested values seldom go deeper than this; the stack grows when one does. */
const INITIAL_NESTING = 64;
/** In ASCII the closer of `{` and `[` is two code points further (`}` 0x7d, `]` 0x5d). */
const CLOSER_OFFSET = 2;

const TRUE = new TextEncoder().encode('true');
const FALSE = new TextEncoder().encode('false');
const NULL = new TextEncoder().encode('null');

const KEY_OTHER = 0;
const KEY_UID = 1;
const KEY_TS = 2;

/**
 * The step functions below take the position to start at and return the
 * position after what they stepped over, or one of these (positions are
 * never negative). Threading the position through returns, rather than
 * keeping it in a cursor object, lets V8 hold it in a register (measured ~5%
 * faster).
 */
const TRUNCATED = -1;
const INVALID = -2;

function failureKind(code: number): MalformedKind {
  return code === TRUNCATED ? 'truncated' : 'invalid-json';
}

/** First position at or after `i` that is not JSON whitespace. */
function whitespaceEnd(b: Uint8Array, i: number, end: number): number {
  // Frames seldom have whitespace between tokens, and all four whitespace
  // bytes are at most SPACE, so one compare usually settles it.
  while (i < end && b[i]! <= SPACE && isWhitespace(b[i]!)) i++;
  return i;
}

/**
 * Buffer's own `indexOf`, borrowed so that plain Uint8Array views need no
 * Buffer wrapper: it accepts any Uint8Array, searches only that view, and for
 * a number argument runs memchr over the bytes.
 */
const bufferIndexOf: (this: Uint8Array, value: number, byteOffset: number) => number = Buffer.prototype.indexOf;

/** Position after the closing quote of the string whose content starts at `from`, or TRUNCATED. */
function stringEnd(b: Uint8Array, from: number): number {
  for (;;) {
    const i = bufferIndexOf.call(b, QUOTE, from);
    if (i < 0) return TRUNCATED;
    // A quote ends the string unless an odd run of backslashes precedes it
    // (`\"` is an escaped quote, `\\"` an escaped backslash and the end).
    // The run cannot reach past the opening quote, so this is exact; the
    // common case, no backslash at all, costs one compare.
    if (b[i - 1] !== BACKSLASH) return i + 1;
    let k = i - 2;
    while (b[k] === BACKSLASH) k--;
    if (((i - 1 - k) & 1) === 0) return i + 1;
    from = i + 1;
  }
}

/** Position after the number or literal at `i`, checking its grammar. */
function scalarEnd(b: Uint8Array, i: number, end: number): number {
  const first = b[i]!;
  if (first === MINUS || isDigit(first)) {
    const next = numberEnd(b, i, end);
    if (next >= 0) return next;
    return ~next >= end ? TRUNCATED : INVALID;
  }
  const literal = first === LOWER_T ? TRUE : first === LOWER_F ? FALSE : first === LOWER_N ? NULL : undefined;
  if (literal === undefined) return INVALID;
  for (let k = 1; k < literal.length; k++) {
    if (i + k >= end) return TRUNCATED;
    if (b[i + k] !== literal[k]) return INVALID;
  }
  return i + literal.length;
}

/** Expected closers of the open nested containers, innermost last; grows on demand. */
class NestingStack {
  closers: Uint8Array = new Uint8Array(INITIAL_NESTING);

  grow(): Uint8Array {
    const grown = new Uint8Array(this.closers.length * 2);
    grown.set(this.closers);
    this.closers = grown;
    return grown;
  }
}

/**
 * Position after the object or array that opens at `i`, checking that
 * brackets balance and match, but not the grammar between them.
 */
function nestedEnd(b: Uint8Array, i: number, end: number, stack: NestingStack): number {
  let closers = stack.closers;
  let depth = 0;
  for (;;) {
    let cls = NESTED_PLAIN;
    // Between strings there are only short runs of numbers, literals and
    // separators, so a table lookup per byte is all it costs.
    while (i < end && (cls = NESTED_CLASS[b[i]!]!) === NESTED_PLAIN) i++;
    if (i >= end) return TRUNCATED;
    const c = b[i]!;
    if (cls === NESTED_QUOTE) {
      i = stringEnd(b, i + 1);
      if (i < 0) return i;
    } else if (cls === NESTED_OPEN) {
      if (depth === closers.length) closers = stack.grow();
      closers[depth++] = c + CLOSER_OFFSET;
      i++;
    } else if (cls === NESTED_CLOSE) {
      if (closers[--depth] !== c) return INVALID;
      i++;
      if (depth === 0) return i;
    } else {
      return INVALID;
    }
  }
}

/** The byte scanner in plain JavaScript; see the file comment for what it checks. */
export class JsScanDecoder implements FrameDecoder {
  readonly name: string;
  private readonly maxFrameBytes: number;
  private readonly stack = new NestingStack();
  private readonly unescaper = new Unescaper();

  /** `name` is `fast` when this stands in for the WebAssembly scanner. */
  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES, name = 'fast-js') {
    this.maxFrameBytes = maxFrameBytes;
    this.name = name;
  }

  decode(frame: Uint8Array, out: DecodedFrame, knownUtf8 = false): MalformedKind | null {
    const open = precheck(frame, this.maxFrameBytes, knownUtf8);
    if (typeof open !== 'number') return open;
    const end = frame.length;
    // Where the last root uid and ts values start and end (a later duplicate
    // replaces an earlier one, as with JSON.parse).
    let uidStart = ABSENT;
    let uidEnd = ABSENT;
    let tsStart = ABSENT;
    let tsEnd = ABSENT;

    let i = whitespaceEnd(frame, open + 1, end);
    if (i >= end) return 'truncated';
    if (frame[i] !== CLOSE_BRACE) {
      for (;;) {
        if (frame[i] !== QUOTE) return 'invalid-json';
        const keyEnd = stringEnd(frame, i + 1);
        if (keyEnd < 0) return failureKind(keyEnd);
        const key = this.keyKind(frame, i + 1, keyEnd - 1);
        i = whitespaceEnd(frame, keyEnd, end);
        if (i >= end) return 'truncated';
        if (frame[i] !== COLON) return 'invalid-json';
        const valueStart = whitespaceEnd(frame, i + 1, end);
        if (valueStart >= end) return 'truncated';
        const first = frame[valueStart];
        let valueEnd: number;
        if (first === QUOTE) valueEnd = stringEnd(frame, valueStart + 1);
        else if (first === OPEN_BRACE || first === OPEN_BRACKET)
          valueEnd = nestedEnd(frame, valueStart, end, this.stack);
        else valueEnd = scalarEnd(frame, valueStart, end);
        if (valueEnd < 0) return failureKind(valueEnd);
        if (key === KEY_UID) {
          uidStart = valueStart;
          uidEnd = valueEnd;
        } else if (key === KEY_TS) {
          tsStart = valueStart;
          tsEnd = valueEnd;
        }
        i = whitespaceEnd(frame, valueEnd, end);
        if (i >= end) return 'truncated';
        const separator = frame[i];
        if (separator === CLOSE_BRACE) break;
        if (separator !== COMMA) return 'invalid-json';
        i = whitespaceEnd(frame, i + 1, end);
        if (i >= end) return 'truncated';
      }
    }
    if (whitespaceEnd(frame, i + 1, end) < end) return 'invalid-json';
    return readRootValues(frame, uidStart, uidEnd, tsStart, tsEnd, out, this.unescaper);
  }

  /** Whether the root key `b[start, end)` (between its quotes) is `uid`, `ts` or another. */
  private keyKind(b: Uint8Array, start: number, end: number): number {
    // Most keys are ruled out by their first byte: only `u`, `t` or an
    // escape can begin `uid` or `ts`.
    const first = b[start];
    if (first !== LOWER_U && first !== LOWER_T && first !== BACKSLASH) return KEY_OTHER;
    const length = end - start;
    if (length === 3 && b[start] === LOWER_U && b[start + 1] === LOWER_I && b[start + 2] === LOWER_D) return KEY_UID;
    if (length === 2 && b[start] === LOWER_T && b[start + 1] === LOWER_S) return KEY_TS;
    // JSON.parse reads `"u\u0069d"` as uid, so an escaped key must be decoded
    // before it can be ruled out. Only letters' `\uXXXX` escapes can spell
    // them, so only keys of 7 (`\u0074s`) to 18 bytes with a backslash can.
    if (length < MIN_ESCAPED_KEY_BYTES || length > MAX_ESCAPED_KEY_BYTES || !hasBackslash(b, start, end)) {
      return KEY_OTHER;
    }
    const n = this.unescaper.unescape(b, start, end);
    const u = this.unescaper.bytes;
    if (n === 3 && u[0] === LOWER_U && u[1] === LOWER_I && u[2] === LOWER_D) return KEY_UID;
    if (n === 2 && u[0] === LOWER_T && u[1] === LOWER_S) return KEY_TS;
    return KEY_OTHER;
  }
}
