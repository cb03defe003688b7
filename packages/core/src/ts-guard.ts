/**
 * Keeps corrupt timestamps from hijacking the watermark.
 *
 * One frame whose ts is far ahead (a flipped high bit puts it years away)
 * must not move event time: every later frame would be late and real results
 * would vanish. So a ts more than `maxFutureSkew` ahead of the highest
 * accepted ts is held as a suspect. Real data after a gap confirms itself:
 * the frames that follow are also ahead. A suspect is accepted once
 * `confirmations` frames (itself included) agree with it and they are at
 * least as many as the ordinary frames seen since it arrived; it is rejected
 * when `patience` ordinary frames pass without that happening. Bitflips are
 * rare and scattered, so they almost never confirm each other, and the
 * majority rule stops even that.
 *
 * Sparse streams move event time in steps larger than the skew (one frame a
 * minute, say). So the threshold is the larger of `maxFutureSkew` and
 * SPACING_FACTOR times the average step of the highest ts, which a stream of
 * one frame every 50 s puts at about 200 s; a bitflip still moves ts by far
 * more than that unless it hits one of the lowest bits, which no check can
 * tell from an honest frame.
 *
 * The first frames of a partition have no history to compare with, so the
 * guard holds the first `bootstrapFrames` of them and anchors on their median.
 */

/** How many average steps of event time ahead a ts may be before it is suspect. */
const SPACING_FACTOR = 4;
/** Weight of the newest step in the running average of steps (1/16). */
const STEP_WEIGHT = 1 / 16;

export interface TsGuardOptions {
  /** Seconds a ts may be ahead of the highest accepted ts before it is suspect. */
  readonly maxFutureSkew: number;
  /** Agreeing frames, the suspect included, needed to accept a jump. */
  readonly confirmations: number;
  /** Ordinary frames after which an unconfirmed suspect is rejected. */
  readonly patience: number;
  /** Frames held at the start to find where event time is. */
  readonly bootstrapFrames: number;
  /** At most this many frames are held; beyond it the oldest suspect is rejected. */
  readonly maxHeld: number;
}

/** A frame the guard holds; T carries whatever the caller needs to count it later. */
export interface Held<T> {
  readonly ts: number;
  readonly item: T;
}

interface Suspect<T> extends Held<T> {
  agreeing: number;
  ordinarySince: number;
}

export class TsGuard<T> {
  /** Highest accepted ts, or -Infinity before the first accepted frame. */
  maxTs = Number.NEGATIVE_INFINITY;
  /** Running average of how far each new highest ts moved beyond the last. */
  step = 0;
  /** A ts beyond maxTs + this is suspect. */
  private threshold: number;
  private bootstrapping: Held<T>[] | null;
  private suspects: Suspect<T>[] = [];
  /** Frames that may be counted now, in arrival order. */
  readonly released: Held<T>[] = [];
  /** Frames found corrupt. */
  readonly rejected: Held<T>[] = [];

  constructor(private readonly options: TsGuardOptions) {
    this.bootstrapping = options.bootstrapFrames > 0 ? [] : null;
    this.threshold = options.maxFutureSkew;
  }

  /** Seconds ahead of maxTs beyond which a ts is suspect now. */
  get skew(): number {
    return this.threshold;
  }

  get heldCount(): number {
    return (this.bootstrapping?.length ?? 0) + this.suspects.length;
  }

  /** Lowest ts the guard still holds (frames it may release later). */
  get held(): readonly Held<T>[] {
    return this.bootstrapping ? this.bootstrapping : this.suspects;
  }

  /**
   * The hot path: true when a frame with this ts may be counted now (and
   * maxTs has been raised if needed). On false the caller must `hold` it.
   */
  admit(ts: number): boolean {
    if (this.bootstrapping !== null) return false;
    if (ts > this.maxTs + this.threshold) return false;
    if (ts > this.maxTs) this.raise(ts);
    // Suspects are rare; this loop is empty nearly always.
    if (this.suspects.length > 0) this.weigh(ts);
    return true;
  }

  /** Takes a frame `admit` refused. Afterwards, check `released` and `rejected`. */
  hold(ts: number, item: T): void {
    if (this.bootstrapping !== null) {
      this.bootstrapping.push({ ts, item });
      if (this.bootstrapping.length >= this.options.bootstrapFrames) this.endBootstrap();
      return;
    }
    this.addSuspect(ts, item);
  }

  /**
   * End of input: the bootstrap anchors on what it has; suspects still
   * unconfirmed are accepted only if they confirm each other, else rejected.
   */
  finish(): void {
    if (this.bootstrapping !== null) this.endBootstrap();
    const pending = this.suspects;
    this.suspects = [];
    for (const suspect of pending) {
      if (this.isConfirmed(suspect)) this.accept(suspect);
      else this.rejected.push(suspect);
    }
  }

  /** Moves maxTs up by an ordinary step, and learns the stream's spacing from it. */
  private raise(ts: number): void {
    if (Number.isFinite(this.maxTs)) {
      this.step += (ts - this.maxTs - this.step) * STEP_WEIGHT;
      this.threshold = Math.max(this.options.maxFutureSkew, SPACING_FACTOR * this.step);
    }
    this.maxTs = ts;
  }

