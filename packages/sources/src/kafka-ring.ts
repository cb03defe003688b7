import { SourceError } from './errors.js';

/*
 * The memory through which the Kafka reader thread hands record values to
 * the thread that runs the pipeline, and its backpressure. One producer
 * (the reader thread) and one consumer (the pipeline's thread), batches
 * consumed in the order they were written; the only shared state is how
 * many bytes are held (and a closed flag), changed with Atomics on both
 * sides.
 */

const KIB = 1024;
const MIB = 1024 * KIB;

/** How a batch's bytes cross threads. */
export const RING_HANDOFFS = [
  /** Copied into one SharedArrayBuffer that both threads map; frames are views of it. */
  'shared-ring',
  /** Copied into an ArrayBuffer of the batch's own, moved to the consumer's thread and back for reuse. */
  'transfer',
] as const;
export type RingHandoff = (typeof RING_HANDOFFS)[number];

/**
 * Room for about four fetch answers of 4 MiB (the Kafka source's target):
 * the reader can fetch and decode ahead while the pipeline counts.
 */
export const DEFAULT_RING_BYTES = 16 * MIB;
/** Smaller rings would hold less than one typical batch of ~2 KB frames. */
export const MIN_RING_BYTES = 64 * KIB;
/** Int32 positions, and Node's largest ArrayBuffer on 32-bit builds. */
export const MAX_RING_BYTES = 1024 * MIB;

/**
 * Buffers of their own are allocated in steps of this, so that one freed by
 * a batch fits the next batch of about the same size.
 */
const OWN_BUFFER_STEP = 256 * KIB;

/** Int32 slots of the control block. */
const HELD = 0;
const CLOSED = 1;
const CONTROL_SLOTS = 2;
const SHUT = 1;

/** What a ring is made of: posted to the reader thread, which attaches to the same memory. */
export interface RingMemory {
  readonly control: SharedArrayBuffer;
  /** The bytes of the ring; empty for 'transfer'. */
  readonly data: SharedArrayBuffer;
  /** Bytes that may be held at once, in the ring or in buffers of their own. */
  readonly budget: number;
}

/** Space taken for one batch. */
export interface Reservation {
  /** Where the batch's bytes go: a view of the ring, or a buffer of its own. */
  readonly bytes: Uint8Array;
  /** Offset of `bytes` in the ring, or -1 when it is a buffer of its own. */
  readonly at: number;
  /**
   * Bytes of the budget taken until release(): the batch's size, plus the
   * end of the ring skipped to place it at the front in one piece; for a
   * buffer of its own, its size up to the whole budget.
   */
  readonly held: number;
}

export interface ReserveOptions {
  /** Wait this long for room before calling `onWait`, then wait again. */
  readonly waitMs: number;
  /** Called every `waitMs` while waiting (the reader heartbeats its group). */
  readonly onWait?: () => Promise<void> | void;
}

type WaitResult = 'ok' | 'not-equal' | 'timed-out';
type WaitAsync = (array: Int32Array, index: number, value: number, timeoutMs?: number) => { async: false; value: WaitResult } | { async: true; value: Promise<WaitResult> };
/** ES2024, in Node since 16; the ES2023 lib this repository compiles against does not declare it. */
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/**
 * Backpressure between the reader thread and the pipeline: the producer
 * reserves room for a batch (waiting while the budget is used up), writes
 * it, and posts where it is; the consumer releases the batch's room once
 * the pipeline is done with it, in the order batches were written.
 *
 * A batch is placed in one piece so that its frames are plain views: when
 * it does not fit before the end of the ring, it goes to the front and the
 * end is held with it. A batch larger than the whole ring (or every batch,
 * for 'transfer') gets an ArrayBuffer of its own, which still counts
 * against the budget, so memory stays bounded either way.
 */
export class FrameRing {
  /** Int32 view of the control block: bytes held, and the closed flag. */
  private readonly control: Int32Array;
  private readonly data: Uint8Array;
  private readonly budget: number;
  /** Producer only: where the next batch goes. */
  private writeAt = 0;
  /** Producer only: buffers of their own that the consumer gave back, for reuse. */
  private readonly spare: ArrayBuffer[] = [];
  private spareBytes = 0;

  private constructor(readonly memory: RingMemory) {
    this.control = new Int32Array(memory.control);
    this.data = new Uint8Array(memory.data);
    this.budget = memory.budget;
  }

