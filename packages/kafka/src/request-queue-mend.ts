import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4 (its last release) re-arms a timer every millisecond on every
 * connection once a request has completed, even with nothing queued: its
 * RequestQueue schedules the next check at `throttledUntil - Date.now()`,
 * which is about -1.8e12 when it was never throttled, and Node runs a
 * negative delay after 1 ms. Node 24 also prints a TimeoutNegativeWarning on
 * stderr for it (kafkajs issues #1704 and #1751, fixes not merged).
 *
 * This replaces that one method on kafkajs's class with the fix proposed
 * upstream: with nothing queued and no throttle to wait out, nothing is
 * scheduled (a request pushed or completed checks the queue itself). Applied
 * once, by createKafka, so every client uniqstream makes has it.
 */

/** kafkajs's own interval while requests wait (src/network/requestQueue). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** The fields of kafkajs's RequestQueue the method reads and writes. */
export interface RequestQueueState {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  readonly pending: readonly unknown[];
  checkPendingRequests(): void;
}

/** The mended method. */
function scheduleCheckPendingRequests(this: RequestQueueState): void {
  if (this.throttleCheckTimeoutId) return;
  let delayMs = this.throttledUntil - Date.now();
  if (this.pending.length > 0) delayMs = delayMs > 0 ? delayMs : CHECK_PENDING_REQUESTS_INTERVAL_MS;
  else if (delayMs <= 0) return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delayMs);
}

let mended = false;

/**
 * Puts the mended method on kafkajs's RequestQueue. Does nothing when that
 * module is not where 2.2.4 has it, or has no such method: a kafkajs that
 * changed there needs looking at, not patching blind. True when mended.
 */
export function mendKafkajsRequestQueue(): boolean {
  if (mended) return true;
  let queueClass: unknown;
  try {
    queueClass = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js');
  } catch {
    return false;
  }
  const prototype = (queueClass as { prototype?: Record<string, unknown> } | undefined)?.prototype;
  if (typeof prototype?.scheduleCheckPendingRequests !== 'function') return false;
  prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  mended = true;
  return true;
}
