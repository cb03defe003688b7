/**
 * The decode suite's corpus: frames shaped like the challenge generator's
 * (docs/frames.md). The root has 0-3 keys, then `uid` and `ts` side by side in
 * either order (ts a string one time in ten), then more keys until ~2 KB.
 * Values are mostly text (eight words joined by a separator that is usually
 * an escape, or a line of Cyrillic, sometimes with an emoji), some small
 * integers, floats and booleans, and nested arrays and objects that fill up
 * to half (then a third, ...) of the frame; one nested key in six is a decoy
 * `uid` or `ts`. Self-contained and deterministic.
 */

/** About the size of a real frame (docs/frames.md). */
const FRAME_BYTES = 2048;

const FIRST_TS = 1_468_244_384;
const UID_HEX_DIGITS = 19;
const HEX = '0123456789abcdef';
const WORDS_PER_TEXT = 8;
/** Out of 256, as in the generator: numbers, booleans, text, arrays, objects. */
const NUMBER_BELOW = 21;
const BOOLEAN_BELOW = 31;
const TEXT_BELOW = 201;
const ARRAY_BELOW = 226;
/** One nested key in this many is a decoy uid or ts. */
const DECOY_ONE_IN = 6;
/** One text in this many is Cyrillic rather than ASCII. */
const CYRILLIC_ONE_IN = 10;
/** One ts in this many is written as a string. */
const STRING_TS_ONE_IN = 10;

const KEYS = (
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore ' +
  'et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ' +
  'ex ea commodo consequat duis aute irure reprehenderit voluptate velit esse cillum fugiat nulla ' +
  'pariatur excepteur sint occaecat cupidatat proident culpa officia deserunt mollit anim laborum'
).split(' ');
const WORDS = (
  'streams of frames arrive from several partitions carrying identifiers timestamps and arbitrary ' +
  'payloads which a careful decoder reads without allocating objects while the counters keep distinct ' +
  'visitors across windows of event time and report every revision downstream'
).split(' ');
/** As written inside a JSON string: space, and escapes for `"`, `\`, and control characters; `/` is left bare. */
const SEPARATORS = [' ', '\\"', '\\\\', '/', '\\b', '\\f', '\\n', '\\r', '\\t'];
const CYRILLIC = [
  'Свобода, слава и любовь',
  'В те дни, когда мне были новы',
  'Все впечатленья бытия',
  'Печальны были наши встречи',
  'И вдохновенные искусства 🎉',
  'Тоской внезапной осеня 😀',
];

/** Deterministic xorshift32, so every run and machine decodes the same corpus. */
function random(seed: number): () => number {
  let state = seed | 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

/** `count` frames, each one line of JSON text without its line end. */
export function makeDecodeFrames(count: number, seed = 0x5eed): string[] {
  const next = random(seed);
  const below = (n: number): number => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[below(items.length)]!;
  const frames: string[] = [];
  let out = '';
  let level = 0;

  const text = (): string => {
    if (below(CYRILLIC_ONE_IN) === 0) return pick(CYRILLIC);
    const start = below(WORDS.length - WORDS_PER_TEXT);
    return WORDS.slice(start, start + WORDS_PER_TEXT).join(pick(SEPARATORS));
  };
  const key = (): string => (level === 1 || below(DECOY_ONE_IN) > 0 ? pick(KEYS) : below(2) ? 'uid' : 'ts');
  const value = (): void => {
    const roll = below(256);
    if (roll < NUMBER_BELOW) out += below(2) ? String(below(256)) : next().toFixed(7);
    else if (roll < BOOLEAN_BELOW) out += below(2) ? 'true' : 'false';
    else if (roll < TEXT_BELOW) out += `"${text()}"`;
    else if (roll < ARRAY_BELOW) container('[', ']', false);
    else container('{', '}', true);
  };
  // A nested container keeps growing until the frame reaches FRAME_BYTES / level,
  // which is what makes the generator's frames so deeply filled.
  const container = (open: string, close: string, keyed: boolean): void => {
    level++;
    out += open;
    for (let first = true; out.length < FRAME_BYTES / level; first = false) {
      if (!first) out += ',';
      if (keyed) out += `"${key()}":`;
      value();
    }
    out += close;
    level--;
  };

  for (let index = 0; index < count; index++) {
    let uid = '';
    for (let i = 0; i < UID_HEX_DIGITS; i++) uid += HEX[below(HEX.length)];
    const ts = FIRST_TS + index;
    const tsText = below(STRING_TS_ONE_IN) === 0 ? `"${ts}"` : String(ts);
    level = 1;
    out = '{';
    const leading = below(4);
    for (let i = 0; i < leading; i++) {
      out += `"${key()}":`;
      value();
      out += ',';
    }
    out += below(2) ? `"uid":"${uid}","ts":${tsText}` : `"ts":${tsText},"uid":"${uid}"`;
    while (out.length < FRAME_BYTES) {
      out += `,"${key()}":`;
      value();
    }
    frames.push(`${out}}`);
  }
  return frames;
}
