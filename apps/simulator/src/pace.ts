import type { SimIo } from './io.js';

/** Waits shorter than this are not worth a timer: frames go in small bursts instead. */
export const PACE_SLACK_MS = 5;

/**
 * Paces sending by the wall clock: something due `offset` seconds after the
 * first call may go once that much wall time has passed.
 */
export class Pacer {
  private origin: number | null = null;

  constructor(private readonly io: Pick<SimIo, 'monotonic' | 'sleep'>) {}

  /** Milliseconds to wait before sending something due at `offsetSeconds`. */
  waitMs(offsetSeconds: number): number {
    const now = this.io.monotonic();
    if (this.origin === null) this.origin = now;
    return Math.max(0, this.origin + offsetSeconds * 1000 - now);
  }

  sleep(ms: number): Promise<void> {
    return this.io.sleep(ms);
  }
}
