import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { AppConfigError } from '../src/errors.js';
import {
  argParser,
  BOOLEAN,
  DURATION,
  FILE_PATH,
  FRACTION,
  NON_EMPTY,
  oneOf,
  POSITIVE,
  POSITIVE_SECONDS,
  parseGranularities,
  parser,
  SECONDS,
  TOPIC_NAME,
  wholeNumber,
} from '../src/values.js';

describe('value parsers', () => {
  it('read good values', () => {
    expect(parser(wholeNumber(1))('42')).toBe(42);
    expect(parser(POSITIVE)('0.5')).toBe(0.5);
    expect(parser(FRACTION)('1')).toBe(1);
    expect(parser(FRACTION)('0')).toBe(0);
    expect(parser(DURATION)('900')).toBe(900);
    expect(parser(DURATION)('15m')).toBe(900);
    expect(parser(DURATION)('2h')).toBe(7200);
    expect(parser(DURATION)('1.5d')).toBe(129_600);
    expect(parser(oneOf(['a', 'b']))('b')).toBe('b');
    expect(parser(SECONDS)('0')).toBe(0);
    expect(parser(SECONDS)(' 2.5 ')).toBe(2.5);
    expect(parser(POSITIVE_SECONDS)('0.1')).toBe(0.1);
    expect(parser(NON_EMPTY)(' host ')).toBe('host');
    expect(parser(FILE_PATH)('ca.pem')).toBe('ca.pem');
    expect(parser(TOPIC_NAME)('a.b_c-1')).toBe('a.b_c-1');
    for (const yes of ['', 'true', '1', 'YES']) expect(parser(BOOLEAN)(yes)).toBe(true);
    for (const no of ['false', '0', 'No']) expect(parser(BOOLEAN)(no)).toBe(false);
  });

  it.each<[string, () => unknown]>([
    ['integer below min', () => parser(wholeNumber(1))('0')],
    ['integer fraction', () => parser(wholeNumber(0))('1.5')],
    ['integer empty', () => parser(wholeNumber(0))('')],
    ['integer above max', () => parser(wholeNumber(0, 31))('32')],
    ['positive zero', () => parser(POSITIVE)('0')],
    ['positive text', () => parser(POSITIVE)('fast')],
    ['fraction above 1', () => parser(FRACTION)('1.01')],
    ['fraction negative', () => parser(FRACTION)('-0.1')],
    ['duration unit', () => parser(DURATION)('5y')],
    ['oneOf', () => parser(oneOf(['a', 'b']))('c')],
    ['seconds negative', () => parser(SECONDS)('-1')],
    ['seconds blank', () => parser(SECONDS)(' ')],
    ['positive seconds zero', () => parser(POSITIVE_SECONDS)('0')],
    ['boolean', () => parser(BOOLEAN)('maybe')],
    ['topic', () => parser(TOPIC_NAME)('bad topic')],
  ])('refuse %s', (_name, parse) => {
    expect(parse).toThrow(AppConfigError);
  });

  it('say in one line what they expected, with the option name when they have it', () => {
    expect(() => parser(SECONDS, 'max-delay')('soon')).toThrow(
      'max-delay must be a number of seconds >= 0, got "soon"',
    );
    expect(() => parser(wholeNumber(0, 65_535), 'http-port')('70000')).toThrow(
      'http-port must be a whole number from 0 to 65535, got "70000"',
    );
    expect(() => parser(BOOLEAN, 'kafka-tls')('maybe')).toThrow('kafka-tls must be true or false, got "maybe"');
    expect(() => parser(NON_EMPTY, 'kafka-user')(' ')).toThrow(/^kafka-user must not be empty$/);
    expect(() => parser(FILE_PATH, 'kafka-ca')('')).toThrow(/^kafka-ca needs a file name$/);
    expect(() => parser(TOPIC_NAME, 'partials-topic')('a b')).toThrow(
      `partials-topic "a b" is not a valid topic name (letters, digits, '.', '_', '-')`,
    );
    expect(() => parser(FRACTION)('2')).toThrow(/^expected a fraction from 0 to 1, e\.g\. 0\.01$/);
    expect(() => parser(wholeNumber(1, 9))('10')).toThrow(/^expected a whole number from 1 to 9$/);
    expect(() => parser(wholeNumber(0))('-1')).toThrow(/^expected a whole number >= 0$/);
  });

  it('hand refusals to commander as InvalidArgumentError, which it prints after the option', () => {
    const parse = argParser(parser(wholeNumber(1, 9)));
    expect(parse('3')).toBe(3);
    expect(() => parse('10')).toThrow(InvalidArgumentError);
    expect(() => parse('10')).toThrow('expected a whole number from 1 to 9');
  });
});

describe('parseGranularities', () => {
  it('reads a list once each, or all', () => {
    expect(parseGranularities('minute, hour,minute')).toEqual(['minute', 'hour']);
    expect(parseGranularities('all')).toEqual(['minute', 'hour', 'day', 'week', 'month', 'year']);
  });

  it('refuses an unknown window or none', () => {
    expect(() => parseGranularities('fortnight')).toThrow(
      'unknown window fortnight: choose from minute, hour, day, week, month, year or all',
    );
    expect(() => parseGranularities(' , ')).toThrow(AppConfigError);
  });
});
