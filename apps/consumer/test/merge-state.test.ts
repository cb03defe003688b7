import { PartitionedEngines, type PartialResult, type WindowResult } from '@uniqstream/core';
import { hashString } from '@uniqstream/frames';
import { seededRandom } from '@uniqstream/reference';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MergeState } from '../src/merge-state.js';
import { decodePartial, encodePartial, encodeProgress, partialKey, progressKey, windowKey } from '../src/records.js';

const PARTITIONS = 4;
const MINUTE = 60;
const ALLOWED_LATENESS = 60;
const START = 1_468_244_384;
/** The closing frames' jump: past every data window's end + lateness. */
const CLOSING_JUMP = 7200;
const CLOSING_FRAMES = 5;

interface Frame {
  readonly uid: string;
  readonly ts: number;
}

interface LogRecord {
  readonly key: string;
  readonly value: Uint8Array | null;
}

/** Per partition, frames in arrival order: ts rising at `rate` per second with up to 4 s of disorder. */
function partitionStreams(seed: number, frames: number, rate: number): Frame[][] {
  const random = seededRandom(seed);
  const streams: Frame[][] = Array.from({ length: PARTITIONS }, () => []);
  for (let i = 0; i < frames; i++) {
    const ts = START + Math.floor(i / rate) - Math.floor(random() * 5);
    streams[i % PARTITIONS]!.push({ uid: `u${Math.floor(random() * 400)}`, ts });
  }
  return streams;
}

/** The exact answer, from the frames alone: distinct uids and frames per minute. */
function reference(streams: readonly Frame[][]): Map<string, { users: number; frames: number }> {
  const sets = new Map<number, Set<string>>();
  const counts = new Map<number, number>();
  for (const frame of streams.flat()) {
    const start = frame.ts - (frame.ts % MINUTE);
    if (!sets.has(start)) sets.set(start, new Set());
    sets.get(start)!.add(frame.uid);
    counts.set(start, (counts.get(start) ?? 0) + 1);
  }
  return new Map(
    [...sets].map(([start, set]) => [windowKey('minute', start), { users: set.size, frames: counts.get(start)! }]),
  );
}

/**
 * What the counting role writes to the partials topic for these streams,
 * read round-robin: partials as the engines make them, a checkpoint every
 * `checkpointEvery` frames (after which progress records follow), and a
 * crash at each of `crashes` (frames fed so far) of some partitions (an
 * instance dies and its partitions move, or all of them): their engines
 * restart from their last checkpoints and read again from the offsets they
 * cover, writing again what they had written since.
 */
function countingLog(streams: readonly Frame[][], checkpointEvery: number, crashes: readonly Crash[]): LogRecord[] {
  const options = { windows: ['minute'] as const, allowedLateness: ALLOWED_LATENESS, maxDelay: 5 };
  const closed = streams.map((stream, p) => {
    const last = Math.max(...stream.map((f) => f.ts));
    return [
      ...stream,
      ...Array.from({ length: CLOSING_FRAMES }, (_, i) => ({ uid: `closing-${p}-${i}`, ts: last + CLOSING_JUMP })),
    ];
  });
  const log: LogRecord[] = [];
  const engines = new PartitionedEngines(options);
  const cursor = closed.map(() => 0);
  let saved = new Map<number, { offset: number; state: Uint8Array }>();
  const pendingCrashes = [...crashes];
  let fed = 0;
  const drain = (): void => {
    for (const result of engines.takeResults())
      log.push({ key: partialKey(result.window, result.start, result.partition), value: encodePartial(result) });
  };
  const checkpoint = (): void => {
    drain();
    const next = new Map<number, { offset: number; state: Uint8Array }>();
    for (const p of engines.partitions) next.set(p, { offset: cursor[p]!, state: engines.snapshot(p)! });
    saved = next;
    for (const progress of engines.progress())
      log.push({ key: progressKey(progress.partition), value: encodeProgress(progress) });
  };
  while (cursor.some((c, p) => c < closed[p]!.length)) {
    for (let p = 0; p < PARTITIONS; p++) {
      const at = cursor[p]!;
      const frame = closed[p]![at];
      if (frame === undefined) continue;
      const [hi, lo] = hashString(frame.uid);
      const part = engines.partition(p);
      part.add(hi, lo, frame.ts, at, Buffer.from(JSON.stringify(frame)));
      part.next = at + 1;
      cursor[p] = at + 1;
      fed++;
      drain();
      if (fed % checkpointEvery === 0) checkpoint();
      if (pendingCrashes.length > 0 && fed >= pendingCrashes[0]!.at) {
        for (const q of pendingCrashes.shift()!.partitions) {
          engines.release(q);
          const last = saved.get(q);
          cursor[q] = last?.offset ?? 0;
          if (last !== undefined) engines.adopt(q, last.state);
        }
      }
    }
  }
  checkpoint();
  return log;
}