  private endBootstrap(): void {
    const frames = this.bootstrapping ?? [];
    this.bootstrapping = null;
    if (frames.length === 0) return;
    const sorted = frames.map((f) => f.ts).sort((a, b) => a - b);
    const median = (sorted.length - 1) >> 1;
    this.maxTs = sorted[median]!;
    // The spacing so far: the average step over the lower half, which
    // corrupt frames far ahead cannot reach.
    if (median > 0) {
      this.step = (sorted[median]! - sorted[0]!) / median;
      this.threshold = Math.max(this.options.maxFutureSkew, SPACING_FACTOR * this.step);
    }
    for (const frame of frames) {
      if (this.admit(frame.ts)) this.released.push(frame);
      else this.addSuspect(frame.ts, frame.item);
    }
  }

  private addSuspect(ts: number, item: T): void {
    const skew = this.threshold;
    const suspect: Suspect<T> = { ts, item, agreeing: 1, ordinarySince: 0 };
    let confirmed: Suspect<T> | null = null;
    for (const earlier of this.suspects) {
      // A later frame at or after an earlier suspect's time agrees with it.
      if (ts >= earlier.ts - skew) {
        earlier.agreeing++;
        if (confirmed === null && this.isConfirmed(earlier)) confirmed = earlier;
      }
      // An earlier suspect at or after this one's time agrees with it too
      // (frames after a gap arrive a little out of order); the ordinary
      // frames seen since that earlier one then count against both.
      if (earlier.ts >= ts - skew) {
        suspect.agreeing++;
        if (earlier.ordinarySince > suspect.ordinarySince) suspect.ordinarySince = earlier.ordinarySince;
      }
    }
    this.suspects.push(suspect);
    if (confirmed === null && this.isConfirmed(suspect)) confirmed = suspect;
    if (confirmed !== null) this.acceptJump(confirmed);
    else if (this.suspects.length > this.options.maxHeld) this.rejected.push(this.suspects.shift()!);
  }

  private isConfirmed(suspect: Suspect<T>): boolean {
    return suspect.agreeing >= this.options.confirmations && suspect.agreeing > suspect.ordinarySince;
  }

  /** Event time really moved on: accept the suspects that agree with `anchor`. */
  private acceptJump(anchor: Suspect<T>): void {
    const skew = this.threshold;
    const remaining: Suspect<T>[] = [];
    for (const suspect of this.suspects) {
      if (suspect.ts >= anchor.ts - skew) this.accept(suspect);
      else remaining.push(suspect);
    }
    // What was suspect before the jump may be ordinary after it.
    this.suspects = [];
    for (const suspect of remaining) {
      if (suspect.ts <= this.maxTs + skew) this.accept(suspect);
      else this.suspects.push(suspect);
    }
  }

  private accept(suspect: Held<T>): void {
    if (suspect.ts > this.maxTs) this.maxTs = suspect.ts;
    this.released.push({ ts: suspect.ts, item: suspect.item });
  }

  /**
   * An admitted frame weighs on every suspect: for it when it is at or after
   * the suspect's time (event time is catching up with it), against it when
   * it is behind.
   */
  private weigh(ts: number): void {
    const skew = this.threshold;
    let expired = 0;
    let confirmed: Suspect<T> | null = null;
    for (const suspect of this.suspects) {
      if (ts >= suspect.ts - skew) {
        suspect.agreeing++;
        if (confirmed === null && this.isConfirmed(suspect)) confirmed = suspect;
      } else {
        suspect.ordinarySince++;
        if (suspect.ordinarySince >= this.options.patience) expired++;
      }
    }
    if (confirmed !== null) {
      this.acceptJump(confirmed);
      return;
    }
    if (expired === 0) return;
    const kept: Suspect<T>[] = [];
    for (const suspect of this.suspects) {
      if (suspect.ordinarySince >= this.options.patience) this.rejected.push(suspect);
      else kept.push(suspect);
    }
    this.suspects = kept;
  }

  /** Plain data for a checkpoint. */
  snapshot(): TsGuardSnapshot<T> {
    return {
      maxTs: this.maxTs,
      step: this.step,
      threshold: this.threshold,
      bootstrapping: this.bootstrapping ? this.bootstrapping.map((h) => ({ ts: h.ts, item: h.item })) : null,
      suspects: this.suspects.map((s) => ({
        ts: s.ts,
        item: s.item,
        agreeing: s.agreeing,
        ordinarySince: s.ordinarySince,
      })),
    };
  }

  restore(snapshot: TsGuardSnapshot<T>): void {
    this.maxTs = snapshot.maxTs;
    this.step = snapshot.step;
    this.threshold = snapshot.threshold;
    this.bootstrapping = snapshot.bootstrapping ? snapshot.bootstrapping.map((h) => ({ ...h })) : null;
    this.suspects = snapshot.suspects.map((s) => ({ ...s }));
  }
}

export interface TsGuardSnapshot<T> {
  readonly maxTs: number;
  readonly step: number;
  readonly threshold: number;
  readonly bootstrapping: readonly Held<T>[] | null;
  readonly suspects: readonly (Held<T> & { readonly agreeing: number; readonly ordinarySince: number })[];
}
