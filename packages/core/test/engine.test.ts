import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CountingEngine, type EngineOptions, type WindowResult } from '../src/index.js';
import { disorderedStream, lastResults, referenceCounts, testHash, type TestFrame } from './helpers.js';

const T0 = 1468244340; // 2016-07-11T13:39:00Z, a minute boundary
const NO_BYTES = new Uint8Array(0);

interface Emitted extends WindowResult {
  /** Index of the frame after which the result came out. */
  readonly after: number;
}

function run(
  frames: readonly TestFrame[],
  options: Partial<EngineOptions> = {},
  partitionOf: (i: number) => number = () => 0,
): { results: Emitted[]; engine: CountingEngine } {
  const engine = new CountingEngine(options);
  const results: Emitted[] = [];
  frames.forEach((f, i) => {
    const [hi, lo] = testHash(f.uid);
    engine.partition(partitionOf(i)).add(hi, lo, f.ts, i, NO_BYTES);
    for (const r of engine.takeResults()) results.push({ ...r, after: i });
  });
  engine.finish();
  for (const r of engine.takeResults()) results.push({ ...r, after: frames.length });
  return { results, engine };
}

const minuteOf = (ts: number): number => ts - (ts % 60);
const hourOf = (ts: number): number => ts - (ts % 3600);
const dayOf = (ts: number): number => ts - (ts % 86400);

