import { classify } from './reference.js';

/** A produced frame kept for a recount: its bytes (copied) and what the generator says it made. */
export interface Kept {
  readonly bytes: Uint8Array;
  readonly damage: string | null;
}

export interface Recounted {
  readonly window: string;
  readonly start: number;
  readonly users: number;
  readonly frames: number;
}

const WINDOWS = ['minute', 'hour', 'day', 'week', 'month', 'year'];

/**
 * The docs/frames.md definition applied to produced lines: parse each one, keep the
 * valid ones (a bitflip cannot be seen in the bytes, so the generator's label
 * excludes those), and count distinct root uids per window with Sets.
 */
export function recount(frames: Iterable<Kept>, windowStart: (ts: number, window: string) => number): Recounted[] {
  const sets = new Map<string, { window: string; start: number; uids: Set<string>; frames: number }>();
  for (const f of frames) {
    const c = classify(f.bytes);
    if (c.kind !== 'valid' || f.damage === 'bitflip') continue;
    for (const window of WINDOWS) {
      const start = windowStart(c.ts, window);
      const key = `${window}@${start}`;
      let entry = sets.get(key);
      if (entry === undefined) {
        entry = { window, start, uids: new Set(), frames: 0 };
        sets.set(key, entry);
      }
      entry.uids.add(c.uid);
      entry.frames++;
    }
  }
  return [...sets.values()]
    .map((e) => ({ window: e.window, start: e.start, users: e.uids.size, frames: e.frames }))
    .sort(byWindow);
}

export function byWindow(a: { window: string; start: number }, b: { window: string; start: number }): number {
  return WINDOWS.indexOf(a.window) - WINDOWS.indexOf(b.window) || a.start - b.start;
}
