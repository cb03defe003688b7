import { createCounter, type DistinctCounter } from './counters/index.js';
import { CoreError } from './errors.js';
import type { PartitionProgress } from './partitioned.js';
import type { Granularity, PartialResult, WindowResult } from './types.js';

export const COMBINE_CHOICES = ['union', 'sum'] as const;
/**
 * `union`: partitions may share users, so their counters are merged (exact
 * sets united, HyperLogLog registers maxed); `sum`: the input is keyed by
 * uid, so each user lives in one partition and the counts simply add.
 */
export type CombineChoice = (typeof COMBINE_CHOICES)[number];

export interface MergeOptions {
  /** Input partitions 0..partitions-1; a window waits for all of them. */
  readonly partitions: number;
  readonly combine: CombineChoice;
  /** The counting stage's allowed lateness: a partition is done with a window at end + this. */
  readonly allowedLateness: number;
  readonly hllPrecision?: number;
}

interface MergeWindow {
  readonly window: Granularity;
  readonly start: number;
  readonly end: number;
  readonly partials: Map<number, PartialResult>;
  /**
   * The union of the shares' counters (combine 'union'), kept up to date
   * by adding each new share to it: a partition's share of a window only
   * grows while its engine runs, so the union of the new share with the old
   * union is the union of the current shares. A replay from an older
   * checkpoint may bring a smaller share, so before a final result the
   * union is made again from the current shares alone (`unionStale`).
   */
  union: DistinctCounter | undefined;
  /** Partitions whose shares are not in `union` yet. */
  readonly unionMissing: Set<number>;
  /** Some share in `union` was replaced by a newer one since the union was made from the current shares alone. */
  unionStale: boolean;
  /** The shares combined, until one of them changes: readiness is checked far more often than shares arrive. */
  combined: Combined | undefined;
  /** What was emitted last, to emit only changes. */
  last: string;
  /** The revision emitted last; -1 before the first. */
  lastRevision: number;
}

/** A window's shares combined: its result but for whether it is final. */
type Combined = Omit<WindowResult, 'final'>;

const RANK: Record<Granularity, number> = { minute: 0, hour: 1, day: 2, week: 3, month: 4, year: 5 };
/** Closed windows remembered (oldest forgotten first): a year of minutes per partition is far more than replays
 * reach. */
const MAX_CLOSED = 100_000;
const UNKNOWN: PartitionProgress = { partition: -1, watermark: Number.NEGATIVE_INFINITY, idle: false };

/**
 * Merges partial results of every input partition into whole results.
 *
 * A window's result is emitted once every partition's watermark has passed
 * its end (or the partition is idle), and again whenever a partition's share
 * changes. It is final once every partition's share is final, or, for a
 * partition that has no share, once that partition's own watermark is past
 * end + lateness: idleness alone never makes a window final, since an idle
 * partition may come back with frames for it.
 *
 * A final merged result is a function of the latest partial of each
 * partition only (a result not yet final may also count users of a share
 * that a replay replaced with a smaller one: the union grows by each new
 * share rather than being made again): `revision` counts the partials' revisions and the shares beside the
 * first (the sum of revision + 1 over the shares, less 1), so it grows with
 * every change, also when a partition's first share of the window arrives
 * after the window came out. So a merge stage that restarts and reads the
 * partials again emits the same records, and a compacted results topic ends
 * the same. Within one stage a window's revision never repeats: were a
 * replay to make the count go back, the next emission still takes the next
 * number.
 */
export class MergeStage {
  private readonly windows = new Map<string, MergeWindow>();
  /**
   * Windows already final, so that a partial replayed after a counting
   * instance restarted from an older checkpoint does not open them again
   * with only its own share. Bounded: replays reach back seconds, not days.
   */
  private readonly closed = new Set<string>();
  private readonly progressOf = new Map<number, PartitionProgress>();
  /**
   * The highest watermark each partition's shares carried: enough to let a
   * window out (its result is not final), never to close one, since it is
   * not a promise the partition's state keeps over a restart.
   */
  private readonly seen = new Map<number, number>();
  private results: WindowResult[] = [];

  constructor(private readonly options: MergeOptions) {
    if (!Number.isInteger(options.partitions) || options.partitions < 1)
      throw new CoreError('BAD_OPTION', 'merge: partitions must be a whole number >= 1');
  }

  /** The latest partial of one partition for one window (a newer revision replaces an older). */
  addPartial(partial: PartialResult): void {
    if (partial.partition < 0 || partial.partition >= this.options.partitions) {
      throw new CoreError(
        'BAD_STATE',
        `merge: partial from partition ${partial.partition}, but the input has ${this.options.partitions}`,
      );
    }
    const raised = this.raiseSeen(partial.partition, partial.watermark);
    const key = `${partial.window}:${partial.start}`;
    if (!this.closed.has(key)) this.replaceShare(key, partial);
    // Windows that waited only for this partition to pass them may be ready now.
    if (raised) for (const [other, window] of [...this.windows]) if (other !== key) this.evaluate(other, window);
  }

  /** Where a partition's event time stands (from its heartbeats). */
  setProgress(progress: PartitionProgress): void {
    const before = this.progressOf.get(progress.partition);
    if (before !== undefined && before.watermark >= progress.watermark && before.idle === progress.idle) return;
    this.progressOf.set(progress.partition, {
      ...progress,
      watermark: Math.max(progress.watermark, before?.watermark ?? Number.NEGATIVE_INFINITY),
    });
    for (const [key, window] of [...this.windows]) this.evaluate(key, window);
  }

