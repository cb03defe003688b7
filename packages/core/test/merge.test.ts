import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CountingEngine,
  createCounter,
  deserializeCounter,
  MergeStage,
  PartitionedEngines,
  type CombineChoice,
  type PartialResult,
  type WindowResult,
} from '../src/index.js';
import { disorderedStream, lastResults, testHash } from './helpers.js';

const T0 = 1468244340;

/** Runs frames split over partitions through per-partition engines and a merge stage. */
function partitioned(
  frames: readonly { uid: string; ts: number }[],
  partitions: number,
  partitionOf: (uid: string, i: number) => number,
  combine: CombineChoice,
  order: number,
): { merged: WindowResult[]; partials: PartialResult[] } {
  const options = { windows: ['minute', 'hour'] as const, method: 'auto' as const, allowedLateness: 20 };
  const engines = new PartitionedEngines({
    windows: options.windows,
    method: options.method,
    allowedLateness: options.allowedLateness,
  });
  const merge = new MergeStage({ partitions, combine, allowedLateness: options.allowedLateness });
  const merged: WindowResult[] = [];
  const partials: PartialResult[] = [];
  const ship = (): void => {
    const batch = engines.takeResults();
    partials.push(...batch);
    const progress = engines.progress();
    // Partials and heartbeats travel separately; either may arrive first.
    if (order % 2 === 0) {
      for (const p of batch) merge.addPartial(p);
      for (const p of progress) merge.setProgress(p);
    } else {
      for (const p of progress) merge.setProgress(p);
      for (const p of batch) merge.addPartial(p);
    }
    merged.push(...merge.takeResults());
  };
  frames.forEach((f, i) => {
    const [hi, lo] = testHash(f.uid);
    const p = partitionOf(f.uid, i);
    engines.partition(p).add(hi, lo, f.ts, i, Buffer.from(f.uid));
    if (i % 97 === 0) ship();
  });
  engines.finish();
  ship();
  for (let p = 0; p < partitions; p++)
    merge.setProgress({ partition: p, watermark: Number.POSITIVE_INFINITY, idle: false });
  merged.push(...merge.takeResults());
  return { merged, partials };
}

