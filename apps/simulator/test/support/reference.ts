/**
 * Independent references for the simulator's tests, written from docs/frames.md
 * with JSON.parse, TextDecoder and Date (not the generator's own code).
 */

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The root uid and ts of a valid frame, or null for a frame that does not count. */
export function validFrame(bytes: Uint8Array): { uid: string; ts: number } | null {
  let root: unknown;
  try {
    root = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    return null;
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) return null;
  const { uid, ts } = root as { uid?: unknown; ts?: unknown };
  if (typeof uid !== 'string') return null;
  if (typeof ts === 'number' && Number.isInteger(ts) && ts >= 0) return { uid, ts };
  if (typeof ts === 'string' && /^\d+$/.test(ts)) return { uid, ts: Number(ts) };
  return null;
}

export function utcWindowStart(ts: number, window: string): number {
  const d = new Date(ts * 1000);
  const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
  switch (window) {
    case 'minute':
      return Date.UTC(y, m, day, d.getUTCHours(), d.getUTCMinutes()) / 1000;
    case 'hour':
      return Date.UTC(y, m, day, d.getUTCHours()) / 1000;
    case 'day':
      return Date.UTC(y, m, day) / 1000;
    case 'week':
      return Date.UTC(y, m, day - ((d.getUTCDay() + 6) % 7)) / 1000;
    case 'month':
      return Date.UTC(y, m, 1) / 1000;
    case 'year':
      return Date.UTC(y, 0, 1) / 1000;
    default:
      throw new Error(`unknown window ${window}`);
  }
}

export const WINDOWS = ['minute', 'hour', 'day', 'week', 'month', 'year'];

/** Lines of a stream without terminators (a last line without one included). */
export function splitLines(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let lf = bytes.indexOf(0x0a); lf !== -1; lf = bytes.indexOf(0x0a, start)) {
    out.push(bytes.subarray(start, lf));
    start = lf + 1;
  }
  if (start < bytes.length) out.push(bytes.subarray(start));
  return out;
}
