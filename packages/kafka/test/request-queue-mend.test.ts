import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mendKafkajsRequestQueue, type RequestQueueState } from '../src/request-queue-mend.js';

type Queue = RequestQueueState & { destroy(): void; scheduleCheckPendingRequests(): void };

interface QueueClass {
  new (options: Record<string, unknown>): Queue;
  prototype: { scheduleCheckPendingRequests: () => void };
}

const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as QueueClass;
// Taken before anything in this file mends it (vitest loads each test file's modules afresh).
const original = RequestQueue.prototype.scheduleCheckPendingRequests;

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function queue(): Queue {
  return new RequestQueue({
    instrumentationEmitter: null,
    maxInFlightRequests: null,
    requestTimeout: 30_000,
    enforceRequestTimeout: true,
    clientId: 'test',
    broker: 'k1:9092',
    logger: silent,
  });
}

/** The delays of the timers `run` sets. */
function delaysOf(run: () => void): number[] {
  const spy = vi.spyOn(globalThis, 'setTimeout');
  try {
    run();
    return spy.mock.calls.map((call) => Number(call[1]));
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe("kafkajs's request queue", () => {
  it('as released, arms a timer of about -Date.now() ms with nothing queued (a 1 ms loop; warns on Node 24)', () => {
    const q = queue();
    const delays = delaysOf(() => original.call(q));
    q.destroy();
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeLessThan(-1e12);
  });

  it('mended, arms nothing with nothing queued and no throttle, so checking the queue ends', () => {
    expect(mendKafkajsRequestQueue()).toBe(true);
    expect(RequestQueue.prototype.scheduleCheckPendingRequests).not.toBe(original);
    const q = queue();
    expect(delaysOf(() => q.checkPendingRequests())).toEqual([]);
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('mended, still checks again in 10 ms while requests wait, and at the end of a throttle', () => {
    mendKafkajsRequestQueue();
    vi.useFakeTimers({ now: 1_000_000 });
    const waiting = queue();
    // A request that cannot go yet (too many in flight): only the schedule is under test here.
    (waiting.pending as unknown[]).push({});
    expect(delaysOf(() => waiting.scheduleCheckPendingRequests())).toEqual([10]);

    const throttled = queue();
    throttled.throttledUntil = Date.now() + 250;
    expect(delaysOf(() => throttled.checkPendingRequests())).toEqual([250]);
    // Armed once: a second check while the timer runs adds none.
    expect(delaysOf(() => throttled.checkPendingRequests())).toEqual([]);
    waiting.destroy();
    throttled.destroy();
  });
});
