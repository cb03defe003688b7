import type { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';

/** Everything the simulator takes from its surroundings, so tests can supply their own. */
export interface SimIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stderrIsTTY: boolean;
  /** Wall clock, ms since the epoch: only for `--start now-2y`. */
  readonly now: () => number;
  /** Monotonic ms, for pacing, rates and progress. */
  readonly monotonic: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Aborted on Ctrl-C: the run stops, flushes what it has and exits. */
  readonly signal?: AbortSignal;
  /** Environment variables (the UNIQSTREAM_KAFKA_* connection settings); default none. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const NS_PER_MS = 1e6;

export function processIo(signal?: AbortSignal): SimIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stderrIsTTY: process.stderr.isTTY === true,
    now: () => Date.now(),
    monotonic: () => Number(process.hrtime.bigint()) / NS_PER_MS,
    sleep: (ms) => delay(ms),
    env: process.env,
    ...(signal === undefined ? {} : { signal }),
  };
}
