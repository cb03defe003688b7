import { SourceError } from './errors.js';

/*
 * The buffers in which the Kafka reader thread hands record values to the
 * thread that runs the pipeline, and its backpressure. Each batch is copied
 * into an ArrayBuffer of its own, which moves (postMessage transfer) to the
 * pipeline's thread and back for reuse. One producer (the reader thread)
 * and one consumer (the pipeline's thread); the only shared state is how
 * many bytes are in use (and a closed flag), changed with Atomics on both
 * sides.
 */

const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * Room for about four fetch answers of 4 MiB (the Kafka source's target):
 * the reader can fetch and decode ahead while the pipeline counts.
 */
export const DEFAULT_BUDGET_BYTES = 16 * MIB;
/** Smaller budgets would hold less than one typical batch of ~2 KB frames. */
export const MIN_BUDGET_BYTES = 64 * KIB;
/** Int32 counts, and Node's largest ArrayBuffer on 32-bit builds. */
const MAX_BUDGET_BYTES = 1024 * MIB;

/**
 * Buffers are allocated in steps of this, so that one freed by a batch
 * fits the next batch of about the same size.
 */
const BUFFER_STEP = 256 * KIB;

/** Int32 slots of the control block. */
const IN_USE = 0;
const CLOSED = 1;
const CONTROL_SLOTS = 2;
const SHUT = 1;

/** What the budget is made of: posted to the reader thread, which attaches to the same memory. */
export interface BudgetMemory {
  readonly control: SharedArrayBuffer;
  /** Bytes that may be in use at once. */
  readonly budget: number;
}

/** Room taken for one batch. */
export interface Reservation {
  /** Where the batch's bytes go: the start of a buffer of its own. */
  readonly bytes: Uint8Array;
  /** Bytes of the budget taken until release(): the batch's size, at most the whole budget. */
  readonly charge: number;
}

export interface ReserveOptions {
  /** Wait this long for room before calling `onWait`, then wait again. */
  readonly waitMs: number;
  /** Called every `waitMs` while waiting. */
  readonly onWait?: () => Promise<void> | void;
}

type WaitResult = 'ok' | 'not-equal' | 'timed-out';
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeoutMs?: number,
) => { async: false; value: WaitResult } | { async: true; value: Promise<WaitResult> };
/** ES2024, in Node since 16; the ES2023 lib this repository compiles against does not declare it. */
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/**
 * Backpressure between the reader thread and the pipeline: the producer
 * reserves room for a batch (waiting while the budget is used up), writes
 * it into the batch's buffer, and posts it; the consumer releases the
 * batch's charge once the pipeline is done with it.
 *
 * A buffer per batch, rather than one ring of shared memory both threads
 * map, because V8 copies into and out of a SharedArrayBuffer with relaxed
 * atomic copies instead of memcpy: slower on both threads (the reader's
 * copy and the decoder's copy into its WebAssembly memory). Buffers given
 * back are reused, so nothing is allocated per batch once running. A batch
 * larger than the whole budget is charged the whole budget: it waits for
 * an empty budget and then goes alone, so memory stays bounded.
 */
export class BatchBuffers {
  /** Int32 view of the control block: bytes in use, and the closed flag. */
  private readonly control: Int32Array;
  private readonly budget: number;
  /** Producer only: buffers the consumer gave back, for reuse. */
  private readonly spare: ArrayBuffer[] = [];
  private spareBytes = 0;

  private constructor(readonly memory: BudgetMemory) {
    this.control = new Int32Array(memory.control);
    this.budget = memory.budget;
  }

  /** A new budget of `bytes`. */
  static create(bytes: number): BatchBuffers {
    if (!Number.isSafeInteger(bytes) || bytes < MIN_BUDGET_BYTES || bytes > MAX_BUDGET_BYTES) {
      throw new SourceError(
        'BAD_OPTION',
        `the buffer between the threads must hold ${MIN_BUDGET_BYTES} to ${MAX_BUDGET_BYTES} bytes, got ${bytes}`,
      );
    }
    return new BatchBuffers({
      control: new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT),
      budget: bytes,
    });
  }

  /** The other thread's side of a budget made by create(). */
  static attach(memory: BudgetMemory): BatchBuffers {
    return new BatchBuffers(memory);
  }

  /** Bytes reserved and not yet released. */
  get inUse(): number {
    return Atomics.load(this.control, IN_USE);
  }

  get closed(): boolean {
    return Atomics.load(this.control, CLOSED) === SHUT;
  }

  /**
   * Producer: room for a batch of `size` bytes now, or undefined when the
   * budget does not allow it yet (or it is closed).
   */
  tryReserve(size: number): Reservation | undefined {
    if (this.closed) return undefined;
    return this.place(size, Atomics.load(this.control, IN_USE));
  }

  /**
   * Producer: room for a batch of `size` bytes, waiting for the consumer to
   * release some when needed. Undefined when closed (before or while
   * waiting).
   */
  async reserve(size: number, options: ReserveOptions): Promise<Reservation | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const inUse = Atomics.load(this.control, IN_USE);
      const placed = this.place(size, inUse);
      if (placed !== undefined) return placed;
      if ((await this.waitForChange(inUse, options.waitMs)) === 'timed-out') await options.onWait?.();
    }
  }

  /** Consumer: gives back a batch's room (its Reservation's `charge`). */
  release(charge: number): void {
    if (charge <= 0) return;
    Atomics.sub(this.control, IN_USE, charge);
    Atomics.notify(this.control, IN_USE);
  }

  /**
   * Producer: a buffer the consumer is done with (it transferred it back),
   * reused rather than allocating and zeroing a new one. Keeps at most a
   * budget's worth.
   */
  recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0 || this.spareBytes + buffer.byteLength > this.budget) return;
    this.spare.push(buffer);
    this.spareBytes += buffer.byteLength;
  }

  /** Either side: no more batches; a producer waiting for room gets undefined. */
  close(): void {
    Atomics.store(this.control, CLOSED, SHUT);
    Atomics.notify(this.control, IN_USE);
  }

  private place(size: number, inUse: number): Reservation | undefined {
    // At most the whole budget, so that it waits for an empty budget but never forever.
    const charge = Math.min(size, this.budget);
    if (inUse + charge > this.budget) return undefined;
    Atomics.add(this.control, IN_USE, charge);
    return { bytes: this.buffer(size), charge };
  }

  private buffer(size: number): Uint8Array {
    const i = this.spare.findIndex((buffer) => buffer.byteLength >= size);
    if (i >= 0) {
      const buffer = this.spare.splice(i, 1)[0]!;
      this.spareBytes -= buffer.byteLength;
      return new Uint8Array(buffer, 0, size);
    }
    const rounded = Math.max(size, Math.min(Math.ceil(size / BUFFER_STEP) * BUFFER_STEP, this.budget));
    return new Uint8Array(new ArrayBuffer(rounded), 0, size);
  }

  /**
   * Waits until IN_USE changes from `inUse`, the budget closes, or
   * `timeoutMs` passes. Atomics.waitAsync does not keep the event loop
   * alive on its own, so a timer of the same length does.
   */
  private async waitForChange(inUse: number, timeoutMs: number): Promise<WaitResult> {
    const waiting = waitAsync(this.control, IN_USE, inUse, timeoutMs);
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
