import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCalendar } from '../src/calendar.js';
import { GRANULARITIES, type Granularity } from '../src/types.js';

const iso = (ts: number): string => new Date(ts * 1000).toISOString().replace('.000', '');

/** Local wall-clock fields of `ts` in `timeZone`, straight from Intl. */
function local(
  ts: number,
  timeZone: string,
): { y: number; mo: number; d: number; h: number; mi: number; s: number; weekday: string } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    weekday: 'short',
  }).formatToParts(new Date(ts * 1000));
  const get = (type: string): string => parts.find((p) => p.type === type)!.value;
  return {
    y: +get('year'),
    mo: +get('month'),
    d: +get('day'),
    h: +get('hour'),
    mi: +get('minute'),
    s: +get('second'),
    weekday: get('weekday'),
  };
}

describe('createCalendar (UTC)', () => {
  const utc = createCalendar('UTC');
  it('aligns minutes, hours and days to UTC', () => {
    const ts = Date.UTC(2016, 6, 11, 13, 39, 44) / 1000;
    expect(iso(utc.start('minute', ts))).toBe('2016-07-11T13:39:00Z');
    expect(iso(utc.start('hour', ts))).toBe('2016-07-11T13:00:00Z');
    expect(iso(utc.start('day', ts))).toBe('2016-07-11T00:00:00Z');
    expect(iso(utc.start('week', ts))).toBe('2016-07-11T00:00:00Z'); // a Monday
    expect(iso(utc.start('month', ts))).toBe('2016-07-01T00:00:00Z');
    expect(iso(utc.start('year', ts))).toBe('2016-01-01T00:00:00Z');
    expect(iso(utc.end('month', utc.start('month', ts)))).toBe('2016-08-01T00:00:00Z');
    expect(iso(utc.end('year', utc.start('year', ts)))).toBe('2017-01-01T00:00:00Z');
    expect(iso(utc.end('month', Date.UTC(2016, 1, 1) / 1000))).toBe('2016-03-01T00:00:00Z');
  });

  it('starts ISO weeks on Monday, also across a year end', () => {
    // 2021-01-01 was a Friday; its ISO week began Monday 2020-12-28.
    expect(iso(utc.start('week', Date.UTC(2021, 0, 1, 12) / 1000))).toBe('2020-12-28T00:00:00Z');
    expect(iso(utc.start('week', Date.UTC(2021, 0, 3, 23, 59, 59) / 1000))).toBe('2020-12-28T00:00:00Z');
    expect(iso(utc.start('week', Date.UTC(2021, 0, 4) / 1000))).toBe('2021-01-04T00:00:00Z');
  });

  it('puts every ts in [start, end) and tiles time without gaps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom(...GRANULARITIES), (ts, g: Granularity) => {
        const start = utc.start(g, ts);
        const end = utc.end(g, start);
        expect(start).toBeLessThanOrEqual(ts);
        expect(end).toBeGreaterThan(ts);
        expect(utc.start(g, end)).toBe(end);
        expect(utc.start(g, end - 1)).toBe(start);
        const d = new Date(start * 1000);
        if (g !== 'minute') expect(d.getUTCMinutes()).toBe(0);
        if (g === 'day' || g === 'week' || g === 'month' || g === 'year') expect(d.getUTCHours()).toBe(0);
        if (g === 'week') expect(d.getUTCDay()).toBe(1);
        if (g === 'month' || g === 'year') expect(d.getUTCDate()).toBe(1);
        if (g === 'year') expect(d.getUTCMonth()).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('createCalendar (time zones)', () => {
  const zurich = createCalendar('Europe/Zurich');

  it('has 23- and 25-hour days when Zurich changes its clocks', () => {
    // 2024-03-31: clocks jump 02:00 -> 03:00; 2024-10-27: 03:00 -> 02:00.
    const spring = zurich.start('day', Date.UTC(2024, 2, 31, 12) / 1000);
    expect(iso(spring)).toBe('2024-03-30T23:00:00Z');
    expect(zurich.end('day', spring) - spring).toBe(23 * 3600);
    const autumn = zurich.start('day', Date.UTC(2024, 9, 27, 12) / 1000);
    expect(iso(autumn)).toBe('2024-10-26T22:00:00Z');
    expect(zurich.end('day', autumn) - autumn).toBe(25 * 3600);
    // The repeated local hour 02:00-03:00 is two distinct hour windows.
    const first = zurich.start('hour', Date.UTC(2024, 9, 27, 0, 30) / 1000);
    const second = zurich.start('hour', Date.UTC(2024, 9, 27, 1, 30) / 1000);
    expect(second - first).toBe(3600);
  });

  it('starts weeks on local Monday midnight and months and years at local midnight', () => {
    const ts = Date.UTC(2024, 2, 31, 12) / 1000; // a Sunday
    expect(iso(zurich.start('week', ts))).toBe('2024-03-24T23:00:00Z');
    expect(iso(zurich.end('week', zurich.start('week', ts)))).toBe('2024-03-31T22:00:00Z');
    expect(iso(zurich.start('month', ts))).toBe('2024-02-29T23:00:00Z');
    expect(iso(zurich.end('month', zurich.start('month', ts)))).toBe('2024-03-31T22:00:00Z');
    expect(iso(zurich.start('year', ts))).toBe('2023-12-31T23:00:00Z');
  });

  it('agrees with Intl for random instants in several zones', () => {
    for (const zone of [
      'Europe/Zurich',
      'America/New_York',
      'Asia/Kolkata',
      'Australia/Lord_Howe',
      'America/Santiago',
    ]) {
      const calendar = createCalendar(zone);
      fc.assert(
        fc.property(
          fc.integer({ min: 1_300_000_000, max: 1_800_000_000 }),
          fc.constantFrom<Granularity>('hour', 'day', 'week', 'month', 'year'),
          (ts, g) => {
            const start = calendar.start(g, ts);
            const end = calendar.end(g, start);
            expect(start).toBeLessThanOrEqual(ts);
            expect(end).toBeGreaterThan(ts);
            const before = local(start - 1, zone);
            const at = local(start, zone);
            // The window starts exactly where the local field it is named for changes.
            if (g === 'hour') expect(at.mi === 0 || before.h !== at.h).toBe(true);
            if (g === 'day') expect(before.d).not.toBe(at.d);
            if (g === 'week') expect([before.d !== at.d, at.weekday]).toEqual([true, 'Mon']);
            if (g === 'month') expect([before.mo !== at.mo, at.d]).toEqual([true, 1]);
            if (g === 'year') expect([before.y !== at.y, at.mo, at.d]).toEqual([true, 1, 1]);
            expect(calendar.start(g, end)).toBe(end);
          },
        ),
        { numRuns: 300 },
      );
    }
  });

  it('rejects an unknown zone with a clear error', () => {
    expect(() => createCalendar('Mars/Olympus')).toThrow(/unknown time zone Mars\/Olympus/);
  });
});
