import type { EngineStats } from '@uniqstream/core';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

const MS_PER_SECOND = 1000;

interface StatsSeen {
  counted: number;
  late: number;
  lateDropped: number;
  corruptTs: number;
  malformed: Map<string, number>;
}

/**
 * The service's Prometheus metrics, in a registry of its own (so tests and
 * several services in one process do not share state). Names start with
 * `uniqstream_`; counters end in `_total`.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly framesIn: Counter;
  readonly bytesIn: Counter;
  readonly malformed: Counter<'kind'>;
  readonly late: Counter;
  readonly lateDropped: Counter;
  readonly corruptTs: Counter;
  readonly openWindows: Gauge<'role'>;
  readonly watermark: Gauge<'partition'>;
  readonly lag: Gauge<'partition'>;
  readonly assignedPartitions: Gauge;
  readonly partialsOut: Counter;
  readonly partialsIn: Counter;
  readonly replaysIgnored: Counter;
  readonly tombstones: Counter;
  readonly resultsEmitted: Counter;
  readonly checkpoints: Counter;
  readonly checkpointBytes: Counter;
  readonly mergeActive: Gauge;
  readonly mergeLag: Gauge;
  /** Set by the counting role after each durable checkpoint (ms of `now`). */
  lastCheckpointAt: number | undefined;
  /** When the counting role started (ms of `now`); undefined without one. */
  countingSince: number | undefined;
  private readonly seen = new Map<number, StatsSeen>();

  constructor(
    private readonly now: () => number,
    options: {
      /** Node's process metrics too (default true). */
      readonly processMetrics?: boolean;
      /** A counting role runs here: expose the checkpoint age (default true). */
      readonly counting?: boolean;
    } = {},
  ) {
    const registers = [this.registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'uniqstream_' });
    this.framesIn = new Counter({ name: 'uniqstream_frames_in_total', help: 'Frames read from the input topic (replays after a restart included)', registers });
    this.bytesIn = new Counter({ name: 'uniqstream_bytes_in_total', help: 'Bytes of frames read from the input topic', registers });
    this.malformed = new Counter({ name: 'uniqstream_frames_malformed_total', help: 'Frames the decoder rejected, by kind', labelNames: ['kind'], registers });
    this.late = new Counter({ name: 'uniqstream_frames_late_total', help: 'Frames behind the watermark (counted with a new revision, or dropped)', registers });
    this.lateDropped = new Counter({ name: 'uniqstream_frames_late_dropped_total', help: 'Frames later than the allowed lateness, not counted', registers });
    this.corruptTs = new Counter({ name: 'uniqstream_frames_corrupt_ts_total', help: 'Frames whose ts jumped far ahead and was never confirmed, not counted', registers });
    this.openWindows = new Gauge({ name: 'uniqstream_open_windows', help: 'Windows with state, by role (count: per-partition windows; merge: windows waiting for partitions)', labelNames: ['role'], registers });
    this.watermark = new Gauge({ name: 'uniqstream_watermark_seconds', help: 'Event-time watermark of each held input partition (unix seconds)', labelNames: ['partition'], registers });
    this.lag = new Gauge({ name: 'uniqstream_consumer_lag', help: 'Records behind per held input partition: log end offset - position', labelNames: ['partition'], registers });
    this.assignedPartitions = new Gauge({ name: 'uniqstream_assigned_partitions', help: 'Input partitions held by this instance', registers });
    this.partialsOut = new Counter({ name: 'uniqstream_partials_out_total', help: 'Partial results written to the partials topic (count role)', registers });
    this.partialsIn = new Counter({ name: 'uniqstream_partials_in_total', help: 'Partial results read from the partials topic (merge role)', registers });
    this.replaysIgnored = new Counter({ name: 'uniqstream_partials_replayed_total', help: 'Partial results the merge ignored as replays of windows already final', registers });
    this.tombstones = new Counter({ name: 'uniqstream_partials_deleted_total', help: 'Partial results of final windows deleted from the partials topic (tombstones)', registers });
    this.resultsEmitted = new Counter({ name: 'uniqstream_results_emitted_total', help: 'Merged results written to the results topic (merge role)', registers });
    this.checkpoints = new Counter({ name: 'uniqstream_checkpoints_total', help: 'Durable checkpoints (every held partition each)', registers });
    this.checkpointBytes = new Counter({ name: 'uniqstream_checkpoint_bytes_total', help: 'Bytes of checkpoint records written', registers });
    this.mergeActive = new Gauge({ name: 'uniqstream_merge_active', help: '1 when this instance runs the group\'s merge, 0 when it stands by', registers });
    this.mergeLag = new Gauge({ name: 'uniqstream_merge_lag', help: 'Records of the partials topic the merge has not read yet', registers });
    const metrics = this;
    if (options.counting === false) return;
    new Gauge({
      name: 'uniqstream_checkpoint_age_seconds',
      help: 'Seconds since the last durable checkpoint (since the counting started before the first one)',
      registers,
      collect() {
        const since = metrics.lastCheckpointAt ?? metrics.countingSince;
        if (since !== undefined) this.set((metrics.now() - since) / MS_PER_SECOND);
      },
    });
  }

  /** A partition's state arrived (adopted or fresh): its totals so far are not new. */
  baseline(partition: number, stats: EngineStats | undefined): void {
    this.seen.set(partition, snapshotOf(stats));
  }

  /** A partition's state left: its series go. */
  forget(partition: number): void {
    this.seen.delete(partition);
    this.watermark.remove(String(partition));
    this.lag.remove(String(partition));
  }

  /**
   * Adds what a partition's engine counted since the last call. Engine
   * totals travel with checkpoints, so only increases are counted here.
   */
  observe(partition: number, stats: EngineStats): void {
    const before = this.seen.get(partition) ?? snapshotOf(undefined);
    const now = snapshotOf(stats);
    addDelta(this.late, now.late - before.late);
    addDelta(this.lateDropped, now.lateDropped - before.lateDropped);
    addDelta(this.corruptTs, now.corruptTs - before.corruptTs);
    for (const [kind, n] of now.malformed) {
      const delta = n - (before.malformed.get(kind) ?? 0);
      if (delta > 0) this.malformed.inc({ kind }, delta);
    }
    this.seen.set(partition, now);
  }
}

function snapshotOf(stats: EngineStats | undefined): StatsSeen {
  return {
    counted: stats?.counted ?? 0,
    late: stats?.late ?? 0,
    lateDropped: stats?.lateDropped ?? 0,
    corruptTs: stats?.corruptTs ?? 0,
    malformed: new Map(stats?.malformed ?? []),
  };
}

function addDelta(counter: Counter, delta: number): void {
  if (delta > 0) counter.inc(delta);
}
