import { describe, expect, it } from 'vitest';
import {
  CountingEngine,
  runPipeline,
  type DecodedFrame,
  type FrameBatch,
  type FrameDecoder,
  type Positions,
  type ResultSink,
  type Source,
  type WindowResult,
} from '../src/index.js';
import { testHash } from './helpers.js';

const T0 = 1468244340; // a minute boundary
const SECOND_MS = 1_000;

/** Frames as `uid ts` text: what this test needs of a decoder, with testHash for the uid. */
const textDecoder: FrameDecoder = {
  name: 'text-test',
  decode(frame: Uint8Array, out: DecodedFrame): string | null {
    const [uid, ts] = Buffer.from(frame).toString().split(' ');
    if (uid === undefined || uid === '' || ts === undefined || !/^\d+$/.test(ts)) return 'malformed';
    [out.uidHi, out.uidLo] = testHash(uid);
    out.ts = Number(ts);
    return null;
  },
};

/** One step of a scripted source: the clock moves to `atMs`, then the batch (if any) is yielded. */
interface Step {
  readonly atMs: number;
  readonly batch: FrameBatch;
}

class Clock {
  ms = 0;
  readonly now = (): number => this.ms;
}

/** Yields its steps in order, moving the injected clock; remembers commits and how far it was read. */
class ScriptedSource implements Source {
  readonly name = 'scripted';
  readonly commits: Positions[] = [];
  taken = 0;
  constructor(
    private readonly clock: Clock,
    private readonly steps: readonly Step[],
    private readonly log: string[],
  ) {}

  async *batches(): AsyncGenerator<FrameBatch> {
    for (const step of this.steps) {
      this.clock.ms = step.atMs;
      this.taken++;
      yield step.batch;
    }
  }

  async commit(positions: Positions): Promise<void> {
    this.log.push(`commit ${[...positions].map(([p, next]) => `${p}:${next}`).join(',')}`);
    this.commits.push(positions);
  }

  async close(): Promise<void> {}
}

class ListSink implements ResultSink {
  readonly results: WindowResult[] = [];
  constructor(private readonly log: string[]) {}
  write(results: readonly WindowResult[]): void {
    this.results.push(...results);
  }
  async flush(): Promise<void> {
    this.log.push(`flush ${this.results.length}`);
  }
  async close(): Promise<void> {}
}

function frames(partition: number, first: number, lines: readonly string[]): FrameBatch {
  return {
    partition,
    frames: lines.map((line) => Buffer.from(line)),
    positions: lines.map((_, i) => first + i),
    next: first + lines.length,
    origin: 'scripted',
  };
}

const tick = (extra: Partial<FrameBatch> = {}): FrameBatch => ({
  partition: -1,
  frames: [],
  positions: [],
  next: -1,
  origin: 'scripted',
  ...extra,
});

function setUp(steps: readonly Step[]): { clock: Clock; source: ScriptedSource; sink: ListSink; log: string[] } {
  const clock = new Clock();
  const log: string[] = [];
  return { clock, source: new ScriptedSource(clock, steps, log), sink: new ListSink(log), log };
}

const engine = (): CountingEngine =>
  new CountingEngine({ windows: ['minute'], maxDelay: 5, allowedLateness: 0, bootstrapFrames: 0 });

