import { Random } from './random.js';

/**
 * Pools of ready-made JSON fragments (root members and values), built once per
 * seed. Frames are assembled by copying fragments picked at random into one
 * output buffer, which is far faster than building objects and calling
 * JSON.stringify per frame, and still gives every frame a different layout.
 */

/** Root members in the pool; a power of two so a pick is one mask of a random word. */
export const MEMBER_POOL_SIZE = 4096;
export const MEMBER_POOL_MASK = MEMBER_POOL_SIZE - 1;
/** Bare values in the pool, for arrays in 'not-object' frames. */
const VALUE_POOL_SIZE = 1024;
export const VALUE_POOL_MASK = VALUE_POOL_SIZE - 1;
/** Largest fragment kept; bounds how far a frame can overshoot its target size. */
export const MAX_FRAGMENT_BYTES = 480;
/** Nesting depth of values below a root member (docs/frames.md: several levels deep). */
const MAX_DEPTH = 5;
/** Pools kept for recently used seeds, so tests making many small streams do not rebuild them. */
const POOL_CACHE_SIZE = 4;
/** Random stream of the pool builder (see Random's `stream`). */
const POOL_STREAM = 3;

/** Lorem-ipsum words for keys and text; never `uid` or `ts`, which are unique at the root. */
export const LOREM = [
  'lorem',
  'ipsum',
  'dolor',
  'sit',
  'amet',
  'consectetur',
  'adipiscing',
  'elit',
  'sed',
  'do',
  'eiusmod',
  'tempor',
  'incididunt',
  'ut',
  'labore',
  'et',
  'dolore',
  'magna',
  'aliqua',
  'enim',
  'ad',
  'minim',
  'veniam',
  'quis',
  'nostrud',
  'exercitation',
  'ullamco',
  'laboris',
  'nisi',
  'aliquip',
  'ex',
  'ea',
  'commodo',
  'consequat',
  'duis',
  'aute',
  'irure',
  'in',
  'reprehenderit',
  'voluptate',
  'velit',
  'esse',
  'cillum',
  'fugiat',
  'nulla',
  'pariatur',
  'excepteur',
  'sint',
  'occaecat',
  'cupidatat',
  'non',
  'proident',
  'sunt',
  'culpa',
  'qui',
  'officia',
  'deserunt',
  'mollit',
  'anim',
  'id',
  'est',
  'laborum',
  'specifying',
  'types',
] as const;

const CYRILLIC = [
  'Свобода, слава и любовь',
  'Привет, мир',
  'съешь же ещё этих мягких французских булок',
  'Москва',
  'ёжик в тумане',
  'Щука',
];
const EMOJI = ['😀', '🚀', '🔥', '👍🏽', '🇨🇭', '❤️', '🤖', '👨‍👩‍👧'];
const OTHER_SCRIPTS = [
  // Latin with diacritics, Japanese, Greek, mathematical symbols, Chinese: 2- and 3-byte UTF-8.
  'café',
  'naïve',
  '日本語のテキスト',
  'Ελληνικά',
  '∑∂√∞',
  '中文字符',
  'Zürich',
  'ümlaut',
];
/** Escapes as they appear in JSON text. `/` may be written bare or as `\/`. */
const ESCAPES = [
  '\\"',
  '\\\\',
  '\\/',
  '/',
  '\\b',
  '\\f',
  '\\n',
  '\\r',
  '\\t',
  '\\u00e9',
  '\\u0007',
  '\\ud83d\\ude00',
  '\\u2028',
  '\\u0000',
];
const PUNCTUATION = [' ', ' ', ' ', ', ', '. ', ': ', '; ', ' - ', '?', '!'];

/**
 * Root ts values that are present but not a number. All clearly non-numeric,
 * so no decoder can reasonably read a time out of them.
 */
const INVALID_TS_VALUES = [
  '"abc"',
  '""',
  'true',
  'false',
  'null',
  '{}',
  '[]',
  '"1468244384abc"',
  '"ts"',
  '[1468244384]',
  '{"ts":1468244384}',
  '"NaN"',
  '"-"',
  '"one"',
  '"2016-07-11T13:39:44Z"',
];

/** Lines that are not a JSON object; none starts with `{` or with whitespace. */
const NOT_OBJECT_LINES = [
  '[]',
  '[1,2,3]',
  '"just a string"',
  '12345',
  '1468244384',
  'null',
  'true',
  'false',
  'ERROR 502 upstream timed out',
  '<html><body>502 Bad Gateway</body></html>',
  'uid=470109cc73df8c6b5f0 ts=1468244384',
  '"{\\"uid\\":\\"470109cc73df8c6b5f0\\",\\"ts\\":1468244384}"',
  '}{',
  ']',
  'lorem ipsum dolor sit amet',
  '[{"uid":"470109cc73df8c6b5f0","ts":1468244384}]',
  '-1',
  '0.5',
];