describe('MergeStage', () => {
  it("unions the partitions' shares into the counts one engine over the whole stream gives", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom<CombineChoice>('union', 'sum'),
        fc.integer({ min: 0, max: 1 }),
        (seed, partitions, combine, order) => {
          const frames = disorderedStream({ seed, start: T0, seconds: 300, rate: 6, users: 120, maxDelay: 3 });
          // Sum needs each user in one partition (keyed by uid); union takes any split.
          const partitionOf =
            combine === 'sum'
              ? (uid: string) => testHash(uid)[1] % partitions
              : (_: string, i: number) => (i * 7 + seed) % partitions;
          const { merged } = partitioned(frames, partitions, partitionOf, combine, order);
          const whole = new CountingEngine({ windows: ['minute', 'hour'], method: 'auto', allowedLateness: 20 });
          frames.forEach((f, i) => {
            const [hi, lo] = testHash(f.uid);
            whole.partition(0).add(hi, lo, f.ts, i, Buffer.from(f.uid));
          });
          whole.finish();
          const expected = lastResults(whole.takeResults());
          const got = lastResults(merged);
          expect(got.size).toBe(expected.size);
          for (const [key, r] of expected)
            expect(got.get(key)).toMatchObject({ users: r.users, frames: r.frames, final: true, method: r.method });
        },
      ),
      {
        numRuns: 25,
        examples: [
          [647, 4, 'sum', 0],
          [740, 4, 'sum', 0],
        ],
      },
    );
  });

  it('waits until every partition has passed a window before emitting it', () => {
    const merge = new MergeStage({ partitions: 2, combine: 'sum', allowedLateness: 0 });
    const partial = (partition: number, users: number, final: boolean): PartialResult => ({
      window: 'minute',
      start: T0,
      end: T0 + 60,
      users,
      frames: users,
      revision: 0,
      final,
      method: 'exact',
      partition,
      state: new Uint8Array(0),
    });
    merge.addPartial(partial(0, 5, true));
    merge.setProgress({ partition: 0, watermark: T0 + 61, idle: false });
    merge.setProgress({ partition: 1, watermark: T0 + 30, idle: false });
    expect(merge.takeResults()).toEqual([]);
    merge.setProgress({ partition: 1, watermark: T0 + 61, idle: false });
    // Partition 1 had no frames in the window and is past its end + lateness: done.
    expect(merge.takeResults()).toMatchObject([{ users: 5, final: true }]);
    expect(merge.openWindows).toBe(0);
  });

  it('does not wait for an idle partition to publish a window, but does to make it final', () => {
    const merge = new MergeStage({ partitions: 2, combine: 'sum', allowedLateness: 0 });
    merge.addPartial({
      window: 'minute',
      start: T0,
      end: T0 + 60,
      users: 3,
      frames: 4,
      revision: 0,
      final: true,
      method: 'exact',
      partition: 0,
      state: new Uint8Array(0),
    });
    merge.setProgress({ partition: 0, watermark: T0 + 65, idle: false });
    expect(merge.takeResults()).toEqual([]);
    merge.setProgress({ partition: 1, watermark: T0 + 30, idle: true });
    expect(merge.takeResults()).toMatchObject([{ users: 3, frames: 4, final: false }]);
    // The idle partition comes back with frames for the window: they count.
    merge.addPartial({
      window: 'minute',
      start: T0,
      end: T0 + 60,
      users: 2,
      frames: 2,
      revision: 0,
      final: true,
      method: 'exact',
      partition: 1,
      state: new Uint8Array(0),
    });
    // Its first share is an update of the window: the next revision.
    expect(merge.takeResults()).toMatchObject([{ users: 5, frames: 6, revision: 1, final: true }]);
  });

  it('emits the same final records when it restarts and reads the partials again', () => {
    const frames = disorderedStream({ seed: 3, start: T0, seconds: 240, rate: 5, users: 80, maxDelay: 3 });
    const { merged, partials } = partitioned(frames, 3, (_, i) => i % 3, 'union', 0);
    const replay = new MergeStage({ partitions: 3, combine: 'union', allowedLateness: 20 });
    for (const p of partials) replay.addPartial(p);
    for (let p = 0; p < 3; p++) replay.setProgress({ partition: p, watermark: Number.POSITIVE_INFINITY, idle: false });
    const again = lastResults(replay.takeResults());
    for (const [key, r] of lastResults(merged)) expect(again.get(key)).toEqual(r);
  });
});

