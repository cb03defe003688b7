import { isUtf8 } from 'node:buffer';
import { expect } from 'vitest';
import type { ReadRecord } from './kafka.js';

export interface Counts {
  readonly users: number;
  readonly frames: number;
}

/**
 * The FRAMES.md definition with JSON.parse and a Set per window: distinct
 * root uids of the valid frames whose ts falls in each minute.
 */
export function referenceCounts(frames: Iterable<Uint8Array>, windowSeconds = 60): Map<number, Counts> {
  const sets = new Map<number, Set<string>>();
  const counts = new Map<number, number>();
  for (const bytes of frames) {
    const line = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Invalid UTF-8 is malformed; toString() would quietly repair it.
    if (!isUtf8(line)) continue;
    let value: unknown;
    try {
      value = JSON.parse(line.toString());
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    const { uid, ts } = value as { uid?: unknown; ts?: unknown };
    if (typeof uid !== 'string' || uid === '') continue;
    const t = typeof ts === 'number' ? ts : typeof ts === 'string' && /^\d+$/.test(ts) ? Number(ts) : Number.NaN;
    if (!Number.isInteger(t) || t < 0 || t >= 2 ** 32) continue;
    const start = t - (t % windowSeconds);
    let set = sets.get(start);
    if (set === undefined) sets.set(start, (set = new Set()));
    set.add(uid);
    counts.set(start, (counts.get(start) ?? 0) + 1);
  }
  return new Map([...sets].map(([start, set]) => [start, { users: set.size, frames: counts.get(start)! }]));
}

/** Splits generated chunks (whole `\n`-terminated lines) into frames. */
export function linesOf(chunks: Iterable<Uint8Array>): Buffer[] {
  const frames: Buffer[] = [];
  for (const chunk of chunks) {
    const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let at = 0; at < view.length; ) {
      const end = view.indexOf(0x0a, at);
      frames.push(view.subarray(at, end === -1 ? view.length : end));
      at = end === -1 ? view.length : end + 1;
    }
  }
  return frames;
}

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
export function expectFinalsMatch(latest: ReadonlyMap<string, ResultRecord>, expected: ReadonlyMap<number, Counts>): void {
  // Several windows, so that some are emitted while the run goes on, not all at its end.
  expect(expected.size).toBeGreaterThanOrEqual(3);
  expect([...latest.keys()].sort()).toEqual([...expected.keys()].map((start) => `minute:${start}`).sort());
  for (const [start, counts] of expected) {
    expect(latest.get(`minute:${start}`)).toMatchObject({ ...counts, end: start + 60, final: true, method: 'exact' });
  }
}
