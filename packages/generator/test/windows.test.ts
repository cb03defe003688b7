import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Calendar, GRANULARITIES, windowOf } from '../src/windows.js';
import { utcWindowStart, zurichStart } from './support/reference.js';

const utc = (...args: [number, number, number, number?]) =>
  Date.UTC(args[0], args[1] - 1, args[2], args[3] ?? 0) / 1000;

describe('Calendar in UTC', () => {
  it('agrees with Date getters for every granularity', () => {
    const calendar = new Calendar('UTC');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (ts) => {
        for (const g of GRANULARITIES) {
          const w = calendar.bounds(ts, g);
          expect(w.start).toBe(utcWindowStart(ts, g));
          expect(ts >= w.start && ts < w.end).toBe(true);
          // The end is where the next window starts.
          expect(utcWindowStart(w.end, g)).toBe(w.end);
          expect(utcWindowStart(w.end - 1, g)).toBe(w.start);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('starts weeks on Monday', () => {
    // 2016-07-11 was a Monday.
    expect(windowOf(utc(2016, 7, 17, 23), 'week')).toEqual({ start: utc(2016, 7, 11), end: utc(2016, 7, 18) });
    expect(windowOf(utc(2016, 7, 11), 'week').start).toBe(utc(2016, 7, 11));
  });
});

describe('Calendar in Europe/Zurich', () => {
  const calendar = new Calendar('Europe/Zurich');

  it('has a 23 hour day and a 25 hour day around the DST changes of 2024', () => {
    expect(calendar.bounds(utc(2024, 3, 31, 12), 'day')).toEqual({
      start: utc(2024, 3, 30, 23),
      end: utc(2024, 3, 31, 22),
    });
    expect(calendar.bounds(utc(2024, 10, 27, 12), 'day')).toEqual({
      start: utc(2024, 10, 26, 22),
      end: utc(2024, 10, 27, 23),
    });
  });

  it('keeps the repeated autumn hour as two windows', () => {
    // 02:00-03:00 local happens twice on 2024-10-27: 00:00-01:00 UTC (CEST) and 01:00-02:00 UTC (CET).
    expect(calendar.bounds(utc(2024, 10, 27, 0) + 1800, 'hour')).toEqual({
      start: utc(2024, 10, 27, 0),
      end: utc(2024, 10, 27, 1),
    });
    expect(calendar.bounds(utc(2024, 10, 27, 1) + 1800, 'hour')).toEqual({
      start: utc(2024, 10, 27, 1),
      end: utc(2024, 10, 27, 2),
    });
  });

  it('starts weeks, months and years at local midnight', () => {
    expect(calendar.bounds(utc(2024, 3, 31, 12), 'week')).toEqual({
      start: utc(2024, 3, 24, 23),
      end: utc(2024, 3, 31, 22),
    });
    expect(calendar.bounds(utc(2024, 3, 15), 'month')).toEqual({
      start: utc(2024, 2, 29, 23),
      end: utc(2024, 3, 31, 22),
    });
    expect(calendar.bounds(utc(2024, 6, 1), 'year')).toEqual({
      start: utc(2023, 12, 31, 23),
      end: utc(2024, 12, 31, 23),
    });
    // 23:30 UTC on 31 December is already the next year in Zurich.
    expect(calendar.bounds(utc(2024, 12, 31, 23) + 1800, 'year').start).toBe(utc(2024, 12, 31, 23));
  });

  it('agrees with the written-out Zurich rule on random times from 2000 to 2037', () => {
    fc.assert(
      fc.property(fc.integer({ min: utc(2000, 1, 1), max: utc(2037, 12, 1) }), (ts) => {
        for (const g of GRANULARITIES) {
          const w = calendar.bounds(ts, g);
          expect(w.start).toBe(zurichStart(ts, g));
          expect(ts >= w.start && ts < w.end).toBe(true);
          expect(zurichStart(w.end, g)).toBe(w.end);
          expect(zurichStart(w.end - 1, g)).toBe(w.start);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('Calendar in a half-hour zone', () => {
  it('starts hours at half past in Asia/Kolkata (+05:30)', () => {
    const w = windowOf(utc(2024, 1, 1, 10) + 10, 'hour', 'Asia/Kolkata');
    expect(w).toEqual({ start: utc(2024, 1, 1, 9) + 1800, end: utc(2024, 1, 1, 10) + 1800 });
    expect(windowOf(utc(2024, 1, 1, 10), 'day', 'Asia/Kolkata').start).toBe(utc(2023, 12, 31, 18) + 1800);
  });
});