/** Byte sequences that are not UTF-8: stray, overlong, surrogate, too large, cut short. */
const BAD_UTF8 = [
  [0xff],
  [0xfe],
  [0x80],
  [0xbf],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xc3],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];

export interface Pool {
  /** `"key":value` fragments for the root object. */
  readonly members: readonly Uint8Array[];
  /**
   * How far, on average, a frame passes a size by when members are added
   * until it is reached: E[L^2] / 2E[L] over member lengths L (with comma),
   * the mean residual of a renewal process, not just half the mean.
   */
  readonly meanOvershootBytes: number;
  /** Bare JSON values. */
  readonly values: readonly Uint8Array[];
  /** `"key":"` openings of a string member, for members carrying bad UTF-8. */
  readonly stringOpenings: readonly Uint8Array[];
  /** Plain text to put around bad UTF-8 bytes. */
  readonly texts: readonly Uint8Array[];
  readonly badUtf8: readonly Uint8Array[];
  readonly invalidTs: readonly Uint8Array[];
  readonly notObject: readonly Uint8Array[];
}

const encoder = new TextEncoder();
const cache = new Map<number, Pool>();

/** The pool for `seed`, built on first use. */
export function poolFor(seed: number): Pool {
  const cached = cache.get(seed);
  if (cached !== undefined) return cached;
  const pool = buildPool(seed);
  if (cache.size >= POOL_CACHE_SIZE) cache.delete(cache.keys().next().value as number);
  cache.set(seed, pool);
  return pool;
}

function buildPool(seed: number): Pool {
  const text = new JsonText(new Random(seed, POOL_STREAM));
  const members = packed(MEMBER_POOL_SIZE, () => `"${text.word()}":${text.value(0)}`);
  const values = packed(VALUE_POOL_SIZE, () => text.value(0));
  const sum = members.reduce((total, m) => total + m.length + 1, 0);
  const sumOfSquares = members.reduce((total, m) => total + (m.length + 1) ** 2, 0);
  return {
    members,
    meanOvershootBytes: sumOfSquares / (2 * sum),
    values,
    stringOpenings: LOREM.map((w) => encoder.encode(`"${w}":"`)),
    texts: packed(64, () => text.stringBody(text.random.chance(0.5) ? 'plain' : 'multibyte')),
    badUtf8: BAD_UTF8.map((bytes) => Uint8Array.from(bytes)),
    invalidTs: INVALID_TS_VALUES.map((v) => encoder.encode(v)),
    notObject: NOT_OBJECT_LINES.map((v) => encoder.encode(v)),
  };
}

/** Makes `count` fragments no longer than MAX_FRAGMENT_BYTES as views into one buffer. */
function packed(count: number, make: () => string): Uint8Array[] {
  const encoded: Uint8Array[] = [];
  let total = 0;
  while (encoded.length < count) {
    const bytes = encoder.encode(make());
    if (bytes.length > MAX_FRAGMENT_BYTES) continue;
    encoded.push(bytes);
    total += bytes.length;
  }
  const buffer = new Uint8Array(total);
  const views: Uint8Array[] = [];
  let pos = 0;
  for (const bytes of encoded) {
    buffer.set(bytes, pos);
    views.push(buffer.subarray(pos, pos + bytes.length));
    pos += bytes.length;
  }
  return views;
}

type StringKind = 'plain' | 'escaped' | 'multibyte' | 'hex' | 'digits' | 'decoy' | 'empty' | 'long' | 'backslash-end';
const STRING_KINDS: readonly StringKind[] = [
  'plain',
  'plain',
  'plain',
  'escaped',
  'escaped',
  'multibyte',
  'multibyte',
  'hex',
  'digits',
  'decoy',
  'empty',
  'long',
  'backslash-end',
];
const HEX_DIGITS = '0123456789abcdef';
/** Length of a uid-like hex string (3 + 16). */
const UID_LIKE_LENGTH = 19;

/** Random JSON text, written directly as JSON (escapes included), never via JSON.stringify. */
class JsonText {
  constructor(readonly random: Random) {}

  word(): string {
    return this.random.pick(LOREM);
  }

  private words(count: number): string {
    let out = this.word();
    for (let i = 1; i < count; i++) out += this.random.pick(PUNCTUATION) + this.word();
    return out;
  }

  private hex(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += HEX_DIGITS[this.random.below(HEX_DIGITS.length)];
    return out;
  }