interface Crash {
  /** After this many frames fed in all. */
  readonly at: number;
  readonly partitions: readonly number[];
}

const ALL = [0, 1, 2, 3];

interface MergeRun {
  /** Every result the merge wrote, in order. */
  readonly written: WindowResult[];
  /** The log with the merge's tombstones where it wrote them. */
  readonly log: LogRecord[];
  readonly replays: number;
}

/** Feeds a partials log to a MergeState in batches of `batch` records, as the merge role does. */
function merge(log: readonly LogRecord[], batch: number): MergeRun {
  const state = new MergeState({ partitions: PARTITIONS, combine: 'union', allowedLateness: ALLOWED_LATENESS });
  const written: WindowResult[] = [];
  const out: LogRecord[] = [];
  for (let i = 0; i < log.length; i += batch) {
    for (const record of log.slice(i, i + batch)) {
      state.apply(record.key, record.value);
      out.push(record);
    }
    written.push(...state.takeResults());
    state.resultsDurable();
    for (const key of state.takeTombstones()) out.push({ key, value: null });
  }
  return { written, log: out, replays: state.counts.replays };
}

function latest(results: readonly WindowResult[]): Map<string, WindowResult> {
  return new Map(results.map((r) => [windowKey(r.window, r.start), r]));
}

/**
 * Every final result written carries exactly the reference counts, a window
 * once final is never written differently again, and every reference
 * window ends final.
 */
function expectExact(
  results: readonly WindowResult[],
  expected: ReadonlyMap<string, { users: number; frames: number }>,
): void {
  const finals = new Map<string, WindowResult>();
  for (const result of results) {
    const key = windowKey(result.window, result.start);
    const final = finals.get(key);
    if (final !== undefined) expect(result).toEqual(final);
    if (!result.final) continue;
    expect({ key, users: result.users, frames: result.frames }).toEqual({ key, ...expected.get(key) });
    finals.set(key, result);
  }
  const last = latest(results);
  expect([...last.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, counts] of expected) expect(last.get(key)).toMatchObject({ ...counts, final: true });
}

/** A compacted topic: the latest record of each key at its place, deleted keys gone. */
function compact(log: readonly LogRecord[]): LogRecord[] {
  const lastAt = new Map<string, number>();
  log.forEach((record, i) => {
    lastAt.set(record.key, i);
  });
  return log.filter((record, i) => lastAt.get(record.key) === i && record.value !== null);
}