describe('CountingEngine', () => {
  it('counts exact distinct users per minute with disorder within the maximum delay', () => {
    const frames = disorderedStream({ seed: 1, start: T0, seconds: 600, rate: 20, users: 500, maxDelay: 5 });
    const { results, engine } = run(frames, { allowedLateness: 0 });
    const reference = referenceCounts(frames, minuteOf);
    expect(results.map((r) => r.start).sort((a, b) => a - b)).toEqual([...reference.keys()].sort((a, b) => a - b));
    for (const r of results) {
      expect(r).toMatchObject({ window: 'minute', end: r.start + 60, revision: 0, final: true, method: 'exact' });
      expect({ users: r.users, frames: r.frames }).toEqual(reference.get(r.start));
    }
    expect(engine.stats.late).toBe(0);
    expect(engine.stats.counted).toBe(frames.length);
  });

  it('emits a window as soon as the watermark passes its end, not before', () => {
    const frames = disorderedStream({ seed: 2, start: T0, seconds: 300, rate: 10, users: 100, maxDelay: 5 });
    const { results } = run(frames, { allowedLateness: 0, maxDelay: 5 });
    for (const r of results) {
      if (r.after === frames.length) continue; // flushed at the end of input
      // The frame that triggered it moved the max ts to end + maxDelay or beyond...
      const maxBefore = Math.max(...frames.slice(0, r.after).map((f) => f.ts));
      const maxAt = Math.max(maxBefore, frames[r.after]!.ts);
      expect(maxAt - 5).toBeGreaterThanOrEqual(r.end);
      // ...and the max ts before it had not.
      expect(maxBefore - 5).toBeLessThan(r.end);
    }
  });

  it('matches a Set reference for minute and hour over random streams and delays', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 8 }), (seed, maxDelay) => {
        const frames = disorderedStream({ seed, start: T0 + seed * 7, seconds: 200, rate: 5, users: 50, maxDelay });
        const { results } = run(frames, { maxDelay, allowedLateness: 0, windows: ['minute', 'hour'] });
        const minutes = referenceCounts(frames, minuteOf);
        const hours = referenceCounts(frames, hourOf);
        const last = lastResults(results);
        expect(last.size).toBe(minutes.size + hours.size);
        for (const [start, ref] of minutes) expect(last.get(`minute:${start}`)).toMatchObject(ref);
        for (const [start, ref] of hours) expect(last.get(`hour:${start}`)).toMatchObject(ref);
      }),
      { numRuns: 25 },
    );
  });

  it('counts minute, hour and day in one pass', () => {
    const frames = disorderedStream({
      seed: 3,
      start: 1468195200 + 86400 - 3000,
      seconds: 6000,
      rate: 2,
      users: 300,
      maxDelay: 5,
    });
    const { results } = run(frames, { windows: ['day', 'minute', 'hour'], allowedLateness: 0 });
    const last = lastResults(results);
    for (const [name, of] of [
      ['minute', minuteOf],
      ['hour', hourOf],
      ['day', dayOf],
    ] as const) {
      for (const [start, ref] of referenceCounts(frames, of)) expect(last.get(`${name}:${start}`)).toMatchObject(ref);
    }
    // Results come out ordered by end, finest granularity first.
    const ends = results.map((r) => r.end);
    expect(ends).toEqual([...ends].sort((a, b) => a - b));
  });

  it('drops and counts frames behind an emitted window when lateness is 0', () => {
    const frames: TestFrame[] = [];
    for (let s = 0; s < 130; s++) frames.push({ uid: `u${s % 7}`, ts: T0 + s });
    frames.push({ uid: 'late-one', ts: T0 + 10 }); // minute 0 was emitted at ts 65
    const { results, engine } = run(frames, { allowedLateness: 0 });
    expect(engine.stats.late).toBe(1);
    expect(engine.stats.lateDropped).toBe(1);
    const first = results.find((r) => r.start === T0)!;
    expect(first.users).toBe(7);
    expect(results.filter((r) => r.start === T0)).toHaveLength(1);
  });

  it('updates a window with late frames within the allowed lateness, as revisions, then final', () => {
    const frames: TestFrame[] = [];
    for (let s = 0; s < 70; s++) frames.push({ uid: `u${s % 5}`, ts: T0 + s });
    // Watermark is now 64: minute 0 has its first result. Late frames for it:
    frames.push({ uid: 'late-a', ts: T0 + 30 }, { uid: 'late-b', ts: T0 + 31 });
    for (let s = 70; s < 200; s++) frames.push({ uid: `u${s % 5}`, ts: T0 + s });
    frames.push({ uid: 'too-late', ts: T0 + 1 }); // minute 0 final at 60 + 30 = 90 <= watermark
    const { results, engine } = run(frames, { allowedLateness: 30, windows: ['minute'] });
    const minute0 = results.filter((r) => r.start === T0);
    expect(minute0.map((r) => [r.revision, r.users, r.final])).toEqual([
      [0, 5, false],
      [1, 7, false],
      [2, 7, true],
    ]);
    expect(engine.stats.late).toBe(3);
    expect(engine.stats.lateDropped).toBe(1);
    // Every window ends with exactly one final result, its last.
    const byWindow = new Map<number, WindowResult[]>();
    for (const r of results) byWindow.set(r.start, [...(byWindow.get(r.start) ?? []), r]);
    for (const list of byWindow.values()) {
      expect(list.filter((r) => r.final)).toHaveLength(1);
      expect(list[list.length - 1]!.final).toBe(true);
      expect(list.map((r) => r.revision)).toEqual(list.map((_, i) => i));
    }
  });

  it('batches revisions: at most one per window per second of watermark progress', () => {
    const frames: TestFrame[] = [];
    for (let s = 0; s < 66; s++) frames.push({ uid: `u${s}`, ts: T0 + s });
    // 50 late frames for minute 0 while the watermark stays put, then it moves 1 s.
    for (let k = 0; k < 50; k++) frames.push({ uid: `late${k}`, ts: T0 + 5 });
    frames.push({ uid: 'x', ts: T0 + 66 });
    frames.push({ uid: 'y', ts: T0 + 67 });
    const { results } = run(frames, { allowedLateness: 120 });
    const minute0 = results.filter((r) => r.start === T0 && r.after < frames.length);
    expect(minute0.map((r) => r.revision)).toEqual([0, 1]);
    expect(minute0[1]!.users).toBe(60 + 50);
  });

  it('emits early partial results of long windows every S seconds of event time', () => {
    const frames: TestFrame[] = [];
    for (let s = 0; s < 3600; s += 2) frames.push({ uid: `u${(s / 2) % 100}`, ts: 1468195200 + s });
    const { results } = run(frames, { windows: ['hour'], earlyEvery: 600, allowedLateness: 0 });
    const hour = results.filter((r) => r.window === 'hour');
    expect(hour.filter((r) => !r.final).length).toBeGreaterThanOrEqual(4);
    expect(hour[hour.length - 1]).toMatchObject({ final: true, users: 100, frames: 1800 });
    const users = hour.map((r) => r.users);
    expect(users).toEqual([...users].sort((a, b) => a - b));
  });

  it('with emit=final gives one final result per window', () => {
    const frames = disorderedStream({ seed: 9, start: T0, seconds: 400, rate: 5, users: 40, maxDelay: 5 });
    frames.splice(1500, 0, { uid: 'late', ts: T0 + 100 });
    const { results } = run(frames, { emit: 'final', allowedLateness: 200 });
    expect(results.every((r) => r.final && r.revision === 0)).toBe(true);
    expect(new Set(results.map((r) => r.start)).size).toBe(results.length);
  });

  it('does not let a far-future ts move the watermark, and reports it', () => {
    const frames: TestFrame[] = [];
    for (let s = 0; s < 300; s++) {
      frames.push({ uid: `u${s % 11}`, ts: T0 + s });
      if (s === 100) frames.push({ uid: 'flipped', ts: ((T0 + s) ^ (1 << 30) ^ (1 << 31)) >>> 0 }); // far ahead
      if (s === 150) frames.push({ uid: 'flipped2', ts: T0 + s + 2 ** 20 }); // ~12 days ahead
    }
    const { results, engine } = run(frames, { allowedLateness: 0 });
    expect(engine.stats.corruptTs).toBe(2);
    expect(engine.stats.lateDropped).toBe(0);
    expect(results.every((r) => r.start < T0 + 300)).toBe(true);
    const reference = referenceCounts(
      frames.filter((f) => !f.uid.startsWith('flipped')),
      minuteOf,
    );
    for (const r of results) expect({ users: r.users, frames: r.frames }).toEqual(reference.get(r.start));
  });

  it('accepts a real jump in event time once later frames confirm it', () => {
    const frames: TestFrame[] = [];
    for (let s = 0; s < 120; s++) frames.push({ uid: `a${s % 3}`, ts: T0 + s });
    for (let s = 0; s < 120; s++) frames.push({ uid: `b${s % 4}`, ts: T0 + 86400 + s }); // a day later
    const { results, engine } = run(frames, { allowedLateness: 0 });
    expect(engine.stats.corruptTs).toBe(0);
    const last = lastResults(results);
    expect(last.get(`minute:${T0}`)?.users).toBe(3);
    expect(last.get(`minute:${T0 + 86400}`)?.users).toBe(4);
    expect(engine.stats.counted).toBe(240);
  });

  it('is not fooled by a corrupt first frame', () => {
    const frames: TestFrame[] = [{ uid: 'flipped', ts: (T0 ^ (1 << 31)) >>> 0 }];
    for (let s = 0; s < 200; s++) frames.push({ uid: `u${s % 9}`, ts: T0 + s });
    const { results, engine } = run(frames, { allowedLateness: 0 });
    expect(engine.stats.corruptTs).toBe(1);
    expect(results.map((r) => r.users)).toEqual([9, 9, 9, 9]);
  });

  it('drops a ts flipped far back as late', () => {
    const frames: TestFrame[] = [];
    for (let s = 0; s < 200; s++) frames.push({ uid: `u${s % 9}`, ts: T0 + s });
    frames.splice(100, 0, { uid: 'back', ts: T0 ^ (1 << 30) });
    const { engine, results } = run(frames, { allowedLateness: 60 });
    expect(engine.stats.lateDropped).toBe(1);
    expect(results.every((r) => r.start >= T0)).toBe(true);
  });

  it('takes the minimum watermark over partitions, and ignores idle ones', () => {
    const engine = new CountingEngine({ allowedLateness: 0, bootstrapFrames: 0 });
    const add = (p: number, uid: string, ts: number): void => {
      const [hi, lo] = testHash(uid);
      engine.partition(p).add(hi, lo, ts, 0, NO_BYTES);
    };
    for (let s = 0; s < 30; s++) {
      add(0, `p0-${s % 4}`, T0 + s);
      add(1, `p1-${s % 2}`, T0 + s);
    }
    for (let s = 30; s < 200; s++) add(0, `p0-${s % 4}`, T0 + s);
    // Partition 1 holds the watermark at T0 + 24: nothing can be emitted.
    expect(engine.watermark).toBe(T0 + 24);
    expect(engine.takeResults()).toEqual([]);
    engine.setIdle(1, true);
    expect(engine.watermark).toBe(T0 + 194);
    const results = engine.takeResults();
    expect(results.map((r) => r.start)).toEqual([T0, T0 + 60, T0 + 120]);
    expect(results[0]!.users).toBe(6);
  });

  it('emits what late frames changed once every partition is idle, without waiting for the watermark to rise', () => {
    const engine = new CountingEngine({ allowedLateness: 60, maxDelay: 5, bootstrapFrames: 0 });
    const add = (p: number, uid: string, ts: number): void => {
      const [hi, lo] = testHash(uid);
      engine.partition(p).add(hi, lo, ts, 0, NO_BYTES);
    };
    for (let s = 0; s < 70; s++) {
      add(0, `a${s % 5}`, T0 + s);
      add(1, `b${s % 3}`, T0 + s);
    }
    expect(engine.takeResults()).toMatchObject([{ start: T0, users: 8, revision: 0, final: false }]);
    // Late frames for the first minute; the watermark stays where it was.
    add(0, 'late-0', T0 + 10);
    add(1, 'late-1', T0 + 20);
    expect(engine.takeResults()).toEqual([]);
    engine.setIdle(0, true);
    // Partition 1 still has frames to come, which bring the watermark on.
    expect(engine.takeResults()).toEqual([]);
    engine.setIdle(1, true);
    expect(engine.takeResults()).toMatchObject([{ start: T0, users: 10, frames: 122, revision: 1, final: false }]);
    // Nothing more to say until something changes.
    engine.setIdle(1, false);
    engine.setIdle(1, true);
    expect(engine.takeResults()).toEqual([]);
  });

  it("moves a silent partition's event time by the seconds it is given, and drops frames behind it as late", () => {
    const engine = new CountingEngine({ allowedLateness: 60, maxDelay: 5, bootstrapFrames: 0 });
    const part = engine.partition(0);
    for (let s = 0; s < 50; s++) {
      const [hi, lo] = testHash(`u${s % 7}`);
      part.add(hi, lo, T0 + s, s, NO_BYTES);
    }
    expect(engine.watermark).toBe(T0 + 44);
    engine.advanceSilent(0, 20);
    // Newest ts T0 + 49, 20 s on, less the max delay.
    expect(engine.watermark).toBe(T0 + 64);
    expect(engine.takeResults()).toMatchObject([{ start: T0, users: 7, final: false }]);
    // Less than before changes nothing: event time does not go back.
    engine.advanceSilent(0, 5);
    expect(engine.watermark).toBe(T0 + 64);
    engine.advanceSilent(0, 80);
    expect(engine.takeResults()).toMatchObject([{ start: T0, users: 7, final: true }]);
    const [hi, lo] = testHash('straggler');
    part.add(hi, lo, T0 + 30, 51, NO_BYTES);
    expect(engine.stats).toMatchObject({ lateDropped: 1 });
    // The moved event time is part of the state.
    const restored = CountingEngine.restore(engine.snapshot(), {
      allowedLateness: 60,
      maxDelay: 5,
      bootstrapFrames: 0,
    });
    expect(restored.watermark).toBe(engine.watermark);
    expect(restored.partition(0).clockTs).toBe(T0 + 49 + 80);
  });

  it(
    'does not move a partition that never had a frame, nor the watermark while another partition is ' +
      'active and behind',
    () => {
      const engine = new CountingEngine({ allowedLateness: 0, maxDelay: 5, bootstrapFrames: 0 });
      engine.advanceSilent(3, 100);
      expect(engine.watermark).toBe(Number.NEGATIVE_INFINITY);
      for (let s = 0; s < 10; s++) {
        const [hi, lo] = testHash(`u${s}`);
        engine.partition(0).add(hi, lo, T0 + s, s, NO_BYTES);
        engine.partition(1).add(hi, lo, T0 + s, s, NO_BYTES);
      }
      engine.advanceSilent(0, 100);
      // Partition 1 is neither idle nor silent: it holds the watermark.
      expect(engine.watermark).toBe(T0 + 4);
      engine.setIdle(1, true);
      expect(engine.watermark).toBe(T0 + 9 + 100 - 5);
    },
  );

  it('says which positions are safe to commit: not past a frame of an open window', () => {
    const engine = new CountingEngine({ allowedLateness: 0, bootstrapFrames: 0 });
    const part = engine.partition(0);
    for (let s = 0; s < 130; s++) {
      const [hi, lo] = testHash(`u${s}`);
      part.add(hi, lo, T0 + s, s * 100, NO_BYTES);
      part.next = (s + 1) * 100;
    }
    // Minutes 0 and 1 are final (watermark T0 + 124); minute 2 is open.
    expect(engine.safePositions().get(0)).toBe(120 * 100);
    expect(engine.consumedPositions().get(0)).toBe(130 * 100);
    engine.finish();
    expect(engine.safePositions().get(0)).toBe(130 * 100);
  });
});