  private tsLike(): number {
    return 1_400_000_000 + this.random.below(400_000_000);
  }

  /** The inside of a JSON string literal, already escaped. */
  stringBody(kind: StringKind): string {
    const r = this.random;
    switch (kind) {
      case 'plain':
        return this.words(r.between(1, 6));
      case 'escaped': {
        let out = '';
        const parts = r.between(2, 6);
        for (let i = 0; i < parts; i++) out += (r.chance(0.6) ? this.word() : '') + r.pick(ESCAPES);
        return r.chance(0.5) ? out + this.word() : out;
      }
      case 'multibyte': {
        let out = '';
        const parts = r.between(1, 4);
        for (let i = 0; i < parts; i++) {
          const which = r.below(4);
          out +=
            which === 0
              ? r.pick(CYRILLIC)
              : which === 1
                ? r.pick(EMOJI)
                : which === 2
                  ? r.pick(OTHER_SCRIPTS)
                  : this.word();
          if (r.chance(0.5)) out += ' ';
        }
        return out;
      }
      case 'hex':
        return this.hex(r.chance(0.7) ? UID_LIKE_LENGTH : r.between(1, 32));
      case 'digits':
        return String(r.chance(0.7) ? this.tsLike() : r.below(1_000_000));
      case 'decoy':
        // A text search for `"uid":` finds these; only a real parser knows they are inside a string.
        return r.chance(0.5)
          ? `${this.word()} \\"uid\\":\\"${this.hex(UID_LIKE_LENGTH)}\\",\\"ts\\":${this.tsLike()}`
          : `\\"ts\\":\\"${this.tsLike()}\\" ${this.word()}`;
      case 'empty':
        return '';
      case 'long':
        return this.words(r.between(15, 45));
      case 'backslash-end':
        // Ends in an escaped backslash, so the closing quote follows a backslash and is still a real quote.
        return `${this.words(r.between(1, 3))}${r.chance(0.5) ? '\\\\' : '\\\\\\\\'}`;
    }
  }

  string(): string {
    return `"${this.stringBody(this.random.pick(STRING_KINDS))}"`;
  }

  number(): string {
    const r = this.random;
    switch (r.below(6)) {
      case 0:
        return String(r.below(10));
      case 1:
        return String(r.between(-1000, 1000));
      case 2:
        return (r.double() * 10 ** r.between(-3, 3)).toPrecision(r.between(1, 9));
      case 3:
        return (-r.double() * 100).toFixed(r.between(1, 7));
      case 4:
        return `${r.between(1, 9)}.${r.below(1000)}e${r.chance(0.5) ? '-' : '+'}${r.between(1, 30)}`;
      default:
        return String(this.tsLike());
    }
  }

  /** A value of any kind; deeper levels lean towards scalars so nesting ends. */
  value(depth: number): string {
    const r = this.random;
    const nestWeight = depth >= MAX_DEPTH ? 0 : depth === 0 ? 0.35 : 0.25;
    if (r.chance(nestWeight)) return r.chance(0.55) ? this.object(depth + 1) : this.array(depth + 1);
    switch (r.below(8)) {
      case 0:
      case 1:
        return this.number();
      case 2:
        return r.chance(0.5) ? 'true' : 'false';
      case 3:
        return 'null';
      default:
        return this.string();
    }
  }

  /** A nested object; often carries decoy `uid` and `ts` keys with any kind of value. */
  private object(depth: number): string {
    const r = this.random;
    const parts: string[] = [];
    const count = r.below(6);
    for (let i = 0; i < count; i++) parts.push(`"${this.word()}":${this.value(depth)}`);
    if (r.chance(0.3)) parts.splice(r.below(parts.length + 1), 0, `"uid":${this.decoyValue(depth, true)}`);
    if (r.chance(0.3)) parts.splice(r.below(parts.length + 1), 0, `"ts":${this.decoyValue(depth, false)}`);
    return `{${parts.join(',')}}`;
  }

  private decoyValue(depth: number, uid: boolean): string {
    const r = this.random;
    if (r.chance(0.4))
      return uid ? `"${this.hex(UID_LIKE_LENGTH)}"` : r.chance(0.5) ? String(this.tsLike()) : `"${this.tsLike()}"`;
    return r.chance(0.3) && depth < MAX_DEPTH ? (r.chance(0.5) ? '{}' : '[]') : this.value(depth);
  }

  private array(depth: number): string {
    const count = this.random.below(6);
    const items: string[] = [];
    for (let i = 0; i < count; i++) items.push(this.value(depth));
    return `[${items.join(',')}]`;
  }
}
