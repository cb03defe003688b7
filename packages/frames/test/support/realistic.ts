/**
 * Frames shaped like the challenge's generator (docs/frames.md): 0-3 keys, then
 * uid and ts side by side in either order, then more keys until ~2 KB. Values
 * are mostly text (ASCII with escaped separators, or Cyrillic), some numbers
 * and booleans, and nested arrays and objects that fill up to a share of the
 * frame; one nested key in six is a decoy `uid` or `ts`.
 */

import { prng } from './json-model.js';

const KEYS = (
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et ' +
  'dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea ' +
  'commodo consequat duis aute irure reprehenderit voluptate velit esse cillum fugiat nulla pariatur'
).split(' ');
const WORDS = (
  'frames arrive from partitions carrying identifiers timestamps and arbitrary payloads which a careful ' +
  'scanner reads without allocating objects while counting distinct visitors across windows of event time'
).split(' ');
/** Separators as written in JSON: most of them are escapes. */
const SEPARATORS = [' ', '\\"', '\\\\', '/', '\\b', '\\f', '\\n', '\\r', '\\t'];
const CYRILLIC = [
  'Свобода, слава и любовь',
  'В те дни, когда мне были новы',
  'Печальны были наши встречи',
  'И вдохновенные искусства 🎉',
];

export interface RealisticFrame {
  readonly text: string;
  readonly uid: string;
  readonly ts: number;
}

export function realisticFrame(seed: number, limit = 2048): RealisticFrame {
  const random = prng(seed);
  const below = (n: number): number => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[below(items.length)]!;
  let out = '';
  let level = 0;
  const text = (): string => {
    if (below(10) === 0) return pick(CYRILLIC);
    const start = below(WORDS.length - 8);
    return WORDS.slice(start, start + 8).join(pick(SEPARATORS));
  };
  const value = (): void => {
    const roll = below(256);
    if (roll <= 20) out += below(2) ? String(below(256)) : String(random());
    else if (roll <= 30) out += below(2) ? 'true' : 'false';
    else if (roll <= 200) out += `"${text()}"`;
    else if (roll <= 225) array();
    else object();
  };
  const key = (): string => (level === 1 || below(6) ? pick(KEYS) : below(2) ? 'uid' : 'ts');
  const array = (): void => {
    level++;
    out += '[';
    for (let first = true; out.length < limit / level; first = false) {
      if (!first) out += ',';
      value();
    }
    out += ']';
    level--;
  };
  const object = (): void => {
    level++;
    out += '{';
    for (let first = true; out.length < limit / level; first = false) {
      if (!first) out += ',';
      out += `"${key()}":`;
      value();
    }
    out += '}';
    level--;
  };
  const uid = Array.from({ length: 19 }, () => '0123456789abcdef'[below(16)]).join('');
  const ts = 1468244384 + below(1000);
  const tsText = below(10) === 0 ? `"${ts}"` : String(ts);
  level = 1;
  out = '{';
  const leading = below(4);
  for (let i = 0; i < leading; i++) {
    out += `"${key()}":`;
    value();
    out += ',';
  }
  out += below(2) ? `"uid":"${uid}","ts":${tsText}` : `"ts":${tsText},"uid":"${uid}"`;
  while (out.length < limit) {
    out += `,"${key()}":`;
    value();
  }
  out += '}';
  return { text: out, uid, ts };
}
