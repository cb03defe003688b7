import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SourceError } from '../src/errors.js';
import { BatchBuffers, MIN_BUDGET_BYTES, type Reservation } from '../src/kafka-buffers.js';

const KIB = 1024;
const BUDGET = MIN_BUDGET_BYTES;
const LONG_WAIT_MS = 10_000;

/** The two sides of one budget, as the reader thread and the source's thread each hold it. */
function pair(bytes = BUDGET): { producer: BatchBuffers; consumer: BatchBuffers } {
  const consumer = BatchBuffers.create(bytes);
  return { producer: BatchBuffers.attach(consumer.memory), consumer };
}

/** Bytes that say which batch wrote them (batches < 256 here), so that an overwrite shows. */
function pattern(batch: number, size: number): Buffer {
  return Buffer.alloc(size, batch & 0xff);
}

/** Byte equality without a deep-equality walk over every element. */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function settledYet<T>(promise: Promise<T>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  return new Promise((resolve) => setTimeout(() => resolve(settled), 20));
}

describe('BatchBuffers', () => {
  it(
    'never lets more than the budget be in use, never hands out a buffer in use, and gives back ' +
      'every charge (random sizes, random consumer pace)',
    () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              size: fc.integer({ min: 0, max: 2 * BUDGET }),
              releaseFirst: fc.nat({ max: 3 }),
              recycle: fc.boolean(),
            }),
            { minLength: 1, maxLength: 200 },
          ),
          (steps) => {
            const { producer, consumer } = pair(BUDGET);
            /** Reservations written and not released, oldest first, with what was written. */
            const live: { r: Reservation; size: number; batch: number; recycle: boolean }[] = [];
            const release = (): void => {
              const oldest = live.shift()!;
              // Nothing written since has touched it.
              expect(same(oldest.r.bytes, pattern(oldest.batch, oldest.size))).toBe(true);
              consumer.release(oldest.r.charge);
              if (oldest.recycle) producer.recycle(oldest.r.bytes.buffer as ArrayBuffer);
            };
            steps.forEach(({ size, releaseFirst, recycle }, batch) => {
              for (let i = 0; i < releaseFirst && live.length > 0; i++) release();
              let r = producer.tryReserve(size);
              // The consumer catches up until there is room: an empty budget always has room for a batch.
              while (r === undefined) {
                expect(live.length).toBeGreaterThan(0);
                release();
                r = producer.tryReserve(size);
              }
              expect(r.bytes.length).toBe(size);
              expect(r.charge).toBe(Math.min(size, BUDGET));
              for (const other of live)
                expect(other.r.bytes.buffer === r.bytes.buffer && size > 0 && other.size > 0).toBe(false);
              r.bytes.set(pattern(batch, size));
              live.push({ r, size, batch, recycle });
              expect(consumer.inUse).toBeLessThanOrEqual(BUDGET);
            });
            while (live.length > 0) release();
            expect(consumer.inUse).toBe(0);
          },
        ),
        { numRuns: 300 },
      );
    },
  );

  it('makes the producer wait while the budget is used up, and go on once the consumer releases', async () => {
    const { producer, consumer } = pair(BUDGET);
    const first = producer.tryReserve(BUDGET)!;
    const waiting = producer.reserve(KIB, { waitMs: LONG_WAIT_MS });
    expect(await settledYet(waiting)).toBe(false);
    consumer.release(first.charge);
    const second = await waiting;
    expect(second?.charge).toBe(KIB);
    expect(consumer.inUse).toBe(KIB);
  });

  it('calls onWait every waitMs while it waits', async () => {
    const { producer, consumer } = pair(BUDGET);
    const first = producer.tryReserve(BUDGET)!;
    let waits = 0;
    const waiting = producer.reserve(KIB, { waitMs: 30, onWait: () => void waits++ });
    await new Promise((r) => setTimeout(r, 200));
    expect(waits).toBeGreaterThanOrEqual(2);
    consumer.release(first.charge);
    expect((await waiting)?.charge).toBe(KIB);
  });

  it(
    'gives a batch larger than the budget its whole size, once nothing else is in use, charging the ' + 'whole budget',
    async () => {
      const { producer, consumer } = pair(BUDGET);
      const small = producer.tryReserve(KIB)!;
      const size = 3 * BUDGET;
      const big = producer.reserve(size, { waitMs: LONG_WAIT_MS });
      expect(await settledYet(big)).toBe(false);
      consumer.release(small.charge);
      const r = (await big)!;
      expect(r.bytes.length).toBe(size);
      expect(r.charge).toBe(BUDGET);
      // Nothing else fits until it is released.
      expect(producer.tryReserve(1)).toBeUndefined();
      consumer.release(r.charge);
      expect(producer.tryReserve(1)?.charge).toBe(1);
    },
  );

  it('ends a wait for room with undefined when either side closes, and refuses after', async () => {
    const { producer, consumer } = pair(BUDGET);
    producer.tryReserve(BUDGET);
    const waiting = producer.reserve(KIB, { waitMs: LONG_WAIT_MS });
    expect(await settledYet(waiting)).toBe(false);
    consumer.close();
    expect(await waiting).toBeUndefined();
    expect(producer.closed).toBe(true);
    expect(producer.tryReserve(0)).toBeUndefined();
    expect(await producer.reserve(0, { waitMs: LONG_WAIT_MS })).toBeUndefined();
  });

  it('uses a buffer given back again, and a new one when none spare is large enough', () => {
    const { producer, consumer } = pair(BUDGET);
    const a = producer.tryReserve(10 * KIB)!;
    const b = producer.tryReserve(BUDGET - 10 * KIB)!;
    expect(a.bytes.buffer).not.toBe(b.bytes.buffer);
    expect(producer.tryReserve(1)).toBeUndefined();
    const buffer = a.bytes.buffer as ArrayBuffer;
    consumer.release(a.charge);
    producer.recycle(buffer);
    const c = producer.tryReserve(5 * KIB)!;
    expect(c.bytes.buffer).toBe(buffer);
    expect(c.bytes.length).toBe(5 * KIB);
    consumer.release(b.charge);
    const d = producer.tryReserve(20 * KIB)!;
    expect(d.bytes.buffer).not.toBe(buffer);
  });

  it('refuses a size outside the limits with BAD_OPTION', () => {
    for (const bad of [MIN_BUDGET_BYTES - 1, MIN_BUDGET_BYTES + 0.5, Number.NaN, 2 ** 31]) {
      expect(() => BatchBuffers.create(bad)).toThrow(SourceError);
    }
    expect(() => BatchBuffers.create(MIN_BUDGET_BYTES)).not.toThrow();
  });
});
