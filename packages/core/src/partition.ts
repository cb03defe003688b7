import type { CountingEngine } from './engine.js';
import { TsGuard } from './ts-guard.js';

/** What the guard keeps of a frame whose ts is in doubt. */
export interface HeldFrame {
  readonly hi: number;
  readonly lo: number;
  readonly position: number;
  readonly origin: string;
  /** A copy, since the source's buffers are reused or released. */
  readonly frame: Uint8Array;
}

/** One input partition's side of the engine: its guard, max ts and position. */
export class PartitionCounter {
  readonly guard: TsGuard<HeldFrame>;
  maxTs = Number.NEGATIVE_INFINITY;
  /**
   * Event time the wall clock has moved this partition to while it had no
   * frames (see CountingEngine.advanceSilent); never goes back.
   */
  clockTs = Number.NEGATIVE_INFINITY;
  hasData = false;
  idle = false;
  /** Position to resume from after everything handed in so far. */
  next = Number.POSITIVE_INFINITY;
  /** Name of the input the current batch came from. */
  origin = '';

  constructor(
    private readonly engine: CountingEngine,
    readonly id: number,
  ) {
    const o = engine.options;
    this.guard = new TsGuard<HeldFrame>({
      maxFutureSkew: o.maxFutureSkew,
      confirmations: o.confirmations,
      patience: o.patience,
      bootstrapFrames: o.bootstrapFrames,
      maxHeld: o.maxHeld,
    });
  }

  /** Counts one decoded frame. `frame` is only read if it must be kept or reported. */
  add(hi: number, lo: number, ts: number, position: number, frame: Uint8Array): void {
    const guard = this.guard;
    if (guard.admit(ts)) {
      this.advance(guard.maxTs);
      this.engine.place(this, hi, lo, ts, position, frame);
      if (guard.rejected.length > 0 || guard.released.length > 0) this.drainGuard();
      return;
    }
    guard.hold(ts, { hi, lo, position, origin: this.origin, frame: frame.slice() });
    this.drainGuard();
  }

  /** @internal counts what the guard released and reports what it rejected. */
  drainGuard(): void {
    const guard = this.guard;
    if (guard.rejected.length > 0) {
      for (const held of guard.rejected) this.engine.rejectCorrupt(this, held);
      guard.rejected.length = 0;
    }
    if (guard.released.length > 0) {
      // Released frames go through in arrival order, each moving event time
      // as it would have had it been admitted at once.
      const released = guard.released.splice(0);
      for (const held of released) {
        this.advance(held.ts);
        this.engine.place(this, held.item.hi, held.item.lo, held.ts, held.item.position, held.item.frame);
      }
    }
  }

  private advance(maxTs: number): void {
    if (maxTs <= this.maxTs) return;
    this.maxTs = maxTs;
    this.hasData = true;
    this.engine.recomputeWatermark();
  }
}
