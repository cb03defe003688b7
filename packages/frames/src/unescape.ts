/**
 * Decoding a JSON string's escapes into UTF-8 bytes, for the rare root key,
 * uid or ts string that has a backslash. The result must hash exactly like
 * the string JSON.parse returns, encoded by TextEncoder: `\uXXXX` pairs become
 * one 4-byte character, and a lone surrogate becomes U+FFFD.
 */

import { BACKSLASH, HEX_INVALID, HEX_VALUE, LOWER_U, SIMPLE_ESCAPE } from './bytes.js';

const HIGH_SURROGATE_MIN = 0xd800;
const LOW_SURROGATE_MIN = 0xdc00;
const LOW_SURROGATE_END = 0xe000;
const SUPPLEMENTARY_BASE = 0x10000;
const REPLACEMENT_CHARACTER = 0xfffd;
const ONE_BYTE_LIMIT = 0x80;
const TWO_BYTE_LIMIT = 0x800;
/** UTF-8 lead bytes of 2-, 3- and 4-byte sequences, and the continuation byte's tag and payload. */
const LEAD_2 = 0xc0;
const LEAD_3 = 0xe0;
const LEAD_4 = 0xf0;
const CONTINUATION = 0x80;
const PAYLOAD_MASK = 0x3f;
const PAYLOAD_BITS = 6;
/** A surrogate carries 10 bits of the code point. */
const SURROGATE_BITS = 10;
const NIBBLE_BITS = 4;
const ESCAPE_HEX_DIGITS = 4;
/** Enough for any uid seen so far; grows for a longer one. */
const INITIAL_CAPACITY = 64;
/** `\uXXXX` is 6 bytes. */
const UNICODE_ESCAPE_BYTES = 6;

/** Reusable output; grows to the largest escaped string seen. */
export class Unescaper {
  bytes = new Uint8Array(INITIAL_CAPACITY);

  /**
   * Unescapes the string content `src[start, end)` into `this.bytes` and
   * returns its length, or -1 when an escape is malformed.
   */
  unescape(src: Uint8Array, start: number, end: number): number {
    // Escapes never expand (`\n` -> 1 byte, `\uXXXX` -> at most 4 bytes for
    // 6 or 12 input bytes), so the input length bounds the output.
    if (this.bytes.length < end - start) this.bytes = new Uint8Array(end - start);
    const out = this.bytes;
    let n = 0;
    let i = start;
    while (i < end) {
      const c = src[i]!;
      if (c !== BACKSLASH) {
        out[n++] = c;
        i++;
        continue;
      }
      if (i + 1 >= end) return -1;
      const e = src[i + 1]!;
      if (e !== LOWER_U) {
        const simple = SIMPLE_ESCAPE[e]!;
        if (simple === 0) return -1;
        out[n++] = simple;
        i += 2;
        continue;
      }
      const unit = hex4(src, i + 2, end);
      if (unit < 0) return -1;
      i += UNICODE_ESCAPE_BYTES;
      let codePoint = unit;
      if (unit >= HIGH_SURROGATE_MIN && unit < LOW_SURROGATE_END) {
        codePoint = REPLACEMENT_CHARACTER;
        if (unit < LOW_SURROGATE_MIN && i + 1 < end && src[i] === BACKSLASH && src[i + 1] === LOWER_U) {
          const low = hex4(src, i + 2, end);
          if (low < 0) return -1;
          if (low >= LOW_SURROGATE_MIN && low < LOW_SURROGATE_END) {
            codePoint =
              SUPPLEMENTARY_BASE + ((unit - HIGH_SURROGATE_MIN) << SURROGATE_BITS) + (low - LOW_SURROGATE_MIN);
            i += UNICODE_ESCAPE_BYTES;
          }
          // Otherwise the next escape stands alone and is decoded on the next turn.
        }
      }
      n = putUtf8(out, n, codePoint);
    }
    return n;
  }
}

function hex4(src: Uint8Array, i: number, end: number): number {
  if (i + ESCAPE_HEX_DIGITS > end) return -1;
  const a = HEX_VALUE[src[i]!]!;
  const b = HEX_VALUE[src[i + 1]!]!;
  const c = HEX_VALUE[src[i + 2]!]!;
  const d = HEX_VALUE[src[i + 3]!]!;
  if (a === HEX_INVALID || b === HEX_INVALID || c === HEX_INVALID || d === HEX_INVALID) return -1;
  return (((((a << NIBBLE_BITS) | b) << NIBBLE_BITS) | c) << NIBBLE_BITS) | d;
}

function putUtf8(out: Uint8Array, n: number, cp: number): number {
  if (cp < ONE_BYTE_LIMIT) {
    out[n++] = cp;
  } else if (cp < TWO_BYTE_LIMIT) {
    out[n++] = LEAD_2 | (cp >> PAYLOAD_BITS);
    out[n++] = CONTINUATION | (cp & PAYLOAD_MASK);
  } else if (cp < SUPPLEMENTARY_BASE) {
    out[n++] = LEAD_3 | (cp >> (2 * PAYLOAD_BITS));
    out[n++] = CONTINUATION | ((cp >> PAYLOAD_BITS) & PAYLOAD_MASK);
    out[n++] = CONTINUATION | (cp & PAYLOAD_MASK);
  } else {
    out[n++] = LEAD_4 | (cp >> (3 * PAYLOAD_BITS));
    out[n++] = CONTINUATION | ((cp >> (2 * PAYLOAD_BITS)) & PAYLOAD_MASK);
    out[n++] = CONTINUATION | ((cp >> PAYLOAD_BITS) & PAYLOAD_MASK);
    out[n++] = CONTINUATION | (cp & PAYLOAD_MASK);
  }
  return n;
}
