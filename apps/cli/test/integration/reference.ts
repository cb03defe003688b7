import { expect } from 'vitest';
import type { ReadRecord } from '@uniqstream/kafka-local';
import type { Counts } from '@uniqstream/reference';

export { linesOf, referenceCounts } from '@uniqstream/reference';

export interface ResultRecord {
  readonly window: string;
  readonly start: number;
  readonly end: number;
  readonly users: number;
  readonly frames: number;
  readonly revision: number;
  readonly final: boolean;
  readonly method: string;
}

/**
 * The latest result of every window as a compacted topic keeps it: the
 * record with the highest offset per key (one key lives in one partition).
 * Checks on the way that each key is `window:start` of its value and that
 * revisions only go up.
 */
export function latestByKey(records: readonly ReadRecord[]): Map<string, ResultRecord> {
  const latest = new Map<string, ResultRecord>();
  for (const record of records) {
    const value = JSON.parse(record.value!.toString()) as ResultRecord;
    expect(record.key).toBe(`${value.window}:${value.start}`);
    const before = latest.get(record.key!);
    if (before !== undefined) expect(value.revision).toBeGreaterThanOrEqual(before.revision);
    latest.set(record.key!, value);
  }
  return latest;
}

/** Every window of the reference has a final latest result with exactly its counts, and there is no other window. */
export function expectFinalsMatch(
  latest: ReadonlyMap<string, ResultRecord>,
  expected: ReadonlyMap<number, Counts>,
): void {
  // Several windows, so that some are emitted while the run goes on, not all at its end.
  expect(expected.size).toBeGreaterThanOrEqual(3);
  expect([...latest.keys()].sort()).toEqual([...expected.keys()].map((start) => `minute:${start}`).sort());
  for (const [start, counts] of expected) {
    expect(latest.get(`minute:${start}`)).toMatchObject({ ...counts, end: start + 60, final: true, method: 'exact' });
  }
}
