import type { WindowResult } from '../src/index.js';

/** FNV-1a 64 through BigInt: slow, simple, and independent of the decoder's hash. */
const hashes = new Map<string, [number, number]>();

export function testHash(uid: string): [number, number] {
  const cached = hashes.get(uid);
  if (cached !== undefined) return cached;
  const hash = fnv64(uid);
  if (hashes.size > 1_000_000) hashes.clear();
  hashes.set(uid, hash);
  return hash;
}

function fnv64(uid: string): [number, number] {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(uid, 'utf8')) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  // A final mix so that short, similar ids spread over the top bits too.
  h ^= h >> 33n;
  h = (h * 0xff51afd7ed558ccdn) & 0xffffffffffffffffn;
  h ^= h >> 33n;
  return [Number(h >> 32n), Number(h & 0xffffffffn)];
}

export interface TestFrame {
  readonly uid: string;
  readonly ts: number;
}

/** Deterministic small PRNG for tests (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Frames at `rate` per second from `start`, users drawn from `users`, each
 * delayed by up to `maxDelay` seconds: arrival order is ts + delay.
 */
export function disorderedStream(opts: {
  seed: number;
  start: number;
  seconds: number;
  rate: number;
  users: number;
  maxDelay: number;
  lateFraction?: number;
}): TestFrame[] {
  const random = rng(opts.seed);
  const items: { uid: string; ts: number; arrival: number; i: number }[] = [];
  let i = 0;
  for (let s = 0; s < opts.seconds; s++) {
    for (let k = 0; k < opts.rate; k++) {
      const ts = opts.start + s;
      const late = random() < (opts.lateFraction ?? 1);
      const delay = late ? Math.floor(random() * (opts.maxDelay + 1)) : 0;
      items.push({
        uid: `u${Math.floor(random() * opts.users)
          .toString(16)
          .padStart(6, '0')}`,
        ts,
        arrival: ts + delay + k / opts.rate / 2,
        i: i++,
      });
    }
  }
  items.sort((a, b) => a.arrival - b.arrival || a.i - b.i);
  return items.map(({ uid, ts }) => ({ uid, ts }));
}

/** Reference: distinct uids and frame counts per window start, with a plain Set. */
export function referenceCounts(
  frames: readonly TestFrame[],
  windowStart: (ts: number) => number,
): Map<number, { users: number; frames: number }> {
  const sets = new Map<number, Set<string>>();
  const counts = new Map<number, number>();
  for (const f of frames) {
    const start = windowStart(f.ts);
    let set = sets.get(start);
    if (!set) sets.set(start, (set = new Set()));
    set.add(f.uid);
    counts.set(start, (counts.get(start) ?? 0) + 1);
  }
  const out = new Map<number, { users: number; frames: number }>();
  for (const [start, set] of sets) out.set(start, { users: set.size, frames: counts.get(start)! });
  return out;
}

/** The last result per (window, start). */
export function lastResults(results: readonly WindowResult[]): Map<string, WindowResult> {
  const out = new Map<string, WindowResult>();
  for (const r of results) out.set(`${r.window}:${r.start}`, r);
  return out;
}