  takeResults(): WindowResult[] {
    const out = this.results;
    this.results = [];
    out.sort((a, b) => a.end - b.end || RANK[a.window] - RANK[b.window] || a.start - b.start);
    return out;
  }

  get openWindows(): number {
    return this.windows.size;
  }

  private replaceShare(key: string, partial: PartialResult): void {
    let window = this.windows.get(key);
    if (window === undefined) {
      window = {
        window: partial.window,
        start: partial.start,
        end: partial.end,
        partials: new Map(),
        union: undefined,
        unionMissing: new Set(),
        unionStale: false,
        combined: undefined,
        last: '',
        lastRevision: -1,
      };
      this.windows.set(key, window);
    }
    const previous = window.partials.get(partial.partition);
    // A replay after a restart writes a partition's shares again, and may number
    // them lower where the first run had emitted a revision on going idle:
    // keep the newest share by revision, but a final share is the partition's
    // last word either way (a window whose shares are all final must close).
    if (previous !== undefined && (previous.final || (!partial.final && previous.revision > partial.revision))) return;
    window.partials.set(partial.partition, partial);
    // The union has the share this one replaces: fine while shares only grow, but a final result must not rely on it.
    if (previous !== undefined && window.union !== undefined && !window.unionMissing.has(partial.partition))
      window.unionStale = true;
    window.unionMissing.add(partial.partition);
    window.combined = undefined;
    this.evaluate(key, window);
  }

  /** Notes the watermark a share carried; true when it is the partition's highest yet. */
  private raiseSeen(partition: number, watermark: number | undefined): boolean {
    if (watermark === undefined || watermark <= (this.seen.get(partition) ?? Number.NEGATIVE_INFINITY)) return false;
    this.seen.set(partition, watermark);
    return true;
  }

  private evaluate(key: string, window: MergeWindow): void {
    let ready = true;
    let final = true;
    for (let p = 0; p < this.options.partitions; p++) {
      const progress = this.progressOf.get(p) ?? UNKNOWN;
      const partial = window.partials.get(p);
      // An idle partition does not hold a window's results back: they come
      // out, not final, and are revised if it returns with frames for it.
      const passed = Math.max(progress.watermark, this.seen.get(p) ?? Number.NEGATIVE_INFINITY) >= window.end;
      if (!(progress.idle || passed || partial?.final === true)) ready = false;
      // Final is a promise, so only a partition's own event time may close a
      // window for it: its engine drops frames for the window only once its
      // watermark has passed end + lateness. Idleness is a pause in arrival,
      // not in event time: an idle partition may still hold frames for the
      // window, and makes its shares final when it has passed it.
      const done =
        partial !== undefined ? partial.final : progress.watermark >= window.end + this.options.allowedLateness;
      if (!done) final = false;
    }
    if (!ready) return;
    const computed = this.combine(window, final);
    const signature = `${computed.users}:${computed.frames}:${computed.revision}:${computed.final}`;
    if (signature !== window.last) {
      window.last = signature;
      const result =
        computed.revision > window.lastRevision ? computed : { ...computed, revision: window.lastRevision + 1 };
      window.lastRevision = result.revision;
      this.results.push(result);
    }
    if (final) {
      this.windows.delete(key);
      this.closed.add(key);
      if (this.closed.size > MAX_CLOSED) this.closed.delete(this.closed.values().next().value!);
    }
  }

  private combine(window: MergeWindow, final: boolean): WindowResult {
    // A final result comes from the current shares alone.
    if (window.combined === undefined || (final && window.unionStale))
      window.combined = this.combineShares(window, final);
    return { ...window.combined, final };
  }

  private combineShares(window: MergeWindow, final: boolean): Combined {
    let frames = 0;
    let revision = 0;
    let users = 0;
    let method: 'exact' | 'hll' = 'exact';
    let error = 0;
    const partials = [...window.partials.values()];
    for (const partial of partials) {
      frames += partial.frames;
      revision += partial.revision + 1;
      if (partial.method === 'hll') method = 'hll';
    }
    // The first share's first revision is the window's revision 0.
    if (partials.length > 0) revision -= 1;
    if (this.options.combine === 'sum') {
      for (const partial of partials) users += partial.users;
      // Independent errors of the parts add up in quadrature.
      if (method === 'hll')
        error = Math.sqrt(partials.reduce((sum, p) => sum + ((p.error ?? 0) * p.users) ** 2, 0)) / Math.max(users, 1);
    } else if (partials.length === 1 && method === 'exact') {
      // One exact set is its own union.
      users = partials[0]!.users;
    } else if (partials.length > 0) {
      const union = this.unionOf(window, method, final);
      users = Math.round(union.count());
      error = union.relativeError();
    }
    const base = { window: window.window, start: window.start, end: window.end, users, frames, revision, method };
    return method === 'hll' ? { ...base, error: Math.round(error * 1e6) / 1e6 } : base;
  }

  /** The union of the window's current shares; for a final result, made from them alone. */
  private unionOf(window: MergeWindow, method: 'exact' | 'hll', final: boolean): DistinctCounter {
    let union = window.union;
    if (union === undefined || union.method !== method || (final && window.unionStale)) {
      union = createCounter(method, this.options.hllPrecision);
      for (const partial of window.partials.values()) union.mergeSerialized(partial.state);
      window.union = union;
      window.unionStale = false;
    } else {
      for (const partition of window.unionMissing) union.mergeSerialized(window.partials.get(partition)!.state);
    }
    window.unionMissing.clear();
    return union;
  }
}
