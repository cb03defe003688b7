import { GRANULARITIES, type Granularity } from '@uniqstream/core';
import { InvalidArgumentError } from 'commander';
import { AppConfigError } from './errors.js';
import { oneLine } from './exit-codes.js';

/*
 * Value parsers: text from a flag, an environment variable or a config
 * file, to a value. A ValueType knows what it takes; `parser` gives it the
 * option's name for the message, and `argParser` hands it to commander,
 * which names the option itself.
 */

/** What a value of one kind is, and how to read one. */
export interface ValueType<T> {
  /** What a valid value looks like, after "must be" and "expected": `a whole number from 0 to 65535`. */
  readonly expected: string;
  /** The value the text stands for, or undefined when it stands for none. */
  readonly read: (text: string) => T | undefined;
  /** The whole message for a refused text, when "must be <expected>, got ..." does not fit (e.g. a blank name). */
  readonly refusal?: (name: string, text: string) => string;
}

/** Text to value; throws AppConfigError('BAD_OPTION') with one line. */
export type ValueParser<T> = (text: string) => T;

/**
 * A parser for `type`. With a name, a refusal says `max-delay must be a
 * number of seconds >= 0, got "soon"`; without one (commander names the
 * option before it), `expected a number of seconds >= 0`.
 */
export function parser<T>(type: ValueType<T>, name?: string): ValueParser<T> {
  return (text) => {
    const value = type.read(text);
    if (value !== undefined) return value;
    if (name === undefined) throw new AppConfigError('BAD_OPTION', `expected ${type.expected}`);
    throw new AppConfigError(
      'BAD_OPTION',
      type.refusal === undefined ? `${name} must be ${type.expected}, got "${text}"` : type.refusal(name, text),
    );
  };
}

/**
 * A parse function as commander's argParser wants it: any refusal becomes an
 * InvalidArgumentError, which commander prints after the option and the value.
 */
export function argParser<T>(parse: ValueParser<T>): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (error) {
      throw new InvalidArgumentError(oneLine(error));
    }
  };
}

/** Any text, as given. */
export const TEXT: ValueType<string> = { expected: 'text', read: (text) => text };

/** Text with something besides blanks, trimmed. */
export const NON_EMPTY: ValueType<string> = {
  expected: 'not empty',
  read: (text) => (text.trim() === '' ? undefined : text.trim()),
  refusal: (name) => `${name} must not be empty`,
};

/** A file name, as given. */
export const FILE_PATH: ValueType<string> = {
  expected: 'a file name',
  read: (text) => (text.trim() === '' ? undefined : text),
  refusal: (name) => `${name} needs a file name`,
};

const TRUE_WORDS: ReadonlySet<string> = new Set(['', 'true', '1', 'yes']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['false', '0', 'no']);

/** A switch as an environment variable or config file gives it: true/1/yes (or blank), false/0/no. */
export const BOOLEAN: ValueType<boolean> = {
  expected: 'true or false',
  read: (text) => {
    const word = text.trim().toLowerCase();
    return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : undefined;
  },
};

function numberOf(text: string): number | undefined {
  // Number('') is 0: a blank is no number.
  if (text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** A number of seconds >= 0, fractions allowed. */
export const SECONDS: ValueType<number> = {
  expected: 'a number of seconds >= 0',
  read: (text) => {
    const value = numberOf(text);
    return value !== undefined && value >= 0 ? value : undefined;
  },
};

/** A number of seconds above 0, fractions allowed. */
export const POSITIVE_SECONDS: ValueType<number> = {
  expected: 'a number of seconds > 0',
  read: (text) => {
    const value = numberOf(text);
    return value !== undefined && value > 0 ? value : undefined;
  },
};

/** A number above 0, fractions allowed. */
export const POSITIVE: ValueType<number> = {
  expected: 'a number above 0',
  read: (text) => {
    const value = numberOf(text);
    return value !== undefined && value > 0 ? value : undefined;
  },
};

/** A fraction from 0 to 1. */
export const FRACTION: ValueType<number> = {
  expected: 'a fraction from 0 to 1, e.g. 0.01',
  read: (text) => {
    const value = numberOf(text);
    return value !== undefined && value >= 0 && value <= 1 ? value : undefined;
  },
};

const SECONDS_PER_UNIT: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const DURATION_PATTERN = /^(\d+(?:\.\d+)?)([smhdw]?)$/;

/** Seconds, optionally with a unit: `900`, `90s`, `15m`, `2h`, `1d`, `1w`. */
export const DURATION: ValueType<number> = {
  expected: 'seconds, or a number with a unit s, m, h, d or w (e.g. 15m)',
  read: (text) => {
    const match = DURATION_PATTERN.exec(text.trim());
    if (match === null) return undefined;
    return Number(match[1]) * (SECONDS_PER_UNIT[match[2] || 's'] ?? 1);
  },
};

/** A whole number from `min` to `max` (a safe integer when no `max` is given). */
export function wholeNumber(min: number, max?: number): ValueType<number> {
  const upper = max ?? Number.MAX_SAFE_INTEGER;
  return {
    expected: max === undefined ? `a whole number >= ${min}` : `a whole number from ${min} to ${max}`,
    read: (text) => {
      const value = numberOf(text);
      return value !== undefined && Number.isSafeInteger(value) && value >= min && value <= upper ? value : undefined;
    },
  };
}

/** One of `choices`, exactly as written. */
export function oneOf<T extends string>(choices: readonly T[]): ValueType<T> {
  return {
    expected: `one of ${choices.join(', ')}`,
    read: (text) => choices.find((choice) => choice === text),
  };
}

/** Kafka's rule for topic names: up to 249 letters, digits, '.', '_' and '-'. */
export const TOPIC_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;

/** A Kafka topic name. */
export const TOPIC_NAME: ValueType<string> = {
  expected: "a valid topic name (letters, digits, '.', '_', '-')",
  read: (text) => (TOPIC_PATTERN.test(text) ? text : undefined),
  refusal: (name, text) => `${name} "${text}" is not a valid topic name (letters, digits, '.', '_', '-')`,
};

/** Parses `minute,hour,day` (or `all`) into granularities, finest first as given, each once. */
export function parseGranularities(text: string): Granularity[] {
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (names.length === 1 && names[0] === 'all') return [...GRANULARITIES];
  const out: Granularity[] = [];
  for (const name of names) {
    const g = GRANULARITIES.find((candidate) => candidate === name);
    if (g === undefined)
      throw new AppConfigError('BAD_OPTION', `unknown window ${name}: choose from ${GRANULARITIES.join(', ')} or all`);
    if (!out.includes(g)) out.push(g);
  }
  if (out.length === 0)
    throw new AppConfigError('BAD_OPTION', 'no window given: choose from minute, hour, day, week, month, year');
  return out;
}
