import { generateChunks } from '@uniqstream/generator';
import type { ReadRecord, TestRecord } from '@uniqstream/kafka-local';
import { linesOf, referenceCounts, type Counts } from '@uniqstream/reference';
import { expect } from 'vitest';

const MINUTE = 60;
/** How far the closing frames jump ahead: past every data window's end + the allowed lateness. */
const CLOSING_JUMP_SECONDS = 2 * 3600;
/** Enough agreeing frames for the timestamp guard to accept the jump (it needs 3). */
const CLOSING_FRAMES = 5;

export interface TestStream {
  /** Generated frames in arrival order, round-robin over the partitions. */
  readonly frames: readonly TestRecord[];
  /**
   * Per partition, a few valid frames two hours after the last one: they
   * move every partition's watermark past every data window, so that all of
   * them end final, as time moving on does in a live stream.
   */
  readonly closing: readonly TestRecord[];
  /** Exact distinct users and frames per minute of the data frames. */
  readonly reference: ReadonlyMap<number, Counts>;
}

/** A small realistic stream: late frames, a tail, malformed frames and string timestamps (no bitflips: no counter
 * can tell a low-bit flip from an honest frame). */
export function testStream(options: {
  readonly seed: number;
  readonly frames: number;
  readonly partitions: number;
}): TestStream {
  const lines = linesOf(
    generateChunks({
      seed: options.seed,
      users: 3000,
      rate: 50,
      start: 1_468_244_384,
      frames: options.frames,
      frameBytes: 300,
      lateFraction: 0.05,
      maxDelay: 5,
      tailFraction: 0.002,
      tailDelay: 40,
      malformedFraction: 0.01,
      tsStringFraction: 0.05,
    }),
  );
  const frames = lines.map((value, i) => ({ partition: i % options.partitions, value }));
  const reference = referenceCounts(lines);
  const lastStart = Math.max(...reference.keys());
  const closingTs = lastStart + CLOSING_JUMP_SECONDS;
  const closing: TestRecord[] = [];
  for (let i = 0; i < CLOSING_FRAMES; i++) {
    for (let p = 0; p < options.partitions; p++)
      closing.push({ partition: p, value: Buffer.from(`{"uid":"closing-${p}-${i}","ts":${closingTs}}`) });
  }
  return { frames, closing, reference };
}

/** The latest value of every key, as a compacted topic keeps it (one partition: offset order). */
export function latestByKey(records: readonly ReadRecord[]): Map<string, string> {
  const latest = new Map<string, string>();
  for (const record of records) {
    if (record.key === null) continue;
    if (record.value === null) latest.delete(record.key);
    else latest.set(record.key, record.value.toString());
  }
  return latest;
}

/** Every reference window has a final latest result with exactly its counts, under its key, and there is no other
 * window. */
export function expectMatchesReference(
  latest: ReadonlyMap<string, string>,
  reference: ReadonlyMap<number, Counts>,
): void {
  expect(reference.size).toBeGreaterThanOrEqual(3);
  expect([...latest.keys()].sort()).toEqual([...reference.keys()].map((start) => `minute:${start}`).sort());
  for (const [start, counts] of reference) {
    const result = JSON.parse(latest.get(`minute:${start}`)!) as Record<string, unknown>;
    expect(result).toMatchObject({
      window: 'minute',
      start,
      end: start + MINUTE,
      ...counts,
      final: true,
      method: 'exact',
    });
  }
}

/**
 * The records of a results topic, read_committed, in order: each window
 * final once, no revision of a window twice (what exactly-once promises).
 * Returns the latest result of each window.
 */
export function expectEachOnce(records: readonly ReadRecord[]): Map<string, string> {
  const revisions = new Map<string, number[]>();
  const finals = new Map<string, number>();
  for (const record of records) {
    const result = JSON.parse(String(record.value)) as { revision: number; final: boolean };
    const seen = revisions.get(record.key!) ?? [];
    seen.push(result.revision);
    revisions.set(record.key!, seen);
    if (result.final) finals.set(record.key!, (finals.get(record.key!) ?? 0) + 1);
  }
  for (const [key, seen] of revisions) {
    expect({ key, revisions: seen }).toEqual({ key, revisions: [...new Set(seen)].sort((a, b) => a - b) });
    expect({ key, finals: finals.get(key) }).toEqual({ key, finals: 1 });
  }
  return latestByKey(records);
}
