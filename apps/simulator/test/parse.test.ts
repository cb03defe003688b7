import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { duration, fraction, integer, oneOf, positive } from '../src/parse.js';

describe('option parsers', () => {
  it('read good values', () => {
    expect(integer(1)('42')).toBe(42);
    expect(positive('0.5')).toBe(0.5);
    expect(fraction('1')).toBe(1);
    expect(fraction('0')).toBe(0);
    expect(duration('900')).toBe(900);
    expect(duration('15m')).toBe(900);
    expect(duration('2h')).toBe(7200);
    expect(duration('1.5d')).toBe(129_600);
    expect(oneOf('a', 'b')('b')).toBe('b');
  });

  it.each<[string, () => unknown]>([
    ['integer below min', () => integer(1)('0')],
    ['integer fraction', () => integer(0)('1.5')],
    ['integer empty', () => integer(0)('')],
    ['integer above max', () => integer(0, 31)('32')],
    ['positive zero', () => positive('0')],
    ['positive text', () => positive('fast')],
    ['fraction above 1', () => fraction('1.01')],
    ['fraction negative', () => fraction('-0.1')],
    ['duration unit', () => duration('5y')],
    ['oneOf', () => oneOf('a', 'b')('c')],
  ])('refuse %s', (_name, parse) => {
    expect(parse).toThrow(InvalidArgumentError);
  });
});