describe('MergeStage after a replay', () => {
  const share = (partition: number, users: number): PartialResult => ({
    window: 'minute',
    start: T0,
    end: T0 + 60,
    users,
    frames: users,
    revision: 0,
    final: true,
    method: 'exact',
    partition,
    state: new Uint8Array(0),
  });

  it("ignores a partition's share replayed after the window is final", () => {
    const merge = new MergeStage({ partitions: 2, combine: 'sum', allowedLateness: 0 });
    merge.addPartial(share(0, 1));
    merge.addPartial(share(1, 1));
    merge.setProgress({ partition: 0, watermark: T0 + 70, idle: false });
    merge.setProgress({ partition: 1, watermark: T0 + 70, idle: false });
    expect(merge.takeResults()).toMatchObject([{ users: 2, final: true }]);
    merge.addPartial(share(1, 1));
    expect(merge.takeResults()).toEqual([]);
    expect(merge.openWindows).toBe(0);
  });

  it('publishes, but does not close, a window while a partition without frames is idle', () => {
    const merge = new MergeStage({ partitions: 2, combine: 'sum', allowedLateness: 0 });
    merge.addPartial(share(0, 4));
    merge.setProgress({ partition: 0, watermark: T0 + 70, idle: false });
    merge.setProgress({ partition: 1, watermark: Number.NEGATIVE_INFINITY, idle: true });
    expect(merge.takeResults()).toMatchObject([{ users: 4, final: false }]);
    expect(merge.openWindows).toBe(1);
    // Its own event time passes the window (frames of later minutes, or the wall clock): final.
    merge.setProgress({ partition: 1, watermark: T0 + 60, idle: false });
    expect(merge.takeResults()).toMatchObject([{ users: 4, final: true }]);
  });

  it("takes a partition's final share even when a replay numbered it lower, and nothing of it after", () => {
    const merge = new MergeStage({ partitions: 2, combine: 'sum', allowedLateness: 0 });
    const at = (partition: number, users: number, revision: number, final: boolean): PartialResult => ({
      ...share(partition, users),
      revision,
      final,
    });
    merge.setProgress({ partition: 0, watermark: T0 + 60, idle: false });
    merge.setProgress({ partition: 1, watermark: T0 + 60, idle: false });
    merge.addPartial(at(0, 3, 2, false));
    merge.addPartial(at(1, 1, 0, true));
    // An older revision of partition 0, replayed: ignored.
    merge.addPartial(at(0, 2, 1, false));
    expect(merge.takeResults().at(-1)).toMatchObject({ users: 4, final: false });
    // The replay's final share has revision 1 where the first run got to 2 by going idle once more.
    merge.addPartial(at(0, 5, 1, true));
    expect(merge.takeResults()).toMatchObject([{ users: 6, final: true }]);
  });

  it("lets a window out once every partition's shares carried a watermark past its end, without closing it", () => {
    const merge = new MergeStage({ partitions: 2, combine: 'sum', allowedLateness: 0 });
    const at = (partition: number, start: number, users: number, watermark: number): PartialResult => ({
      ...share(partition, users),
      start,
      end: start + 60,
      final: false,
      watermark,
    });
    merge.addPartial(at(0, T0, 3, T0 + 61));
    // Partition 1 has not said where it is: nothing yet.
    expect(merge.takeResults()).toEqual([]);
    // Its share of the next minute says it is past this one; it had no frames in it.
    merge.addPartial(at(1, T0 + 60, 2, T0 + 125));
    expect(merge.takeResults()).toMatchObject([{ start: T0, users: 3, final: false }]);
    // Only its progress closes it: the carried watermark is not kept over a restart.
    merge.setProgress({ partition: 0, watermark: T0 + 125, idle: false });
    merge.addPartial({ ...at(0, T0, 3, T0 + 125), final: true });
    expect(merge.takeResults().filter((r) => r.start === T0)).toEqual([]);
    merge.setProgress({ partition: 1, watermark: T0 + 125, idle: false });
    expect(merge.takeResults().filter((r) => r.start === T0)).toMatchObject([{ users: 3, final: true }]);
  });

  it(
    "never emits a window's revision twice: a share that arrives later, or numbered lower, takes the " + 'next number',
    () => {
      const merge = new MergeStage({ partitions: 3, combine: 'sum', allowedLateness: 60 });
      for (let p = 0; p < 3; p++) merge.setProgress({ partition: p, watermark: T0 + 61, idle: false });
      const at = (partition: number, users: number, revision: number): PartialResult => ({
        ...share(partition, users),
        revision,
        final: false,
      });
      merge.addPartial(at(0, 3, 0));
      merge.addPartial(at(1, 1, 0));
      // Partition 2 had no frames in the window when it came out; a late frame gives it a first share.
      merge.addPartial(at(2, 1, 0));
      merge.addPartial(at(0, 4, 1));
      const revisions = merge.takeResults().map((r) => r.revision);
      expect(revisions).toEqual([0, 1, 2, 3]);
    },
  );
});

