/** The environment variable that replays a test's random moments. */
export const TEST_SEED_ENV = 'UNIQSTREAM_TEST_SEED';

export interface SeededRandom {
  readonly seed: number;
  /** Uniform in [0, 1), the same sequence for the same seed (mulberry32). */
  readonly next: () => number;
}

/**
 * Random moments for a test that cannot be exhaustive (when to kill a
 * process, where to pause its input): drawn from a seed that is printed, so
 * that a failure can be replayed with `UNIQSTREAM_TEST_SEED=<seed>`.
 */
export function testRandom(
  label: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  print: (line: string) => void = console.log,
): SeededRandom {
  const given = env[TEST_SEED_ENV];
  const seed =
    given !== undefined && /^\d+$/.test(given) ? Number(given) >>> 0 : Math.floor(Math.random() * 2 ** 32) >>> 0;
  print(`${label}: random moments from seed ${seed} (replay with ${TEST_SEED_ENV}=${seed})`);
  return { seed, next: seededRandom(seed) };
}

/** Uniform in [0, 1), the same sequence for the same seed (mulberry32): for a second stream from a test's seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
