/**
 * The batches the Kafka reader thread sent, waiting for the pipeline, which
 * pulls them (`for await` over the source): an item is handed out only
 * when the taker asks, and `offer()` resolves only when the taker is back
 * for the next item, i.e. has finished with this one. That is when a
 * batch's buffer can go back to the reader thread and its bytes leave the
 * budget.
 */
export class BatchQueue<T> {
  private readonly queue: Offered<T>[] = [];
  /** The item handed out last, finished when the taker comes back. */
  private current: Offered<T> | undefined;
  private wakeTaker: (() => void) | undefined;
  private closed = false;

  /** Items offered and not yet taken. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Offers an item. Resolves true once the taker has taken it and asked for
   * the next one, false when the queue closed before that.
   */
  offer(item: T): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise<boolean>((settle) => {
      this.queue.push({ item, settle });
      this.wake();
    });
  }

  /**
   * Finishes the item taken last, then returns the next one, waiting up to
   * `timeoutMs` for it. Undefined when none came in time, when `wake()` was
   * called, when `signal` aborted, or when the queue is closed.
   */
  async take(timeoutMs: number, signal?: AbortSignal): Promise<T | undefined> {
    this.finishCurrent(true);
    if (this.queue.length === 0 && !this.closed && signal?.aborted !== true) await this.waitForOffer(timeoutMs, signal);
    const next = this.queue.shift();
    if (next === undefined) return undefined;
    this.current = next;
    return next.item;
  }

  /** Finishes the item taken last: the taker is done with it. */
  finish(): void {
    this.finishCurrent(true);
  }

  /**
   * Finishes the item taken last, then waits up to `timeoutMs` without
   * taking anything: until an offer, `wake()`, the signal or the queue's
   * close.
   */
  async idle(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    this.finishCurrent(true);
    if (!this.closed && signal?.aborted !== true) await this.waitForOffer(timeoutMs, signal);
  }

  /** Makes a waiting take() or idle() return now (e.g. a failure the taker should see). */
  wake(): void {
    const wake = this.wakeTaker;
    this.wakeTaker = undefined;
    wake?.();
  }

  /** Refuses further offers and settles every pending one with false. */
  close(): void {
    this.closed = true;
    this.finishCurrent(false);
    for (const offered of this.queue.splice(0)) offered.settle(false);
    this.wake();
  }

  private finishCurrent(taken: boolean): void {
    const current = this.current;
    this.current = undefined;
    current?.settle(taken);
  }

  private waitForOffer(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        if (this.wakeTaker === done) this.wakeTaker = undefined;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      this.wakeTaker = done;
    });
  }
}

interface Offered<T> {
  readonly item: T;
  readonly settle: (taken: boolean) => void;
}
