import { describe, expect, it } from 'vitest';
import { BatchQueue } from '../src/kafka-batch-queue.js';

/** Records what happens in which order, as the two sides see it. */
function journal(): { events: string[]; note: (e: string) => void } {
  const events: string[] = [];
  return { events, note: (e) => events.push(e) };
}

describe('BatchQueue', () => {
  it('settles an offer only when the taker comes back for the next item', async () => {
    const queue = new BatchQueue<string>();
    const { events, note } = journal();
    const offered = queue.offer('a').then((taken) => note(`offer a settled ${taken}`));
    const first = await queue.take(1000);
    note(`took ${first}`);
    // The taker is still processing 'a': the producer must not have moved on.
    await new Promise((r) => setTimeout(r, 20));
    note('processed a');
    const second = queue.take(50);
    await offered;
    expect(await second).toBeUndefined();
    expect(events).toEqual(['took a', 'processed a', 'offer a settled true']);
  });

  it('hands items over in order, one at a time, with many producers waiting', async () => {
    const queue = new BatchQueue<number>();
    const settled: number[] = [];
    const offers = [1, 2, 3].map((n) => queue.offer(n).then(() => settled.push(n)));
    expect(queue.waiting).toBe(3);
    const got: number[] = [];
    for (let i = 0; i < 3; i++) {
      got.push((await queue.take(1000))!);
      // Every item before the current one is finished, none after it.
      await Promise.resolve();
      expect(settled).toEqual(got.slice(0, -1));
    }
    await queue.take(1);
    await Promise.all(offers);
    expect(got).toEqual([1, 2, 3]);
    expect(settled).toEqual([1, 2, 3]);
  });

  it('returns undefined after the timeout when nothing is offered', async () => {
    const queue = new BatchQueue<string>();
    const started = performance.now();
    expect(await queue.take(60)).toBeUndefined();
    expect(performance.now() - started).toBeGreaterThanOrEqual(50);
  });

  it('wakes a waiting taker for an offer made while it waits', async () => {
    const queue = new BatchQueue<string>();
    const taking = queue.take(10_000);
    setTimeout(() => void queue.offer('late'), 10);
    expect(await taking).toBe('late');
  });

  it('returns early on wake() and on an aborted signal', async () => {
    const queue = new BatchQueue<string>();
    const woken = queue.take(10_000);
    queue.wake();
    expect(await woken).toBeUndefined();
    const controller = new AbortController();
    const aborted = queue.take(10_000, controller.signal);
    controller.abort();
    expect(await aborted).toBeUndefined();
    expect(await queue.take(10_000, controller.signal)).toBeUndefined();
  });

  it('settles the item in hand and every waiting offer with false on close, and refuses new ones', async () => {
    const queue = new BatchQueue<string>();
    const a = queue.offer('a');
    const b = queue.offer('b');
    expect(await queue.take(1000)).toBe('a');
    queue.close();
    expect(await a).toBe(false);
    expect(await b).toBe(false);
    expect(await queue.offer('c')).toBe(false);
    expect(await queue.take(1000)).toBeUndefined();
  });
  it('finish() settles the item in hand at once; idle() settles it and waits without taking', async () => {
    const queue = new BatchQueue<string>();
    const settled: string[] = [];
    void queue.offer('a').then(() => settled.push('a'));
    void queue.offer('b').then(() => settled.push('b'));
    expect(await queue.take(1000)).toBe('a');
    queue.finish();
    await Promise.resolve();
    expect(settled).toEqual(['a']);
    // 'b' is waiting: idle() leaves it there, and returns after its timeout.
    const started = performance.now();
    await queue.idle(60);
    expect(performance.now() - started).toBeGreaterThanOrEqual(50);
    expect(queue.waiting).toBe(1);
    // An offer or wake() ends the wait early.
    const woken = queue.idle(10_000);
    queue.wake();
    await woken;
    const offered = queue.idle(10_000);
    void queue.offer('c');
    await offered;
    expect(await queue.take(1000)).toBe('b');
  });
});
