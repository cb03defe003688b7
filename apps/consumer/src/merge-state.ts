import { MergeStage, type CombineChoice, type Granularity, type WindowResult } from '@uniqstream/core';
import { ConsumerError } from './errors.js';
import { decodePartial, decodeProgress, parsePartialsKey, partialKey, windowKey } from './records.js';

export interface MergeStateOptions {
  /** Partitions of the input topic: a window waits for all of them. */
  readonly partitions: number;
  readonly combine: CombineChoice;
  /** The counting role's allowed lateness: a partition is done with a window once its watermark reaches end + this. */
  readonly allowedLateness: number;
  readonly hllPrecision?: number;
}

const RANK: Record<Granularity, number> = { minute: 0, hour: 1, day: 2, week: 3, month: 4, year: 5 };

interface WindowKeys {
  readonly window: Granularity;
  readonly start: number;
  readonly end: number;
  /** Partitions that sent a share of the window: the partial keys to delete once it is closed. */
  readonly partitions: Set<number>;
}

/** What the merge did with the records it read, for metrics. */
export interface MergeCounts {
  partials: number;
  progress: number;
  /** Shares of windows already final, or that their partition's watermark had passed: replays after a crash. */
  replays: number;
  tombstones: number;
}

/**
 * The merge role's state, fed with the partials topic in order: core's
 * MergeStage plus what makes replays and compaction harmless.
 *
 * A counting instance that restarts from a checkpoint writes again the
 * partials it wrote after that checkpoint (the same records: the engine is
 * deterministic). Re-adding one of a window already final would make the
 * stage open that window again with that one share, and publish it as the
 * window's final result. So a share is ignored when its window was closed
 * here, or when its partition's progress had already passed the window's
 * end + lateness: progress records are written after the partials and
 * after the checkpoint that covers them, so by then the partition's share
 * was read and no restart can go back before it.
 *
 * Core's MergeStage forgets a window as soon as it is final, so the closing
 * is noted after every record, not once per batch: a replay later in the
 * same batch must already find its window closed.
 *
 * Final windows are closed at once; their partial keys are deleted
 * (tombstones, which keep the compacted topic bounded) only once the result
 * is durable and every partition's progress has passed end + lateness, so
 * that no replay can write them again and a merge that reads the topic from
 * the beginning never sees a lone share of a window it does not know was final.
 */
export class MergeState {
  private readonly stage: MergeStage;
  private readonly options: MergeStateOptions;
  private readonly progress = new Map<number, number>();
  private results: WindowResult[] = [];
  private readonly open = new Map<string, WindowKeys>();
  /** Final result emitted, not yet known durable. */
  private closing = new Map<string, WindowKeys>();
  /** Final result durable; partial keys to delete when every partition is past the window. */
  private readonly closed = new Map<string, WindowKeys>();
  readonly counts: MergeCounts = { partials: 0, progress: 0, replays: 0, tombstones: 0 };

  constructor(options: MergeStateOptions) {
    this.options = options;
    this.stage = new MergeStage({
      partitions: options.partitions,
      combine: options.combine,
      allowedLateness: options.allowedLateness,
      ...(options.hllPrecision === undefined ? {} : { hllPrecision: options.hllPrecision }),
    });
  }