describe('runPipeline', () => {
  it('counts every batch, and commits positions only after the results covering them are flushed', async () => {
    const { clock, source, sink, log } = setUp([
      { atMs: 0, batch: frames(0, 0, [`a ${T0}`, `b ${T0 + 1}`, 'junk', `a ${T0 + 2}`]) },
      { atMs: 6 * SECOND_MS, batch: frames(0, 4, [`c ${T0 + 70}`, `d ${T0 + 70}`, `c ${T0 + 71}`]) },
    ]);
    const summary = await runPipeline({
      source,
      decoder: textDecoder,
      engine: engine(),
      sink,
      now: clock.now,
      commitIntervalMs: 5 * SECOND_MS,
    });
    expect(summary).toMatchObject({ frames: 7, stopReason: 'end-of-input' });
    expect(summary.stats.malformedTotal).toBe(1);
    expect(sink.results.map((r) => [r.start, r.users, r.frames, r.final])).toEqual([
      [T0, 2, 3, true],
      [T0 + 60, 2, 3, true],
    ]);
    // Every commit follows a flush, and the last one covers the whole input.
    for (const [i, line] of log.entries()) if (line.startsWith('commit')) expect(log[i - 1]).toMatch(/^flush/);
    expect(source.commits.at(-1)).toEqual(new Map([[0, 7]]));
  });

  it(
    'counts the bytes a batch says it covers (cut-off rests of too-long lines), else each frame and ' + 'its newline',
    async () => {
      const { clock, source, sink } = setUp([
        { atMs: 0, batch: { ...frames(0, 0, [`a ${T0}`, 'x'.repeat(11)]), bytes: 5000 } },
        { atMs: 1, batch: frames(0, 2, [`b ${T0}`]) },
      ]);
      const summary = await runPipeline({ source, decoder: textDecoder, engine: engine(), sink, now: clock.now });
      expect(summary.bytes).toBe(5000 + `b ${T0}\n`.length);
    },
  );

  it('with untilIdleMs, ends (flushing every window) once that long has passed without a frame', async () => {
    const { source, sink, clock } = setUp([
      { atMs: 0, batch: frames(0, 0, [`a ${T0}`, `b ${T0}`, `a ${T0 + 1}`]) },
      { atMs: 4 * SECOND_MS, batch: tick() },
      { atMs: 9 * SECOND_MS, batch: tick() },
      { atMs: 10 * SECOND_MS, batch: tick() },
      { atMs: 11 * SECOND_MS, batch: frames(0, 1, [`b ${T0}`]) },
    ]);
    const summary = await runPipeline({
      source,
      decoder: textDecoder,
      engine: engine(),
      sink,
      now: clock.now,
      untilIdleMs: 10 * SECOND_MS,
    });
    expect(summary).toMatchObject({ frames: 3, stopReason: 'idle' });
    expect(source.taken).toBe(4);
    expect(sink.results).toMatchObject([{ start: T0, users: 2, frames: 3, final: true }]);
  });

  /**
   * Two partitions, then an outage of 30 s (longer than both idle limits),
   * then partition 0 jumps a minute ahead while partition 1 still has frames
   * for the first minute.
   */
  const outage = (resumed: boolean): Step[] => [
    { atMs: 0, batch: frames(0, 0, [`a ${T0}`, `b ${T0 + 1}`, `c ${T0 + 1}`]) },
    { atMs: 1 * SECOND_MS, batch: frames(1, 0, [`d ${T0 + 1}`, `e ${T0 + 2}`, `f ${T0 + 2}`]) },
    { atMs: 31 * SECOND_MS, batch: tick(resumed ? { resumed: true } : {}) },
    { atMs: 35 * SECOND_MS, batch: frames(0, 3, [`g ${T0 + 70}`, `h ${T0 + 70}`, `i ${T0 + 71}`, `j ${T0 + 71}`]) },
    { atMs: 36 * SECOND_MS, batch: frames(1, 3, [`k ${T0 + 3}`]) },
    { atMs: 47 * SECOND_MS, batch: tick() },
    { atMs: 48 * SECOND_MS, batch: frames(0, 7, [`l ${T0 + 72}`]) },
  ];
  const idleLimits = { untilIdleMs: 10 * SECOND_MS, idleTimeoutMs: 10 * SECOND_MS };

  it('restarts its idle clocks at a batch marked resumed: an outage of the input is not idleness', async () => {
    const { source, sink, clock } = setUp(outage(true));
    const summary = await runPipeline({
      source,
      decoder: textDecoder,
      engine: engine(),
      sink,
      now: clock.now,
      ...idleLimits,
    });
    expect(summary).toMatchObject({ frames: 11, stopReason: 'idle' });
    expect(source.taken).toBe(6);
    // Partition 1 was not taken for idle during the outage: it held the first minute open for k.
    expect(summary.stats).toMatchObject({ late: 0, lateDropped: 0 });
    expect(sink.results).toMatchObject([
      { start: T0, users: 7, frames: 7, final: true },
      { start: T0 + 60, users: 4, frames: 4, final: true },
    ]);
  });

  it('without the mark, the same outage counts as idle: the first tick after it ends the run', async () => {
    const { source, sink, clock } = setUp(outage(false));
    const summary = await runPipeline({
      source,
      decoder: textDecoder,
      engine: engine(),
      sink,
      now: clock.now,
      ...idleLimits,
    });
    expect(summary).toMatchObject({ frames: 6, stopReason: 'idle' });
    expect(source.taken).toBe(3);
  });

  it(
    'without the mark and without untilIdleMs, ' + 'partition 1 is taken for idle and its frame comes too late',
    async () => {
      const { source, sink, clock } = setUp(outage(false));
      const summary = await runPipeline({
        source,
        decoder: textDecoder,
        engine: engine(),
        sink,
        now: clock.now,
        idleTimeoutMs: idleLimits.idleTimeoutMs,
      });
      expect(summary).toMatchObject({ frames: 12, stopReason: 'end-of-input' });
      expect(summary.stats.lateDropped).toBe(1);
    },
  );

  it(
    "with wallClockAfterMs, a silent input's event time moves on with the clock, so its last window " +
      'comes out and closes',
    async () => {
      const steps: Step[] = [
        { atMs: 0, batch: frames(0, 0, [`a ${T0 + 40}`, `b ${T0 + 41}`, `c ${T0 + 50}`]) },
        // 20 s after the last frame: 10 s beyond the allowance moves event time to T0 + 60.
        { atMs: 20 * SECOND_MS, batch: tick() },
        { atMs: 26 * SECOND_MS, batch: tick() },
        { atMs: 90 * SECOND_MS, batch: tick() },
        // Behind the watermark the clock reached, and past the lateness: dropped as late.
        { atMs: 91 * SECOND_MS, batch: frames(0, 3, [`d ${T0 + 55}`]) },
      ];
      const windowAt = (wallClockAfterMs: number): Promise<{ results: WindowResult[]; lateDropped: number }> => {
        const { source, sink, clock } = setUp(steps);
        const counting = new CountingEngine({
          windows: ['minute'],
          maxDelay: 5,
          allowedLateness: 30,
          bootstrapFrames: 0,
        });
        return runPipeline({
          source,
          decoder: textDecoder,
          engine: counting,
          sink,
          now: clock.now,
          idleTimeoutMs: 0,
          wallClockAfterMs,
          onSignal: 'keep',
        }).then((summary) => ({
          results: sink.results,
          lateDropped: summary.stats.lateDropped,
        }));
      };
      const moved = await windowAt(10 * SECOND_MS);
      // Out at the first tick past 65 s of event time (its end + max delay), final once past end + lateness.
      expect(moved.results).toMatchObject([
        { start: T0, users: 3, frames: 3, revision: 0, final: false },
        { start: T0, users: 3, frames: 3, revision: 1, final: true },
      ]);
      expect(moved.lateDropped).toBe(1);
      // Without it the window waits for frames (here: the end of the input) and d counts.
      const still = await windowAt(0);
      expect(still.results).toMatchObject([{ start: T0, users: 4, frames: 4, final: true }]);
      expect(still.lateDropped).toBe(0);
    },
  );
});
