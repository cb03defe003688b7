import { describe, expect, it } from 'vitest';
import { DAMAGE_KINDS } from '../src/damage.js';
import { GeneratorError } from '../src/errors.js';
import type { StreamOptions } from '../src/options.js';
import { computeTruth, generateFrames } from '../src/stream.js';
import { GroundTruth, formatTruthRecord, parseTruthRecord, type TruthWindow } from '../src/truth.js';
import { classify, utcWindowStart, zurichStart } from './support/reference.js';
import { byWindow, recount, type Kept } from './support/recount.js';

function run(options: StreamOptions): { kept: Kept[]; windows: TruthWindow[]; truth: GroundTruth } {
  const truth = new GroundTruth(options);
  const kept: Kept[] = [];
  const windows: TruthWindow[] = [];
  for (const f of generateFrames(options, { truth })) {
    kept.push({ bytes: f.bytes.slice(), damage: f.damage });
    windows.push(...truth.drain());
  }
  windows.push(...truth.drain());
  return { kept, windows, truth };
}

const simplify = (windows: readonly TruthWindow[]) =>
  windows.map((w) => ({ window: w.window, start: w.start, users: w.users, frames: w.frames })).sort(byWindow);

// From Sunday 2017-12-31 23:55 UTC: crosses a minute, hour, day, ISO week, month and year boundary.
const crossing: StreamOptions = {
  seed: 5,
  users: 3000,
  rate: 25,
  start: Date.UTC(2017, 11, 31, 23, 55) / 1000,
  duration: 900,
  frameBytes: 300,
  lateFraction: 0.1,
  maxDelay: 5,
  tailFraction: 0.02,
  tailDelay: 90,
  bitflipFraction: 0.01,
  malformedFraction: 0.05,
  tsStringFraction: 0.1,
};

describe('GroundTruth fed by the generator', () => {
  const { kept, windows, truth } = run(crossing);

  it('equals an independent recount of the produced lines in UTC', () => {
    const expected = recount(kept, utcWindowStart);
    expect(simplify(windows)).toEqual(expected);
    // Every window kind crossed its boundary, so each has two or more windows.
    for (const g of ['minute', 'hour', 'day', 'week', 'month', 'year']) {
      expect(windows.filter((w) => w.window === g).length).toBeGreaterThanOrEqual(2);
    }
  });

  it('gives each window an end where the next begins', () => {
    for (const w of windows) {
      expect(utcWindowStart(w.end, w.window)).toBe(w.end);
      expect(utcWindowStart(w.end - 1, w.window)).toBe(w.start);
    }
  });

  it('labels exactly the frames that docs/frames.md calls invalid, and sums them up', () => {
    const mismatched = kept.filter((f) => {
      const kind = classify(f.bytes).kind;
      return f.damage === null || f.damage === 'bitflip' ? kind !== 'valid' : kind !== f.damage;
    });
    expect(mismatched).toEqual([]);
    const summary = truth.summary();
    expect(summary.frames).toBe(kept.length);
    expect(summary.valid).toBe(kept.filter((f) => f.damage === null).length);
    for (const kind of DAMAGE_KINDS) expect(summary.damage[kind]).toBe(kept.filter((f) => f.damage === kind).length);
    expect(summary.windows).toBe(windows.length);
    expect(summary.firstTs).toBe(crossing.start);
  });

  it('matches computeTruth, which skips making the bytes', () => {
    const computed = computeTruth(crossing);
    expect(simplify(computed.windows)).toEqual(simplify(windows));
    expect(computed.summary).toEqual(truth.summary());
  });
});

