import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SourceError } from '../src/errors.js';
import { FrameRing, MIN_RING_BYTES, type Reservation } from '../src/kafka-ring.js';

const KIB = 1024;
const RING = MIN_RING_BYTES;
const LONG_WAIT_MS = 10_000;

/** The two sides of one ring, as the reader thread and the source's thread each hold it. */
function pair(bytes = RING, handoff: 'shared-ring' | 'transfer' = 'shared-ring'): { producer: FrameRing; consumer: FrameRing } {
  const consumer = FrameRing.create(bytes, handoff);
  return { producer: FrameRing.attach(consumer.memory), consumer };
}

/** Bytes that say which batch wrote them (batches < 256 here), so that an overwrite shows. */
function pattern(batch: number, size: number): Buffer {
  return Buffer.alloc(size, batch & 0xff);
}

/** Byte equality without a deep-equality walk over every element. */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** What the consumer reads back for a reservation, as the source builds it from the descriptor. */
function readBack(consumer: FrameRing, r: Reservation, size: number): Uint8Array {
  return r.at < 0 ? new Uint8Array(r.bytes.buffer, 0, size) : consumer.view(r.at, size);
}

function settledYet<T>(promise: Promise<T>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  return new Promise((resolve) => setTimeout(() => resolve(settled), 20));
}

