import { describe, expect, it } from 'vitest';
import type { TruthWindow } from '@uniqstream/generator';
import { bitflipOutcomes, finalResults, flippedBit, windowErrors, type ResultLine } from '../../src/suites/accuracy.js';

const result = (start: number, users: number, revision: number, window = 'minute'): ResultLine => ({
  window,
  start,
  end: start + 60,
  users,
  frames: users,
  revision,
  final: false,
  method: 'exact',
});
const truth = (start: number, users: number, window = 'minute'): TruthWindow =>
  ({ type: 'window', window, start, end: start + 60, users, frames: users }) as TruthWindow;

describe('finalResults', () => {
  it('keeps the highest revision of each window, in any arrival order', () => {
    const finals = finalResults([
      result(0, 5, 0),
      result(60, 7, 0),
      result(0, 9, 2),
      result(0, 8, 1),
      result(0, 1, 0, 'hour'),
    ]);
    expect(finals.get('minute:0')!.users).toBe(9);
    expect(finals.get('minute:60')!.users).toBe(7);
    expect(finals.get('hour:0')!.users).toBe(1);
    expect(finals.size).toBe(3);
  });
});

describe('windowErrors', () => {
  it('compares every truth window with the result of the same window', () => {
    // Truth 100, 200, 50 and one window without a result; results 98 (-2), 200 (0), 55 (+5) and one window the
    // truth lacks.
    const finals = finalResults([
      result(0, 98, 0),
      result(60, 200, 0),
      result(120, 55, 0),
      result(999_960, 1, 0),
      result(0, 3, 0, 'hour'),
    ]);
    const e = windowErrors(
      'minute',
      [truth(0, 100), truth(60, 200), truth(120, 50), truth(180, 10), truth(0, 360, 'hour')],
      finals,
    );
    expect(e.windows).toBe(4);
    expect(e.missing).toBe(1);
    expect(e.spurious).toBe(1);
    expect(e.exact).toBe(1);
    expect(e.meanAbs).toBeCloseTo((2 + 0 + 5) / 3, 10);
    expect(e.maxAbs).toBe(5);
    expect(e.meanRel).toBeCloseTo((0.02 + 0 + 0.1) / 3, 10);
    expect(e.maxRel).toBeCloseTo(0.1, 10);
    expect(e.meanSigned).toBeCloseTo((-2 + 0 + 5) / 3, 10);
  });
});

describe('bitflips', () => {
  const T = 1_468_244_400; // a minute start (divisible by 60)

  it('finds the bit a flip hit', () => {
    expect(flippedBit({ position: 0, ts: T, writtenTs: T ^ 1 })).toBe(0);
    expect(flippedBit({ position: 0, ts: T, writtenTs: (T ^ 0x8000_0000) >>> 0 })).toBe(31);
  });

  it('sorts each flip into rejected, late, wrong window or own minute, by the bit it hit', () => {
    const flips = [
      { position: 10, ts: T, writtenTs: T ^ 1 }, // bit 0, stays in its minute, counted
      { position: 20, ts: T + 59, writtenTs: (T + 59) ^ 4 }, // bit 2: 59 -> 63, next minute, counted
      { position: 30, ts: T, writtenTs: T ^ (1 << 20) }, // bit 20, rejected as corrupt ts
      { position: 40, ts: T, writtenTs: T ^ (1 << 8) }, // bit 8, dropped as late
    ];
    const dropped = new Map([
      [30, 'corrupt-ts'],
      [40, 'late'],
      [50, 'malformed'],
    ]);
    const out = bitflipOutcomes(flips, dropped);
    expect(out.map((o) => [o.flipped, o.corruptTs, o.late, o.wrongWindow, o.ownMinute])).toEqual([
      [2, 0, 0, 1, 1],
      [1, 0, 1, 0, 0],
      [0, 0, 0, 0, 0],
      [1, 1, 0, 0, 0],
    ]);
  });
});