describe('MergeState', () => {
  const streams = partitionStreams(7, 12_000, 40);
  const expected = reference(streams);

  it("merges the partitions' shares into the exact counts of every window", () => {
    const run = merge(countingLog(streams, 500, []), 37);
    expect(expected.size).toBeGreaterThan(3);
    expectExact(run.written, expected);
  });

  it('ignores what crashed counters write again: no final result is ever wrong, and the end is the same', () => {
    const clean = merge(countingLog(streams, 500, []), 37);
    // Late in checkpoint intervals, so that much is written again.
    const crashes: Crash[] = [
      { at: 1400, partitions: ALL },
      { at: 4400, partitions: [1] },
      { at: 5900, partitions: [0, 2] },
      { at: 8800, partitions: [3] },
      { at: 10_400, partitions: [2] },
      { at: 11_900, partitions: ALL },
    ];
    const log = countingLog(streams, 1500, crashes);
    // The restarts did write shares again: some key's revisions go back.
    const revisions = new Map<string, number>();
    let again = 0;
    for (const record of log) {
      if (record.value === null || record.key.startsWith('progress:')) continue;
      const revision = decodePartial(record.value).revision;
      if (revision <= (revisions.get(record.key) ?? -1)) again++;
      revisions.set(record.key, revision);
    }
    expect(again).toBeGreaterThan(0);
    for (const batch of [1, 7, 64, log.length]) {
      const run = merge(log, batch);
      expectExact(run.written, expected);
      expect(latest(run.written)).toEqual(latest(clean.written));
    }
  });

  it(
    'a merge reading the topic again from the beginning (after tombstones and compaction) writes ' +
      'only exact finals',
    () => {
      const first = merge(
        countingLog(streams, 500, [
          { at: 2900, partitions: [1] },
          { at: 6100, partitions: ALL },
        ]),
        50,
      );
      // The first merge deleted the shares of windows every partition is past.
      expect(first.log.some((r) => r.value === null)).toBe(true);
      for (const log of [first.log, compact(first.log)]) {
        const again = merge(log, 50);
        // What it writes lands on top of what the first merge wrote.
        const topic = new Map([...latest(first.written), ...latest(again.written)]);
        for (const result of again.written)
          if (result.final) expect(result).toMatchObject(expected.get(windowKey(result.window, result.start))!);
        expect([...topic.keys()].sort()).toEqual([...expected.keys()].sort());
        for (const [key, counts] of expected) expect(topic.get(key)).toMatchObject({ ...counts, final: true });
      }
    },
  );

  it("keeps a final window's shares until every partition is past it, and deletes them once", () => {
    const state = new MergeState({ partitions: 2, combine: 'union', allowedLateness: ALLOWED_LATENESS });
    const share = (partition: number, final: boolean): PartialResult => {
      const engines = new PartitionedEngines({ windows: ['minute'] });
      const [hi, lo] = hashString(`user-${partition}`);
      engines.partition(partition).add(hi, lo, 120, 0, new Uint8Array(0));
      engines.finish();
      const result = engines.takeResults()[0] as PartialResult;
      return { ...result, final };
    };
    for (const p of [0, 1]) state.apply(partialKey('minute', 120, p), encodePartial(share(p, true)));
    state.apply(progressKey(0), encodeProgress({ partition: 0, watermark: 180, idle: false }));
    state.apply(progressKey(1), encodeProgress({ partition: 1, watermark: 180, idle: false }));
    const results = state.takeResults();
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ start: 120, users: 2, frames: 2, final: true });
    // Not durable yet: nothing to delete.
    expect(state.takeTombstones()).toEqual([]);
    state.resultsDurable();
    // Durable, but partition 1 could still replay its share: it has not reported progress past end + lateness.
    expect(state.takeTombstones()).toEqual([]);
    // A replay of partition 1's share changes nothing.
    state.apply(partialKey('minute', 120, 1), encodePartial(share(1, true)));
    expect(state.takeResults()).toEqual([]);
    expect(state.counts.replays).toBe(1);
    state.apply(progressKey(0), encodeProgress({ partition: 0, watermark: 240, idle: false }));
    expect(state.takeTombstones()).toEqual([]);
    state.apply(progressKey(1), encodeProgress({ partition: 1, watermark: 240, idle: false }));
    expect(state.takeTombstones().sort()).toEqual([partialKey('minute', 120, 0), partialKey('minute', 120, 1)]);
    expect(state.takeTombstones()).toEqual([]);
    expect(state.closedWindows).toBe(0);
  });

  it('refuses records it cannot read with BAD_RECORD', () => {
    const state = new MergeState({ partitions: 2, combine: 'union', allowedLateness: ALLOWED_LATENESS });
    expect(() => state.apply('minute:120:5', encodeProgress({ partition: 5, watermark: 1, idle: false }))).toThrow(
      expect.objectContaining({ code: 'BAD_RECORD' }),
    );
    expect(() => state.apply('progress:1', encodeProgress({ partition: 0, watermark: 1, idle: false }))).toThrow(
      expect.objectContaining({ code: 'BAD_RECORD' }),
    );
    expect(() => state.apply('something', new Uint8Array(4))).toThrow(expect.objectContaining({ code: 'BAD_RECORD' }));
  });
});

