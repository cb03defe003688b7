/**
 * A JSON model that can hold what JS objects cannot (duplicate keys, key
 * order), a serializer that picks whitespace and escapes at random, and
 * fast-check arbitraries for frames full of traps: escaped quotes and `\\"`
 * before a key, `"uid"` inside string values, nested decoys, unicode,
 * whitespace between tokens, duplicate keys, ts as number and as string.
 */

import fc from 'fast-check';

export type Json = null | boolean | number | string | JsonArray | JsonObject | JsonRaw;
/** Text written as is: numbers a double cannot hold (`1e400`), or deliberate damage. */
export interface JsonRaw {
  readonly kind: 'raw';
  readonly text: string;
}
export function raw(text: string): JsonRaw {
  return { kind: 'raw', text };
}
export interface JsonArray {
  readonly kind: 'array';
  readonly items: readonly Json[];
}
export interface JsonObject {
  readonly kind: 'object';
  readonly entries: readonly (readonly [string, Json])[];
}

export function obj(...entries: (readonly [string, Json])[]): JsonObject {
  return { kind: 'object', entries };
}
export function arr(...items: Json[]): JsonArray {
  return { kind: 'array', items };
}

/** Mulberry32: a small seeded generator, so a style is reproducible from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How a value is written: where whitespace goes and which characters are escaped. */
export interface Style {
  /** Chance of whitespace around each token. */
  readonly whitespace: number;
  /** Chance of writing an escapable character as `\uXXXX`. */
  readonly unicodeEscapes: number;
  /** Chance of writing `/` as `\/`. */
  readonly slashEscapes: number;
  readonly random: () => number;
}

const COMPACT: Style = { whitespace: 0, unicodeEscapes: 0, slashEscapes: 0, random: () => 1 };

export function style(seed: number, whitespace = 0.2, unicodeEscapes = 0.05, slashEscapes = 0.5): Style {
  return { whitespace, unicodeEscapes, slashEscapes, random: prng(seed) };
}

const WHITESPACE = [' ', '\t', '\r', '\n'];
const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function ws(s: Style): string {
  let out = '';
  while (s.random() < s.whitespace) out += WHITESPACE[Math.floor(s.random() * WHITESPACE.length)];
  return out;
}

function hex4(unit: number): string {
  return `\\u${unit.toString(16).padStart(4, '0')}`;
}

export function writeString(value: string, s: Style): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    const ch = value[i]!;
    const isSurrogate = unit >= 0xd800 && unit < 0xe000;
    if (isSurrogate) {
      const next = value.charCodeAt(i + 1);
      const paired = unit < 0xdc00 && next >= 0xdc00 && next < 0xe000;
      if (paired && s.random() >= s.unicodeEscapes) {
        out += ch + value[i + 1]!;
      } else if (paired) {
        out += hex4(unit) + hex4(next);
      } else {
        // A lone surrogate cannot be written as UTF-8 at all.
        out += hex4(unit);
        continue;
      }
      i++;
    } else if (s.random() < s.unicodeEscapes) {
      out += s.random() < 0.5 ? hex4(unit) : hex4(unit).toUpperCase().replace('\\U', '\\u');
    } else if (SHORT_ESCAPES[ch] !== undefined) {
      out += SHORT_ESCAPES[ch];
    } else if (unit < 0x20) {
      out += hex4(unit);
    } else if (ch === '/' && s.random() < s.slashEscapes) {
      out += '\\/';
    } else {
      out += ch;
    }
  }
  return `${out}"`;
}

function writeNumber(n: number, s: Style): string {
  const plain = JSON.stringify(n);
  // Same value, other spellings the grammar allows.
  if (Number.isInteger(n) && Math.abs(n) < 1e15 && s.random() < 0.1)
    return n.toExponential().replace('+', s.random() < 0.5 ? '+' : '');
  return plain;
}

export function write(value: Json, s: Style = COMPACT): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return writeNumber(value, s);
  if (typeof value === 'string') return writeString(value, s);
  if (value.kind === 'raw') return value.text;
  if (value.kind === 'array') {
    return `[${ws(s)}${value.items.map((item) => write(item, s)).join(`${ws(s)},${ws(s)}`)}${ws(s)}]`;
  }
  const parts = value.entries.map(([k, v]) => `${writeString(k, s) + ws(s)}:${ws(s)}${write(v, s)}`);
  return `{${ws(s)}${parts.join(`${ws(s)},${ws(s)}`)}${ws(s)}}`;
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