describe('FrameRing', () => {
  it('places batches one after another, and at the front when the end is too short, holding the skipped end', () => {
    const { producer, consumer } = pair(RING);
    const a = producer.tryReserve(40 * KIB)!;
    const b = producer.tryReserve(20 * KIB)!;
    expect([a.at, a.held, b.at, b.held]).toEqual([0, 40 * KIB, 40 * KIB, 20 * KIB]);
    // 4 KiB left at the end: not enough for 8 KiB, and the front is still held by a.
    expect(producer.tryReserve(8 * KIB)).toBeUndefined();
    consumer.release(a.held);
    const c = producer.tryReserve(8 * KIB)!;
    expect(c.at).toBe(0);
    expect(c.held).toBe(4 * KIB + 8 * KIB);
    expect(consumer.held).toBe(b.held + c.held);
    consumer.release(b.held);
    consumer.release(c.held);
    expect(consumer.held).toBe(0);
  });

  it('never hands out room still held, and gives back every batch as written (random sizes, random consumer pace)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ size: fc.integer({ min: 0, max: RING }), releaseFirst: fc.nat({ max: 3 }) }), { minLength: 1, maxLength: 200 }),
        (steps) => {
          const { producer, consumer } = pair(RING);
          /** Reservations written and not released, oldest first, with what was written. */
          const live: { r: Reservation; size: number; batch: number }[] = [];
          const release = (): void => {
            const oldest = live.shift()!;
            // Nothing written since has touched it.
            expect(same(readBack(consumer, oldest.r, oldest.size), pattern(oldest.batch, oldest.size))).toBe(true);
            consumer.release(oldest.r.held);
          };
          steps.forEach(({ size, releaseFirst }, batch) => {
            for (let i = 0; i < releaseFirst && live.length > 0; i++) release();
            let r = producer.tryReserve(size);
            // The consumer catches up until there is room: an empty ring always has room for a batch.
            while (r === undefined) {
              expect(live.length).toBeGreaterThan(0);
              release();
              r = producer.tryReserve(size);
            }
            expect(r.bytes.length).toBe(size);
            if (r.at >= 0) {
              for (const other of live) {
                if (other.r.at < 0) continue;
                const overlaps = r.at < other.r.at + other.size && other.r.at < r.at + size;
                expect(overlaps && size > 0 && other.size > 0).toBe(false);
              }
            }
            r.bytes.set(pattern(batch, size));
            live.push({ r, size, batch });
            expect(consumer.held).toBeLessThanOrEqual(RING);
          });
          while (live.length > 0) release();
          expect(consumer.held).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('makes the producer wait while the ring is full, and go on once the consumer releases', async () => {
    const { producer, consumer } = pair(RING);
    const first = producer.tryReserve(RING)!;
    const waiting = producer.reserve(KIB, { waitMs: LONG_WAIT_MS });
    expect(await settledYet(waiting)).toBe(false);
    consumer.release(first.held);
    const second = await waiting;
    expect(second?.at).toBe(0);
    expect(consumer.held).toBe(KIB);
  });

  it('calls onWait every waitMs while it waits (the reader heartbeats its group meanwhile)', async () => {
    const { producer, consumer } = pair(RING);
    const first = producer.tryReserve(RING)!;
    let waits = 0;
    const waiting = producer.reserve(KIB, { waitMs: 30, onWait: () => void waits++ });
    await new Promise((r) => setTimeout(r, 200));
    expect(waits).toBeGreaterThanOrEqual(2);
    consumer.release(first.held);
    expect((await waiting)?.held).toBe(KIB);
  });

  it('gives a batch larger than the ring a buffer of its own, once the ring is empty, holding the whole budget', async () => {
    const { producer, consumer } = pair(RING);
    const small = producer.tryReserve(KIB)!;
    const size = 3 * RING;
    const big = producer.reserve(size, { waitMs: LONG_WAIT_MS });
    expect(await settledYet(big)).toBe(false);
    consumer.release(small.held);
    const r = (await big)!;
    expect(r.at).toBe(-1);
    expect(r.bytes.length).toBe(size);
    expect(r.held).toBe(RING);
    r.bytes.set(pattern(1, size));
    expect(same(readBack(consumer, r, size), pattern(1, size))).toBe(true);
    // Nothing else fits until it is released.
    expect(producer.tryReserve(1)).toBeUndefined();
    consumer.release(r.held);
    expect(producer.tryReserve(1)?.at).toBe(0);
  });

  it('ends a wait for room with undefined when either side closes, and refuses after', async () => {
    const { producer, consumer } = pair(RING);
    producer.tryReserve(RING);
    const waiting = producer.reserve(KIB, { waitMs: LONG_WAIT_MS });
    expect(await settledYet(waiting)).toBe(false);
    consumer.close();
    expect(await waiting).toBeUndefined();
    expect(producer.closed).toBe(true);
    expect(producer.tryReserve(0)).toBeUndefined();
    expect(await producer.reserve(0, { waitMs: LONG_WAIT_MS })).toBeUndefined();
  });

  it("'transfer': every batch in a buffer of its own within the budget, and a recycled buffer is used again", () => {
    const { producer, consumer } = pair(RING, 'transfer');
    const a = producer.tryReserve(10 * KIB)!;
    const b = producer.tryReserve(RING - 10 * KIB)!;
    expect([a.at, b.at]).toEqual([-1, -1]);
    expect(a.bytes.buffer).not.toBe(b.bytes.buffer);
    expect(producer.tryReserve(1)).toBeUndefined();
    a.bytes.set(pattern(7, 10 * KIB));
    expect(same(readBack(consumer, a, 10 * KIB), pattern(7, 10 * KIB))).toBe(true);
    const buffer = a.bytes.buffer as ArrayBuffer;
    consumer.release(a.held);
    producer.recycle(buffer);
    const c = producer.tryReserve(5 * KIB)!;
    expect(c.bytes.buffer).toBe(buffer);
    expect(c.bytes.length).toBe(5 * KIB);
    // The next one does not fit in what is spare: a new buffer.
    consumer.release(b.held);
    const d = producer.tryReserve(20 * KIB)!;
    expect(d.bytes.buffer).not.toBe(buffer);
  });

  it('refuses a size outside the limits with BAD_OPTION', () => {
    for (const bad of [MIN_RING_BYTES - 1, MIN_RING_BYTES + 0.5, Number.NaN, 2 ** 31]) {
      expect(() => FrameRing.create(bad, 'shared-ring')).toThrow(SourceError);
    }
    expect(() => FrameRing.create(MIN_RING_BYTES, 'transfer')).not.toThrow();
  });
});
