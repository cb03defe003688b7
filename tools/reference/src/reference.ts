import { isUtf8 } from 'node:buffer';

/** The root uid and whole-second ts of a frame that counts. */
export interface ReferenceFrame {
  readonly uid: string;
  readonly ts: number;
}

export interface Counts {
  /** Distinct uids. */
  readonly users: number;
  /** Frames counted. */
  readonly frames: number;
}

/** docs/frames.md: ts is a 32-bit unsigned count of seconds. */
const TS_LIMIT = 2 ** 32;
const NEWLINE = 0x0a;

/**
 * docs/frames.md's definition with JSON.parse: a frame counts when it is valid
 * UTF-8 holding a JSON object whose root `uid` is a non-empty string and
 * whose root `ts` is a whole number of seconds below 2^32, given as a
 * number or as a string of digits. Anything else is null.
 */
export function referenceFrame(bytes: Uint8Array): ReferenceFrame | null {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // toString() would quietly repair invalid UTF-8, which docs/frames.md calls malformed.
  if (!isUtf8(view)) return null;
  let value: unknown;
  try {
    value = JSON.parse(view.toString());
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { uid, ts } = value as { uid?: unknown; ts?: unknown };
  if (typeof uid !== 'string' || uid === '') return null;
  const t = typeof ts === 'number' ? ts : typeof ts === 'string' && /^\d+$/.test(ts) ? Number(ts) : Number.NaN;
  if (!Number.isInteger(t) || t < 0 || t >= TS_LIMIT) return null;
  return { uid, ts: t };
}

/**
 * Exact counts per fixed-length window (UTC-aligned, keyed by start):
 * distinct uids with a Set of strings, and frames, over the frames that
 * count.
 */
export function referenceCounts(frames: Iterable<Uint8Array>, windowSeconds = 60): Map<number, Counts> {
  const sets = new Map<number, Set<string>>();
  const counted = new Map<number, number>();
  for (const bytes of frames) {
    const frame = referenceFrame(bytes);
    if (frame === null) continue;
    const start = frame.ts - (frame.ts % windowSeconds);
    let set = sets.get(start);
    if (set === undefined) sets.set(start, (set = new Set()));
    set.add(frame.uid);
    counted.set(start, (counted.get(start) ?? 0) + 1);
  }
  return new Map([...sets].map(([start, set]) => [start, { users: set.size, frames: counted.get(start) ?? 0 }]));
}

/** Splits bytes (or chunks of whole `\n`-terminated lines) into lines, without their `\n`. */
export function linesOf(chunks: Uint8Array | Iterable<Uint8Array>): Buffer[] {
  const lines: Buffer[] = [];
  for (const chunk of chunks instanceof Uint8Array ? [chunks] : chunks) {
    const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let at = 0; at < view.length; ) {
      const end = view.indexOf(NEWLINE, at);
      lines.push(view.subarray(at, end === -1 ? view.length : end));
      at = end === -1 ? view.length : end + 1;
    }
  }
  return lines;
}