// ---------------------------------------------------------------- arbitraries

const LOREM = [
  'lorem',
  'ipsum',
  'dolor',
  'sit',
  'amet',
  'eiusmod',
  'tempor',
  'ut',
  'ullamco',
  'minim',
  'ad',
  'consectetur',
];

/** Strings chosen to break scanners that cut corners. */
const TRAPS = [
  'uid',
  'ts',
  '"uid":',
  '"uid":"x","ts":1}',
  '{"uid":"a","ts":1}',
  'a\\',
  '\\',
  '\\"',
  '"',
  '\\\\"uid\\\\":',
  'specifying"types,"like',
  'Свобода, слава и любовь',
  'emoji 😀🎉 ok',
  '\u2028\u2029',
  '\u0000\u001f',
  '}]',
  '{[',
  '/\b\f\n\r\t',
];

const keyArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...LOREM) },
  { weight: 2, arbitrary: fc.constantFrom('uid', 'ts', 'UID', 'Uid', 'uid ', ' ts', 'uidx', 'tss', 'u', 't', '') },
  { weight: 1, arbitrary: fc.constantFrom(...TRAPS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
);

const stringArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TRAPS) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('\ud800', 'a\udc00b', '\udbff\udfff') },
);

const scalarArb: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  stringArb,
);

/** Any JSON value, nested up to a few levels, with decoy `uid`/`ts` keys and duplicate keys. */
export const valueArb: fc.Arbitrary<Json> = fc.letrec<{ value: Json; array: JsonArray; object: JsonObject }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalarArb, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }).map((items) => arr(...items)),
  object: fc
    .array(fc.tuple(keyArb, tie('value')), { maxLength: 4 })
    .map((entries) => obj(...entries.map(([k, v]) => [k, v] as const))),
})).value;

/** A uid value JSON.parse will hand back as a non-empty string. */
const uidArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 19, maxLength: 19 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom(...TRAPS.filter((t) => t !== '')) },
  { weight: 1, arbitrary: fc.constantFrom('\ud800', 'x\udfff', '😀', 'Свобода') },
);

/** A valid ts as the value JSON.parse would see: a number, or a numeric string. */
const tsArb: fc.Arbitrary<number | string> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 2 ** 32 - 1 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 2 ** 32 - 1 }).map(String) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 2 ** 32 - 1, noNaN: true }) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 2 ** 32 - 1, noNaN: true }).map((n) => JSON.stringify(n)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('0', '-0', '1468244384', '1.468244384e9', '4294967295.999', '1E3', '0.5', '-0.0'),
  },
);

export interface FrameCase {
  readonly text: string;
  readonly bytes: Uint8Array;
}

const otherEntryArb: fc.Arbitrary<readonly [string, Json]> = fc
  .tuple(keyArb, valueArb)
  .filter(([k]) => k !== 'uid' && k !== 'ts')
  .map(([k, v]) => [k, v] as const);

/**
 * A valid frame: other entries around the root uid and ts (in either order),
 * sometimes earlier duplicates of uid and ts that the last ones override,
 * written in a random style, with optional leading whitespace and `\r`.
 */
export const validFrameArb: fc.Arbitrary<FrameCase> = fc
  .record({
    before: fc.array(otherEntryArb, { maxLength: 3 }),
    between: fc.array(otherEntryArb, { maxLength: 1 }),
    after: fc.array(otherEntryArb, { maxLength: 4 }),
    earlier: fc.array(fc.tuple(fc.constantFrom('uid', 'ts'), valueArb), { maxLength: 2 }),
    uid: uidArb,
    ts: tsArb,
    tsFirst: fc.boolean(),
    seed: fc.integer(),
    whitespace: fc.constantFrom(0, 0, 0.1, 0.4),
    escapes: fc.constantFrom(0, 0, 0.05, 0.5),
    lead: fc.constantFrom('', '', ' ', '\t '),
    trail: fc.constantFrom('', '', '\r', ' \r'),
  })
  .map((r) => {
    const uid = ['uid', r.uid] as const;
    const ts = ['ts', r.ts] as const;
    const pair = r.tsFirst ? [ts, ...r.between, uid] : [uid, ...r.between, ts];
    const root = obj(...r.earlier.map(([k, v]) => [k, v] as const), ...r.before, ...pair, ...r.after);
    const text = r.lead + write(root, style(r.seed, r.whitespace, r.escapes)) + r.trail;
    return { text, bytes: utf8(text) };
  });