/** How the counting side behaves in one property run. */
interface Schedule {
  readonly seed: number;
  /** Chance per step that the partition picked pauses (stops getting frames, goes idle). */
  readonly pause: number;
  /** Largest run of frames one partition reads in a step: large runs race its event time ahead of the others. */
  readonly maxRun: number;
  /** Chance per step of a checkpoint of the partition picked, and of a crash (back to its last checkpoint). */
  readonly checkpoint: number;
  readonly crash: number;
}

/**
 * The partials topic as independent counting instances write it: each
 * partition's records in its own order (partials as made, a checkpoint's
 * progress after its partials, replays after a crash), the partitions'
 * records interleaved at random, so that one partition's writes may be
 * delayed far behind another's. Partitions pause at random for a while:
 * they go idle (their progress says so, and what late frames changed goes
 * out) while the others read ahead, then come back with frames of the
 * windows the others have already passed.
 */
function pausingLog(streams: readonly Frame[][], schedule: Schedule): LogRecord[] {
  const random = seededRandom(schedule.seed);
  const options = { windows: ['minute'] as const, allowedLateness: ALLOWED_LATENESS, maxDelay: 5 };
  const closed = streams.map((stream, p) => {
    const last = Math.max(...stream.map((f) => f.ts));
    return [
      ...stream,
      ...Array.from({ length: CLOSING_FRAMES }, (_, i) => ({ uid: `closing-${p}-${i}`, ts: last + CLOSING_JUMP })),
    ];
  });
  const engines = new PartitionedEngines(options);
  const queues: LogRecord[][] = closed.map(() => []);
  const cursor = closed.map(() => 0);
  const saved = new Map<number, { offset: number; state: Uint8Array }>();
  const pausedFor = closed.map(() => 0);
  const drain = (): void => {
    for (const result of engines.takeResults())
      queues[result.partition]!.push({
        key: partialKey(result.window, result.start, result.partition),
        value: encodePartial(result),
      });
  };
  const checkpoint = (p: number): void => {
    drain();
    const state = engines.snapshot(p);
    if (state === undefined) return;
    saved.set(p, { offset: cursor[p]!, state });
    const progress = engines.progress().find((q) => q.partition === p)!;
    queues[p]!.push({ key: progressKey(p), value: encodeProgress(progress) });
  };
  const unfinished = (): number[] => closed.map((_, p) => p).filter((p) => cursor[p]! < closed[p]!.length);
  for (let left = unfinished(); left.length > 0; left = unfinished()) {
    const p = left[Math.floor(random() * left.length)]!;
    if (pausedFor[p]! > 0) {
      pausedFor[p]!--;
      continue;
    }
    if (cursor[p]! > 0 && random() < schedule.pause) {
      // Silent for a while (in steps of the others): idle, as the idle timeout would say.
      pausedFor[p] = 1 + Math.floor(random() * 40);
      engines.setIdle(p, true);
      checkpoint(p);
      continue;
    }
    engines.setIdle(p, false);
    const run = 1 + Math.floor(random() * schedule.maxRun);
    const part = engines.partition(p);
    for (let k = 0; k < run && cursor[p]! < closed[p]!.length; k++) {
      const at = cursor[p]!;
      const frame = closed[p]![at]!;
      const [hi, lo] = hashString(frame.uid);
      part.add(hi, lo, frame.ts, at, Buffer.from(JSON.stringify(frame)));
      part.next = at + 1;
      cursor[p] = at + 1;
    }
    drain();
    if (random() < schedule.checkpoint) checkpoint(p);
    if (random() < schedule.crash) {
      // What it wrote since its last checkpoint stays in the topic; it is written again.
      engines.release(p);
      const last = saved.get(p);
      cursor[p] = last?.offset ?? 0;
      if (last !== undefined) engines.adopt(p, last.state);
    }
  }
  for (let p = 0; p < closed.length; p++) checkpoint(p);
  // One partials topic: the partitions' writes interleaved, each in its own order, any of them held back.
  const log: LogRecord[] = [];
  const heads = queues.map(() => 0);
  for (let open = queues.map((_, p) => p); open.length > 0; open = open.filter((p) => heads[p]! < queues[p]!.length)) {
    const p = open[Math.floor(random() * open.length)]!;
    const take = 1 + Math.floor(random() * 60);
    log.push(...queues[p]!.slice(heads[p], heads[p]! + take));
    heads[p] = heads[p]! + take;
  }
  return log;
}