  /** A new ring of `bytes`: in shared memory, or only a budget for batches transferred whole. */
  static create(bytes: number, handoff: RingHandoff): FrameRing {
    if (!Number.isSafeInteger(bytes) || bytes < MIN_RING_BYTES || bytes > MAX_RING_BYTES) {
      throw new SourceError('BAD_OPTION', `the ring must hold ${MIN_RING_BYTES} to ${MAX_RING_BYTES} bytes, got ${bytes}`);
    }
    const control = new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT);
    const data = new SharedArrayBuffer(handoff === 'shared-ring' ? bytes : 0);
    return new FrameRing({ control, data, budget: bytes });
  }

  /** The other thread's side of a ring made by create(). */
  static attach(memory: RingMemory): FrameRing {
    return new FrameRing(memory);
  }

  /** Bytes reserved and not yet released. */
  get held(): number {
    return Atomics.load(this.control, HELD);
  }

  get closed(): boolean {
    return Atomics.load(this.control, CLOSED) === SHUT;
  }

  /**
   * Producer: room for a batch of `size` bytes now, or undefined when the
   * budget does not allow it yet (or the ring is closed).
   */
  tryReserve(size: number): Reservation | undefined {
    if (this.closed) return undefined;
    return this.place(size, Atomics.load(this.control, HELD));
  }

  /**
   * Producer: room for a batch of `size` bytes, waiting for the consumer to
   * release some when needed. Undefined when the ring is closed (before or
   * while waiting).
   */
  async reserve(size: number, options: ReserveOptions): Promise<Reservation | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const held = Atomics.load(this.control, HELD);
      const placed = this.place(size, held);
      if (placed !== undefined) return placed;
      if ((await this.waitForChange(held, options.waitMs)) === 'timed-out') await options.onWait?.();
    }
  }

  /** Consumer: the bytes of a batch placed in the ring at `at`. */
  view(at: number, size: number): Uint8Array {
    if (at < 0 || size < 0 || at + size > this.data.length) throw new SourceError('BAD_STATE', `no ring bytes at ${at} (+${size}) in a ring of ${this.data.length}`);
    return this.data.subarray(at, at + size);
  }

  /** Consumer: gives back a batch's room (its Reservation's `held`), in the order batches were written. */
  release(held: number): void {
    if (held <= 0) return;
    Atomics.sub(this.control, HELD, held);
    Atomics.notify(this.control, HELD);
  }

  /**
   * Producer: a buffer of its own that the consumer is done with (it
   * transferred it back), reused rather than allocating and zeroing a new
   * one. Keeps at most a budget's worth.
   */
  recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0 || this.spareBytes + buffer.byteLength > this.budget) return;
    this.spare.push(buffer);
    this.spareBytes += buffer.byteLength;
  }

  /** Either side: no more batches; a producer waiting for room gets undefined. */
  close(): void {
    Atomics.store(this.control, CLOSED, SHUT);
    Atomics.notify(this.control, HELD);
  }

  private place(size: number, held: number): Reservation | undefined {
    if (this.data.length === 0 || size > this.data.length) {
      // Held at most the whole budget, so that it waits for an empty ring but never forever.
      const charge = Math.min(size, this.budget);
      if (held + charge > this.budget) return undefined;
      Atomics.add(this.control, HELD, charge);
      return { bytes: this.ownBuffer(size), at: -1, held: charge };
    }
    // Nothing is held, so no view of the ring is in use: start again at the front.
    if (held === 0) this.writeAt = 0;
    const fitsAtEnd = this.writeAt + size <= this.data.length;
    const at = fitsAtEnd ? this.writeAt : 0;
    const charge = fitsAtEnd ? size : this.data.length - this.writeAt + size;
    // The room before the oldest held batch is budget - held. The skipped end counts as held until
    // the batch placed at the front is released: a little longer than needed, never too short.
    if (held + charge > this.budget) return undefined;
    Atomics.add(this.control, HELD, charge);
    this.writeAt = at + size;
    return { bytes: this.data.subarray(at, at + size), at, held: charge };
  }

  private ownBuffer(size: number): Uint8Array {
    const i = this.spare.findIndex((buffer) => buffer.byteLength >= size);
    if (i >= 0) {
      const buffer = this.spare.splice(i, 1)[0]!;
      this.spareBytes -= buffer.byteLength;
      return new Uint8Array(buffer, 0, size);
    }
    const rounded = Math.max(size, Math.min(Math.ceil(size / OWN_BUFFER_STEP) * OWN_BUFFER_STEP, this.budget));
    return new Uint8Array(new ArrayBuffer(rounded), 0, size);
  }

  /**
   * Waits until HELD changes from `held`, the ring closes, or `timeoutMs`
   * passes. Atomics.waitAsync does not keep the event loop alive on its
   * own, so a timer of the same length does.
   */
  private async waitForChange(held: number, timeoutMs: number): Promise<WaitResult> {
    const waiting = waitAsync(this.control, HELD, held, timeoutMs);
    if (!waiting.async) return waiting.value;
    let timer: NodeJS.Timeout | undefined;
    const keepAlive = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs + 1)));
    try {
      return await Promise.race([waiting.value, keepAlive.then(() => 'timed-out' as const)]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** True when `value` names a handoff. */
export function isRingHandoff(value: unknown): value is RingHandoff {
  return typeof value === 'string' && (RING_HANDOFFS as readonly string[]).includes(value);
}