describe('GroundTruth in Europe/Zurich', () => {
  it('counts across the autumn DST change by local hours and days', () => {
    // 2024-10-27: 22:00 UTC the day before is local midnight; the hour 02:00-03:00 happens twice.
    const options: StreamOptions = {
      seed: 8,
      users: 400,
      rate: 2,
      start: Date.UTC(2024, 9, 26, 21) / 1000,
      duration: 6 * 3600,
      frameBytes: 120,
      lateFraction: 0.05,
      tailFraction: 0.01,
      tailDelay: 300,
      malformedFraction: 0.02,
      tz: 'Europe/Zurich',
    };
    const { kept, windows } = run(options);
    expect(simplify(windows)).toEqual(recount(kept, zurichStart));
    const days = windows.filter((w) => w.window === 'day');
    expect(days.map((d) => d.end - d.start)).toEqual([24 * 3600, 25 * 3600]);
    const hours = windows.filter((w) => w.window === 'hour');
    expect(hours.every((h) => h.end - h.start === 3600)).toBe(true);
    expect(hours).toHaveLength(6);
  });

  it('counts across the spring DST change', () => {
    const options: StreamOptions = {
      seed: 9,
      users: 400,
      rate: 1,
      start: Date.UTC(2024, 2, 30, 22) / 1000,
      duration: 4 * 3600,
      frameBytes: 80,
      tz: 'Europe/Zurich',
    };
    const { kept, windows } = run(options);
    expect(simplify(windows)).toEqual(recount(kept, zurichStart));
    expect(windows.filter((w) => w.window === 'day').map((d) => d.end - d.start)).toEqual([24 * 3600, 23 * 3600]);
  });
});

describe('GroundTruth memory', () => {
  it('keeps only a few windows open on a long stream', () => {
    // 20 days at one frame per 10 s: 28,800 minute windows in all.
    const options: StreamOptions = {
      seed: 3,
      users: 200,
      rate: 0.1,
      start: 1_500_000_000,
      duration: 20 * 86_400,
      frameBytes: 0,
      lateFraction: 0.1,
      tailFraction: 0.01,
      tailDelay: 600,
    };
    const truth = new GroundTruth(options);
    let most = 0;
    let reported = 0;
    for (const _frame of generateFrames(options, { truth })) {
      most = Math.max(most, truth.openWindows);
      for (const _w of truth.drain()) reported++;
    }
    for (const _w of truth.drain()) reported++;
    // Minute windows within the 600 s horizon plus one of every coarser kind, and a few at boundaries.
    expect(most).toBeLessThanOrEqual(600 / 60 + 2 + 5 + 3);
    expect(reported).toBeGreaterThan(28_000);
    expect(truth.openWindows).toBe(0);
  });
});

describe('GroundTruth', () => {
  it('refuses a frame for a window it already finalized', () => {
    const truth = new GroundTruth();
    truth.observe({ ts: 1000, user: 1, damage: null, disorder: null });
    truth.finalizeBefore(1200);
    expect([...truth.drain()].find((w) => w.window === 'minute')).toMatchObject({
      start: 960,
      end: 1020,
      users: 1,
      frames: 1,
    });
    expect(() => truth.observe({ ts: 1010, user: 2, damage: null, disorder: null })).toThrow(GeneratorError);
    // The refused frame counted nowhere; damaged frames belong to no window, so they are still fine.
    expect(() => truth.observe({ ts: 1010, user: 2, damage: 'truncated', disorder: 'late' })).not.toThrow();
    expect(truth.summary()).toMatchObject({ frames: 2, valid: 1, late: 1 });
  });

  it('writes records as JSON lines that read back the same', () => {
    const { windows, summary } = computeTruth({ seed: 1, users: 10, rate: 1, start: 0, frames: 100 });
    for (const record of [...windows, summary]) {
      const line = formatTruthRecord(record);
      expect(line.endsWith('\n')).toBe(true);
      expect(line.indexOf('\n')).toBe(line.length - 1);
      expect(parseTruthRecord(line)).toEqual(record);
    }
    expect(formatTruthRecord(windows[0]!)).toBe(
      `{"type":"window","window":"minute","start":0,"end":60,"users":${windows[0]!.users},"frames":60}\n`,
    );
    expect(() => parseTruthRecord('{"type":"other"}')).toThrow(GeneratorError);
  });
});

describe('GroundTruth of a stream cut short', () => {
  it('has seen exactly the frames of the chunks handed out so far', async () => {
    const { generateChunks } = await import('../src/stream.js');
    const options: StreamOptions = { seed: 12, users: 100, rate: 100, start: 0, frames: 5000, frameBytes: 200 };
    const truth = new GroundTruth(options);
    let lines = 0;
    let taken = 0;
    for (const chunk of generateChunks(options, 50_000, { truth })) {
      for (const byte of chunk) if (byte === 0x0a) lines++;
      if (++taken === 3) break;
    }
    expect(lines).toBeGreaterThan(0);
    expect(truth.summary().frames).toBe(lines);
  });
});