  /** One record of the partials topic; `value` null is a tombstone. Throws ConsumerError('BAD_RECORD') for a
   * record it cannot read. */
  apply(key: string, value: Uint8Array | null): void {
    const parsed = parsePartialsKey(key);
    if (parsed.partition >= this.options.partitions) {
      throw new ConsumerError(
        'BAD_RECORD',
        `"${key}" is from partition ${parsed.partition}, but the input topic has ${this.options.partitions}`,
      );
    }
    if (value === null) {
      // A delete this merge (or an earlier one) wrote: the share is already gone from the topic.
      if (parsed.kind === 'partial') this.forget(windowKey(parsed.window, parsed.start), parsed.partition);
      return;
    }
    if (parsed.kind === 'progress') {
      const progress = decodeProgress(value);
      if (progress.partition !== parsed.partition)
        throw new ConsumerError('BAD_RECORD', `"${key}" holds the progress of partition ${progress.partition}`);
      this.counts.progress++;
      this.progress.set(progress.partition, Math.max(progress.watermark, this.progressOf(progress.partition)));
      this.stage.setProgress(progress);
      this.collect();
      return;
    }
    const partial = decodePartial(value);
    if (partial.partition !== parsed.partition || partial.window !== parsed.window || partial.start !== parsed.start) {
      throw new ConsumerError(
        'BAD_RECORD',
        `"${key}" holds the share of ${partialKey(partial.window, partial.start, partial.partition)}`,
      );
    }
    this.counts.partials++;
    const wk = windowKey(partial.window, partial.start);
    if (
      this.closing.has(wk) ||
      this.closed.has(wk) ||
      this.progressOf(partial.partition) >= partial.end + this.options.allowedLateness
    ) {
      this.counts.replays++;
      return;
    }
    let keys = this.open.get(wk);
    if (keys === undefined) {
      keys = { window: partial.window, start: partial.start, end: partial.end, partitions: new Set() };
      this.open.set(wk, keys);
    }
    keys.partitions.add(partial.partition);
    this.stage.addPartial(partial);
    this.collect();
  }

  /** Merged results since the last call, in emission order (a window's revisions in the order made). */
  takeResults(): WindowResult[] {
    const out = this.results;
    this.results = [];
    // Stable: the revisions of one window keep their order.
    return out.sort((a, b) => a.end - b.end || RANK[a.window] - RANK[b.window] || a.start - b.start);
  }

  /** Everything takeResults() returned so far is durable in the results topic. */
  resultsDurable(): void {
    for (const [wk, keys] of this.closing) this.closed.set(wk, keys);
    this.closing = new Map();
  }

  /** Partial keys that may be deleted now (see the class comment); they are forgotten here. */
  takeTombstones(): string[] {
    let low = Number.POSITIVE_INFINITY;
    for (let p = 0; p < this.options.partitions; p++) low = Math.min(low, this.progressOf(p));
    const out: string[] = [];
    for (const [wk, keys] of this.closed) {
      if (low < keys.end + this.options.allowedLateness) continue;
      for (const partition of keys.partitions) out.push(partialKey(keys.window, keys.start, partition));
      this.closed.delete(wk);
    }
    this.counts.tombstones += out.length;
    return out;
  }

  /** Windows with shares and no final result yet. */
  get openWindows(): number {
    return this.stage.openWindows;
  }

  /** Final windows whose partial keys are not deleted yet. */
  get closedWindows(): number {
    return this.closing.size + this.closed.size;
  }

  /** Highest watermark each partition reported. */
  watermarks(): ReadonlyMap<number, number> {
    return this.progress;
  }

  /**
   * Takes the stage's results after every record, not once per batch: the
   * stage forgets a window as soon as it is final, so a replayed share
   * later in the same batch must already find it closed here.
   */
  private collect(): void {
    for (const result of this.stage.takeResults()) {
      this.results.push(result);
      if (!result.final) continue;
      const wk = windowKey(result.window, result.start);
      this.closing.set(
        wk,
        this.open.get(wk) ?? { window: result.window, start: result.start, end: result.end, partitions: new Set() },
      );
      this.open.delete(wk);
    }
  }

  private progressOf(partition: number): number {
    return this.progress.get(partition) ?? Number.NEGATIVE_INFINITY;
  }

  private forget(wk: string, partition: number): void {
    for (const map of [this.closing, this.closed]) {
      const keys = map.get(wk);
      if (keys === undefined) continue;
      keys.partitions.delete(partition);
      if (keys.partitions.size === 0 && map === this.closed) map.delete(wk);
    }
  }
}
