import { describe, expect, it } from 'vitest';
import { GeneratorError } from '../src/errors.js';
import { parseStart, resolveOptions, type StreamOptions } from '../src/options.js';

const base: StreamOptions = { seed: 1, users: 100, rate: 10, start: 1_468_244_384, frames: 50 };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof GeneratorError) return error.code;
    throw error;
  }
  return undefined;
}

describe('resolveOptions', () => {
  it('fills in the documented defaults', () => {
    const o = resolveOptions(base);
    expect(o).toMatchObject({
      frameBytes: 2048,
      maxDelay: 5,
      tailDelay: 60,
      lateFraction: 0,
      tailFraction: 0,
      crlf: false,
      tz: 'UTC',
      zipf: null,
      frames: 50,
    });
  });

  it('turns a duration into frames', () => {
    const { frames: _, ...rest } = base;
    expect(resolveOptions({ ...rest, duration: 7, rate: 3 }).frames).toBe(21);
  });

  it.each<[string, Partial<StreamOptions>]>([
    ['negative seed', { seed: -1 }],
    ['fractional users', { users: 1.5 }],
    ['zero users', { users: 0 }],
    ['zero rate', { rate: 0 }],
    ['NaN rate', { rate: Number.NaN }],
    ['fraction above 1', { lateFraction: 1.5 }],
    ['late + tail above 1', { lateFraction: 0.6, tailFraction: 0.6 }],
    ['tail delay not above max delay', { tailFraction: 0.1, maxDelay: 10, tailDelay: 10 }],
    ['zipf 0', { zipf: 0 }],
    ['both frames and duration', { duration: 5 }],
    ['start past 32 bits', { start: 2 ** 32 }],
    ['bitflip bit 32', { bitflipMinBit: 32 }],
  ])('refuses %s with BAD_OPTION', (_name, change) => {
    expect(codeOf(() => resolveOptions({ ...base, ...change }))).toBe('BAD_OPTION');
  });

  it('refuses a stream without a length', () => {
    const { frames: _, ...rest } = base;
    expect(codeOf(() => resolveOptions(rest))).toBe('BAD_OPTION');
  });

  it('refuses an unknown time zone with BAD_TIME_ZONE', () => {
    expect(codeOf(() => resolveOptions({ ...base, tz: 'Mars/Olympus' }))).toBe('BAD_TIME_ZONE');
  });
});

describe('parseStart', () => {
  it('reads unix seconds', () => {
    expect(parseStart('1468244384')).toBe(1_468_244_384);
  });

  it('reads ISO dates and date-times as UTC unless a zone is given', () => {
    expect(parseStart('2016-07-11')).toBe(Date.UTC(2016, 6, 11) / 1000);
    expect(parseStart('2016-07-11T13:39:44')).toBe(Date.UTC(2016, 6, 11, 13, 39, 44) / 1000);
    expect(parseStart('2016-07-11T13:39:44Z')).toBe(Date.UTC(2016, 6, 11, 13, 39, 44) / 1000);
    expect(parseStart('2016-07-11T15:39:44+02:00')).toBe(Date.UTC(2016, 6, 11, 13, 39, 44) / 1000);
  });

  it('reads times relative to an injected now', () => {
    const now = 1_700_000_000;
    expect(parseStart('now', now)).toBe(now);
    expect(parseStart('now-2y', now)).toBe(now - 2 * 365 * 86_400);
    expect(parseStart('now-36h', now)).toBe(now - 36 * 3600);
    expect(codeOf(() => parseStart('now-1d'))).toBe('BAD_START');
  });

  it.each(['yesterday', '2016-13-45', '', '-5', '1e9', '99999999999'])('refuses %j with BAD_START', (text) => {
    expect(codeOf(() => parseStart(text))).toBe('BAD_START');
  });
});