describe('MergeState with partitions that pause, return, lag behind and replay', () => {
  const streams = partitionStreams(19, 6_000, 30);
  const expected = reference(streams);

  it("publishes a final result only with every partition's share, whatever the order of their writes", () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          pause: fc.constantFrom(0.02, 0.1, 0.3),
          maxRun: fc.constantFrom(20, 400, 3000),
          checkpoint: fc.constantFrom(0.05, 0.3),
          crash: fc.constantFrom(0, 0.02, 0.1),
        }),
        fc.constantFrom(1, 13, 200),
        (schedule, batch) => {
          const log = pausingLog(streams, schedule);
          const run = merge(log, batch);
          expectExact(run.written, expected);
          // Read again from the beginning (a new merger), with the deletes the first one wrote.
          const again = merge(run.log, batch);
          for (const result of again.written)
            if (result.final) expect(result).toMatchObject(expected.get(windowKey(result.window, result.start))!);
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);

  it('a partition idle while the others pass a window, then back with frames of it, is in its final result', () => {
    // Partition 3 is silent and idle from the start of the second minute while 0-2 read far ahead.
    const stream = partitionStreams(5, 12_000, 20);
    const log: LogRecord[] = [];
    const engines = new PartitionedEngines({ windows: ['minute'], allowedLateness: ALLOWED_LATENESS, maxDelay: 5 });
    const feed = (p: number, frames: readonly Frame[], first: number): void => {
      frames.forEach((frame, i) => {
        const [hi, lo] = hashString(frame.uid);
        engines.partition(p).add(hi, lo, frame.ts, first + i, new Uint8Array(0));
      });
      for (const result of engines.takeResults())
        log.push({ key: partialKey(result.window, result.start, result.partition), value: encodePartial(result) });
      for (const progress of engines.progress())
        if (progress.partition === p) log.push({ key: progressKey(p), value: encodeProgress(progress) });
    };
    const cut = stream[3]!.findIndex((f) => f.ts >= START + 90);
    feed(3, stream[3]!.slice(0, cut), 0);
    engines.setIdle(3, true);
    feed(3, [], cut);
    for (const p of [0, 1, 2]) feed(p, stream[p]!, 0);
    engines.setIdle(3, false);
    feed(3, stream[3]!.slice(cut), cut);
    for (let p = 0; p < PARTITIONS; p++)
      feed(
        p,
        [
          { uid: 'closing', ts: START + CLOSING_JUMP },
          { uid: 'closing', ts: START + CLOSING_JUMP },
          { uid: 'closing', ts: START + CLOSING_JUMP },
        ],
        1e6,
      );
    const run = merge(log, 1);
    const finals = run.written.filter((r) => r.final && r.start < START + CLOSING_JUMP - 3600);
    const truth = reference(stream);
    expect(finals.length).toBe(truth.size);
    for (const result of finals)
      expect({ users: result.users, frames: result.frames }).toEqual(truth.get(windowKey(result.window, result.start)));
    expect(run.replays).toBe(0);
  });
});
