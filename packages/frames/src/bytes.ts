/** Byte values of the JSON grammar and the lookup tables the scanner's loops use. */

const BACKSPACE = 0x08;
const TAB = 0x09;
const LF = 0x0a;
const FORM_FEED = 0x0c;
const CR = 0x0d;
export const SPACE = 0x20;
export const QUOTE = 0x22;
export const PLUS = 0x2b;
export const COMMA = 0x2c;
export const MINUS = 0x2d;
export const DOT = 0x2e;
const SLASH = 0x2f;
export const DIGIT_0 = 0x30;
export const DIGIT_1 = 0x31;
const DIGIT_9 = 0x39;
export const COLON = 0x3a;
const UPPER_A = 0x41;
export const UPPER_E = 0x45;
export const OPEN_BRACKET = 0x5b;
export const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const LOWER_A = 0x61;
const LOWER_B = 0x62;
export const LOWER_D = 0x64;
export const LOWER_E = 0x65;
export const LOWER_F = 0x66;
export const LOWER_I = 0x69;
export const LOWER_N = 0x6e;
const LOWER_R = 0x72;
export const LOWER_S = 0x73;
export const LOWER_T = 0x74;
export const LOWER_U = 0x75;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;

/** Number of distinct byte values, the size of every lookup table. */
const BYTE_VALUES = 256;

export function isWhitespace(byte: number): boolean {
  return byte === SPACE || byte === TAB || byte === LF || byte === CR;
}

export function isDigit(byte: number): boolean {
  return byte >= DIGIT_0 && byte <= DIGIT_9;
}

/** Classes of bytes outside strings inside a nested value. */
export const NESTED_PLAIN = 0;
export const NESTED_QUOTE = 1;
export const NESTED_OPEN = 2;
export const NESTED_CLOSE = 3;
const NESTED_INVALID = 4;

/**
 * Class of each byte outside strings inside a nested value. Plain bytes are
 * those that may appear in whitespace, separators, numbers and the literals
 * true/false/null; any other byte cannot occur outside a string in JSON, so
 * it is refused rather than skipped.
 */
export const NESTED_CLASS = new Uint8Array(BYTE_VALUES).fill(NESTED_INVALID);
for (const ch of ' \t\r\n,:-+.0123456789eEtruefalsn') NESTED_CLASS[ch.charCodeAt(0)] = NESTED_PLAIN;
NESTED_CLASS[QUOTE] = NESTED_QUOTE;
NESTED_CLASS[OPEN_BRACE] = NESTED_OPEN;
NESTED_CLASS[OPEN_BRACKET] = NESTED_OPEN;
NESTED_CLASS[CLOSE_BRACE] = NESTED_CLOSE;
NESTED_CLASS[CLOSE_BRACKET] = NESTED_CLOSE;

/** Value of a hex digit byte, or HEX_INVALID. */
export const HEX_INVALID = 0xff;
export const HEX_VALUE = new Uint8Array(BYTE_VALUES).fill(HEX_INVALID);
const DECIMAL_DIGITS = 10;
const HEX_LETTERS = 6;
for (let d = 0; d < DECIMAL_DIGITS; d++) HEX_VALUE[DIGIT_0 + d] = d;
for (let d = 0; d < HEX_LETTERS; d++) {
  HEX_VALUE[UPPER_A + d] = DECIMAL_DIGITS + d;
  HEX_VALUE[LOWER_A + d] = DECIMAL_DIGITS + d;
}

/** The byte each single-character escape stands for (`\n` -> LF); 0 when the escape is not one of them. */
export const SIMPLE_ESCAPE = new Uint8Array(BYTE_VALUES);
SIMPLE_ESCAPE[QUOTE] = QUOTE;
SIMPLE_ESCAPE[BACKSLASH] = BACKSLASH;
SIMPLE_ESCAPE[SLASH] = SLASH;
SIMPLE_ESCAPE[LOWER_B] = BACKSPACE;
SIMPLE_ESCAPE[LOWER_F] = FORM_FEED;
SIMPLE_ESCAPE[LOWER_N] = LF;
SIMPLE_ESCAPE[LOWER_R] = CR;
SIMPLE_ESCAPE[LOWER_T] = TAB;
