import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WindowResult } from '@uniqstream/core';
import { isoSeconds, tableHeader, tableRow } from '../src/table.js';
import { windowResult } from './arbitraries.js';

const TITLES = ['window', 'start', 'end', 'users', 'frames', 'revision', 'final', 'method'] as const;
const RIGHT_ALIGNED: ReadonlySet<string> = new Set(['users', 'frames', 'revision']);

/** Where each title starts in the header, found left to right. */
function titleStarts(header: string): number[] {
  let from = 0;
  return TITLES.map((title) => {
    const at = header.indexOf(title, from);
    from = at + title.length;
    return at;
  });
}

/** The cells a reader expects, built independently of the table code. */
function expectedCells(r: WindowResult): string[] {
  const iso = (s: number): string => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
  const method = r.method === 'hll' ? `hll ±${(r.error! * 100).toFixed(2)}%` : 'exact';
  return [
    r.window,
    iso(r.start),
    iso(r.end),
    String(r.users),
    String(r.frames),
    String(r.revision),
    r.final ? 'yes' : 'no',
    method,
  ];
}

/** Results whose values fit the columns (years before 10000, up to a billion users). */
const fitting = windowResult.filter(
  (r) => r.users < 1e9 && r.frames < 1e11 && r.revision < 1e7 && r.end < 253_402_300_800,
);

describe('isoSeconds', () => {
  it('is ISO-8601 UTC to the second, and parses back to the same second', () => {
    expect(isoSeconds(1468244340)).toBe('2016-07-11T13:39:00Z');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799 }), (seconds) => {
        const text = isoSeconds(seconds);
        expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
        expect(Date.parse(text) / 1000).toBe(seconds);
      }),
    );
  });
});

describe('table', () => {
  it('has one header line naming every column', () => {
    const header = tableHeader();
    expect(header.endsWith('\n')).toBe(true);
    expect(header.trim().split(/\s+/)).toEqual(TITLES);
  });

  it('puts every cell under its title: text columns from its start, numbers up to its end', () => {
    const header = tableHeader();
    const starts = titleStarts(header);
    fc.assert(
      fc.property(fitting, (result) => {
        const row = tableRow(result);
        expect(row.endsWith('\n')).toBe(true);
        expect(row.split('\n')).toHaveLength(2);
        const cells = expectedCells(result);
        TITLES.forEach((title, i) => {
          const cell = cells[i]!;
          if (RIGHT_ALIGNED.has(title)) {
            const end = starts[i]! + title.length;
            expect(row.slice(end - cell.length, end)).toBe(cell);
            expect(row[end - cell.length - 1]).toBe(' ');
          } else {
            expect(row.slice(starts[i]!, starts[i]! + cell.length)).toBe(cell);
            if (i > 0) expect(row[starts[i]! - 1]).toBe(' ');
          }
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('still writes every value when a number outgrows its column', () => {
    const huge: WindowResult = {
      window: 'year',
      start: 0,
      end: 31_536_000,
      users: 123_456_789_012,
      frames: Number.MAX_SAFE_INTEGER,
      revision: 0,
      final: true,
      method: 'exact',
    };
    expect(tableRow(huge).trim().split(/\s+/)).toEqual(expectedCells(huge));
  });
});

describe('table in a time zone', () => {
  const zurich = 'Europe/Zurich';

  it('names the zone in the header and writes local times with their offset', () => {
    const header = tableHeader(zurich);
    expect(header).toMatch(
      /^window\s+start \(Europe\/Zurich\)\s+end \(Europe\/Zurich\)\s+users\s+frames\s+revision\s+final\s+method\n$/,
    );
    const summer: WindowResult = {
      window: 'minute',
      start: 1468244340,
      end: 1468244400,
      users: 3,
      frames: 4,
      revision: 0,
      final: true,
      method: 'exact',
    };
    expect(tableRow(summer, zurich).split(/\s+/).slice(0, 3)).toEqual([
      'minute',
      '2016-07-11T15:39:00+02:00',
      '2016-07-11T15:40:00+02:00',
    ]);
    const winter: WindowResult = { ...summer, window: 'day', start: 1451602800, end: 1451689200 };
    expect(tableRow(winter, zurich).split(/\s+/).slice(0, 3)).toEqual([
      'day',
      '2016-01-01T00:00:00+01:00',
      '2016-01-02T00:00:00+01:00',
    ]);
    // UTC, however it is spelled, keeps the plain table.
    expect(tableHeader('Etc/UTC')).toBe(tableHeader());
  });

  it('writes times that parse back to the same second, each cell under its title', () => {
    const header = tableHeader(zurich);
    const startAt = header.indexOf('start');
    const endAt = header.indexOf('end (');
    fc.assert(
      fc.property(
        fitting,
        fc.constantFrom(zurich, 'America/St_Johns', 'Asia/Kolkata', 'Pacific/Chatham'),
        (result, zone) => {
          const row = tableRow(result, zone);
          const [, start, end] = row.trim().split(/\s+/);
          expect(start).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
          expect(Date.parse(start!) / 1000).toBe(result.start);
          expect(Date.parse(end!) / 1000).toBe(result.end);
          if (zone === zurich) {
            expect(row.slice(startAt, startAt + start!.length)).toBe(start);
            expect(row.slice(endAt, endAt + end!.length)).toBe(end);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses an unknown zone in one line', () => {
    expect(() => tableHeader('Mars/Olympus')).toThrow(/unknown time zone Mars\/Olympus/);
  });
});
