import type { Message } from 'kafkajs';

/** Keys remembered before the ones whose hold has passed are forgotten. */
const PRUNE_AT_KEYS = 4096;

/** A partition's share of a window on its way to the partials topic. */
export interface OutgoingShare {
  /** The partials key (`window:start:partition`): a later share under it replaces an earlier one. */
  readonly key: string;
  readonly final: boolean;
  /** The record, made when the share is sent: a share replaced while it waits is never encoded. */
  readonly encode: () => Message;
}

export interface ShareOutboxOptions {
  /**
   * How long after a key's last share a revision of it waits (ms); a first
   * share and a final one never wait.
   */
  readonly holdMs: number;
  /** Monotonic ms. */
  readonly now: () => number;
  /** Hands shares to the writer (which queues them); the outbox does not wait for it. */
  readonly send: (messages: Message[]) => Promise<void>;
  /** A failed send: the caller's writer reports it again at its next flush. */
  readonly onSendError?: (error: unknown) => void;
  readonly setTimer?: (fn: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
}

/**
 * Coalesces the revisions of a window's share before they reach the
 * partials topic.
 *
 * A share is the partition's whole counter of the window (an exact set of
 * tens of thousands of users), and the partials topic is compacted by key:
 * only the latest share of a key matters to the merge and to the topic's
 * end state. When history is replayed at full speed the engine revises an
 * open window nearly batch after batch, and sending each revision costs far
 * more than counting the frames behind it (the merge decodes and unites
 * every one). So a key's first share and its final one go out at once (the
 * first result and the final are what readers wait for), and a revision
 * sent within `holdMs` of the key's previous share waits out the rest of
 * that time, replaced by any newer revision meanwhile. At real-time pace
 * late frames revise a window now and then, and a revision waits at most
 * `holdMs`.
 */
export class ShareOutbox {
  private readonly held = new Map<string, OutgoingShare>();
  /** When each key's latest share went out (monotonic ms); pruned once older than holdMs. */
  private readonly sentAt = new Map<string, number>();
  private timer: unknown;
  private timerDue = Number.POSITIVE_INFINITY;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (timer: unknown) => void;

  constructor(private readonly options: ShareOutboxOptions) {
    if (!(Number.isFinite(options.holdMs) && options.holdMs >= 0))
      throw new RangeError(`holdMs must be a number of ms >= 0, got ${options.holdMs}`);
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as NodeJS.Timeout));
  }

  /** Shares waiting for their key's hold to pass. */
  get waiting(): number {
    return this.held.size;
  }

  /** Returns the messages to send now; the rest are held. */
  offer(shares: readonly OutgoingShare[]): Message[] {
    const now = this.options.now();
    // Keys whose window never came out final here (a partition moved away) would otherwise stay.
    if (this.sentAt.size > PRUNE_AT_KEYS) this.prune(now);
    const out: Message[] = [];
    for (const share of shares) {
      const last = this.sentAt.get(share.key);
      if (share.final || last === undefined || now - last >= this.options.holdMs) {
        this.held.delete(share.key);
        out.push(share.encode());
        if (share.final) this.sentAt.delete(share.key);
        else this.sentAt.set(share.key, now);
        continue;
      }
      this.held.set(share.key, share);
      this.wakeAt(last + this.options.holdMs, now);
    }
    return out;
  }

  /** Every held share, to be sent now (before a checkpoint, a rebalance). */
  release(): Message[] {
    const now = this.options.now();
    const out: Message[] = [];
    for (const [key, share] of this.held) {
      out.push(share.encode());
      this.sentAt.set(key, now);
    }
    this.held.clear();
    this.cancelTimer();
    return out;
  }

  /** Drops what is held (a close without flush: the checkpoint's replay makes it again). */
  discard(): void {
    this.held.clear();
    this.sentAt.clear();
    this.cancelTimer();
  }

  /** Forgets when keys went out once that no longer holds anything back. */
  private prune(now: number): void {
    for (const [key, at] of this.sentAt)
      if (now - at >= this.options.holdMs && !this.held.has(key)) this.sentAt.delete(key);
  }

  private wakeAt(due: number, now: number): void {
    if (due >= this.timerDue) return;
    this.cancelTimer();
    this.timerDue = due;
    this.timer = this.setTimer(() => this.onTimer(), Math.max(0, due - now));
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
    const now = this.options.now();
    const due: Message[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [key, share] of this.held) {
      const ready = (this.sentAt.get(key) ?? Number.NEGATIVE_INFINITY) + this.options.holdMs;
      if (ready <= now) {
        due.push(share.encode());
        this.held.delete(key);
        this.sentAt.set(key, now);
      } else if (ready < next) next = ready;
    }
    this.prune(now);
    if (next !== Number.POSITIVE_INFINITY) this.wakeAt(next, now);
    if (due.length > 0) this.options.send(due).catch((error: unknown) => this.options.onSendError?.(error));
  }
}