describe('PartitionedEngines partial results', () => {
  it('serialize a share when its state is first read: then as of the result, later never fewer users', () => {
    const engines = new PartitionedEngines({ windows: ['minute'], allowedLateness: 30 });
    const add = (uid: string, ts: number, i: number) => {
      const [hi, lo] = testHash(uid);
      engines.partition(0).add(hi, lo, ts, i, Buffer.from(uid));
    };
    let i = 0;
    let now = T0;
    /** Frames of a user already counted, moving the watermark on (a revision goes out once it has moved). */
    const tick = () => {
      for (let k = 0; k < 3; k++) add('u0', (now += 1), i++);
    };
    for (let s = 0; s < 70; s++) add(`u${s % 50}`, (now = T0 + s), i++);
    const first = engines.takeResults().find((r) => r.start === T0 - (T0 % 60) && !r.final);
    expect(first).toBeDefined();
    // Read at once: the counter as of the result.
    expect(deserializeCounter(first!.state).count()).toBe(first!.users);
    for (let s = 0; s < 20; s++) add(`late${s}`, T0 + 10, i++);
    tick();
    const revision = engines.takeResults().find((r) => r.start === first!.start)!;
    expect(revision.users).toBe(first!.users + 20);
    // Read after more frames were counted for the window: they are in it, nothing is missing.
    expect(deserializeCounter(revision.state).count()).toBe(revision.users);
    for (let s = 0; s < 5; s++) add(`later${s}`, T0 + 11, i++);
    expect(deserializeCounter(revision.state).count()).toBe(revision.users);
    tick();
    const unread = engines.takeResults().find((r) => r.start === first!.start)!;
    for (let s = 0; s < 5; s++) add(`latest${s}`, T0 + 12, i++);
    expect(deserializeCounter(unread.state).count()).toBeGreaterThanOrEqual(unread.users);
  });
});

describe('MergeStage union', () => {
  const set = (...uids: string[]): Uint8Array => {
    const counter = createCounter('exact');
    for (const uid of uids) counter.add(...testHash(uid));
    return counter.serialize();
  };
  const share = (partition: number, uids: string[], revision: number, final: boolean): PartialResult => ({
    window: 'minute',
    start: T0,
    end: T0 + 60,
    users: uids.length,
    frames: uids.length,
    revision,
    final,
    method: 'exact',
    partition,
    state: set(...uids),
  });

  it('adds each new share to the union, and makes a final result from the current shares alone', () => {
    const merge = new MergeStage({ partitions: 2, combine: 'union', allowedLateness: 10 });
    merge.setProgress({ partition: 0, watermark: T0 + 60, idle: false });
    merge.setProgress({ partition: 1, watermark: T0 + 60, idle: false });
    merge.addPartial(share(0, ['a', 'b'], 0, false));
    merge.addPartial(share(1, ['b', 'c'], 0, false));
    expect(merge.takeResults().at(-1)).toMatchObject({ users: 3, final: false });
    merge.addPartial(share(0, ['a', 'b', 'd'], 1, false));
    expect(merge.takeResults()).toMatchObject([{ users: 4, final: false }]);
    // A replay from an older checkpoint numbered its share as high, with fewer users: an early look may
    // still count 'd', but the final result holds only what the current shares hold.
    merge.addPartial(share(0, ['a'], 1, true));
    merge.addPartial(share(1, ['b', 'c'], 1, true));
    expect(merge.takeResults().at(-1)).toMatchObject({ users: 3, final: true });
  });

  it('gives the union of the latest shares however they arrive (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            partition: fc.integer({ min: 0, max: 2 }),
            add: fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 6 }),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        (steps) => {
          const merge = new MergeStage({ partitions: 3, combine: 'union', allowedLateness: 0 });
          for (let p = 0; p < 3; p++) merge.setProgress({ partition: p, watermark: T0 + 60, idle: false });
          const shares = new Map<number, Set<string>>();
          const revisions = new Map<number, number>();
          for (const step of steps) {
            // Each partition's share only grows, as an engine's does.
            const users = shares.get(step.partition) ?? new Set<string>();
            for (const n of step.add) users.add(`u${n}`);
            shares.set(step.partition, users);
            const revision = (revisions.get(step.partition) ?? -1) + 1;
            revisions.set(step.partition, revision);
            merge.addPartial(share(step.partition, [...users], revision, false));
            const expected = new Set([...shares.values()].flatMap((s) => [...s]));
            const last = merge.takeResults().at(-1);
            if (last !== undefined) expect(last.users).toBe(expected.size);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