describe('aggregation strategies', () => {
  it('cascade (merging finished finer windows into coarser ones) gives exactly the results of ' +
    'per-frame updates', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.subarray(['minute', 'hour', 'day', 'week', 'month', 'year'] as const, { minLength: 1 }),
        fc.constantFrom('exact', 'hll', 'auto'),
        fc.constantFrom(0, 30, 400),
        fc.constantFrom(0, 900),
        fc.constantFrom('UTC', 'Europe/Zurich'),
        (seed, windows, method, allowedLateness, earlyEvery, timeZone) => {
          // Six hours around a midnight that is also a month end, with late stragglers.
          const frames = disorderedStream({
            seed,
            start: 1469998800 - 3 * 3600,
            seconds: 6 * 3600,
            rate: 0.2,
            users: 40,
            maxDelay: 5,
          });
          for (let k = 0; k < 20; k++)
            frames.splice(40 + k * 200, 0, { uid: `late${k}`, ts: frames[40 + k * 200]!.ts - 100 - k * 10 });
          const options = { windows, method, allowedLateness, earlyEvery, timeZone } as const;
          const perFrame = run(frames, { ...options, aggregation: 'per-frame' }, (i) => i % 2);
          const cascade = run(frames, { ...options, aggregation: 'cascade' }, (i) => i % 2);
          expect(cascade.results).toEqual(perFrame.results);
          expect(cascade.engine.stats).toEqual(perFrame.engine.stats);
        },
      ),
      { numRuns: 30 },
    );
  }, 120_000);
});
