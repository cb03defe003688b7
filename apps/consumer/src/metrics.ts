import type { EngineStats } from '@uniqstream/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { serviceVersion } from './version.js';

const MS_PER_SECOND = 1000;
/**
 * Buckets of the emission latency: a healthy merge acknowledges within
 * milliseconds; seconds mean a slow or failing results topic, up to the
 * write time limit and a recovery.
 */
const EMIT_LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface StatsSeen {
  counted: number;
  late: number;
  lateDropped: number;
  corruptTs: number;
  malformed: Map<string, number>;
}

/**
 * What some gauges read when scraped, from the roles as they are at that
 * moment: the same functions /readyz reads, so the two cannot disagree.
 */
export interface LiveReadings {
  /** Input partitions whose state this instance holds, ascending. */
  heldPartitions(): readonly number[];
  /** Records behind per held input partition, as last seen (a partition without a reading yet is missing). */
  consumerLag(): ReadonlyMap<number, number>;
  /** Records of the partials topic the merge has not read; undefined when this instance does not merge (or not yet). */
  mergeLag(): number | undefined;
  /** False while the broker does not answer this instance's fetches. */
  kafkaConnected(): boolean;
}

/** Before the roles start: nothing held, nothing known, not connected. */
const NOT_STARTED: LiveReadings = {
  heldPartitions: () => [],
  consumerLag: () => new Map(),
  mergeLag: () => undefined,
  kafkaConnected: () => false,
};

/**
 * The service's Prometheus metrics, in a registry of its own (so tests and
 * several services in one process do not share state), named by the
 * Prometheus conventions: `uniqstream_` first, counters end in `_total`
 * and nothing else does, units (base units, or the thing counted) come
 * last. Node's process metrics keep prom-client's stock names (no prefix),
 * so that stock Node.js dashboards find them; among them are gauges named
 * `nodejs_active_*_total`, the only `_total` names that are not counters.
 *
 * Lag is NaN while it is unknown (Kafka not answering, no reading yet):
 * an old figure would claim a lag the service cannot see, and NaN makes
 * sums and comparisons over it unknown too, where a missing series would
 * leave a sum looking smaller.
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
  readonly partialsOut: Counter;
  readonly partialsIn: Counter;
  readonly replaysIgnored: Counter;
  readonly tombstones: Counter;
  readonly resultsEmitted: Counter;
  readonly resultWriteFailures: Counter;
  readonly resultEmitLatency: Histogram;
  readonly checkpoints: Counter;
  readonly checkpointBytes: Counter;
  readonly mergeActive: Gauge;
  /** Set by the service once its roles run. */
  live: LiveReadings = NOT_STARTED;
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
    const metrics = this;
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'uniqstream_build_info',
      help: 'Always 1; the labels say which version of the service runs on which Node.js',
      labelNames: ['version', 'node'],
      registers,
    }).set({ version: serviceVersion(), node: process.version }, 1);
    this.framesIn = new Counter({
      name: 'uniqstream_frames_in_total',
      help: 'Frames read from the input topic (replays after a restart included)',
      registers,
    });
    this.bytesIn = new Counter({
      name: 'uniqstream_input_bytes_total',
      help: 'Bytes of frames read from the input topic',
      registers,
    });
    this.malformed = new Counter({
      name: 'uniqstream_frames_malformed_total',
      help: 'Frames the decoder rejected, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.late = new Counter({
      name: 'uniqstream_frames_late_total',
      help: 'Frames behind the watermark (counted with a new revision, or dropped)',
      registers,
    });
    this.lateDropped = new Counter({
      name: 'uniqstream_frames_late_dropped_total',
      help: 'Frames later than the allowed lateness, not counted',
      registers,
    });
    this.corruptTs = new Counter({
      name: 'uniqstream_frames_corrupt_ts_total',
      help: 'Frames whose ts jumped far ahead and was never confirmed, not counted',
      registers,
    });
    this.openWindows = new Gauge({
      name: 'uniqstream_open_windows',
      help: 'Windows with state, by role (count: per-partition windows; merge: windows waiting for partitions)',
      labelNames: ['role'],
      registers,
    });
    this.watermark = new Gauge({
      name: 'uniqstream_watermark_timestamp_seconds',
      help: 'Event-time watermark of each held input partition, as a unix timestamp in seconds',
      labelNames: ['partition'],
      registers,
    });
    new Gauge({
      name: 'uniqstream_consumer_lag_records',
      help:
        'Records behind per held input partition (log end offset - position); NaN while unknown ' +
        '(Kafka not answering, no fetch yet)',
      labelNames: ['partition'],
      registers,
      collect() {
        this.reset();
        const connected = metrics.live.kafkaConnected();
        const lag = metrics.live.consumerLag();
        for (const partition of metrics.live.heldPartitions())
          this.set({ partition: String(partition) }, connected ? (lag.get(partition) ?? Number.NaN) : Number.NaN);
      },
    });
    new Gauge({
      name: 'uniqstream_assigned_partitions',
      help: 'Input partitions whose state this instance holds (the partitions /readyz lists)',
      registers,
      collect() {
        this.set(metrics.live.heldPartitions().length);
      },
    });
    new Gauge({
      name: 'uniqstream_kafka_connected',
      help:
        "1 while the broker answers this instance's fetches, 0 when none was answered for longer " +
        'than a fetch may wait (or before the first connection)',
      registers,
      collect() {
        this.set(metrics.live.kafkaConnected() ? 1 : 0);
      },
    });
    this.partialsOut = new Counter({
      name: 'uniqstream_partials_out_total',
      help: 'Partial results written to the partials topic (count role)',
      registers,
    });
    this.partialsIn = new Counter({
      name: 'uniqstream_partials_in_total',
      help: 'Partial results read from the partials topic (merge role)',
      registers,
    });
    this.replaysIgnored = new Counter({
      name: 'uniqstream_partials_replayed_total',
      help: 'Partial results the merge ignored as replays of windows already final',
      registers,
    });
    this.tombstones = new Counter({
      name: 'uniqstream_partials_deleted_total',
      help: 'Partial results of final windows deleted from the partials topic (tombstones)',
      registers,
    });
    this.resultsEmitted = new Counter({
      name: 'uniqstream_results_emitted_total',
      help: 'Merged results written to the results topic and acknowledged (merge role)',
      registers,
    });
    this.resultWriteFailures = new Counter({
      name: 'uniqstream_result_write_failures_total',
      help:
        'Merged results whose write to the results topic failed (not acknowledged in time, or ' +
        'refused); the merge rebuilds and writes them again',
      registers,
    });
    this.resultEmitLatency = new Histogram({
      name: 'uniqstream_result_emit_latency_seconds',
      help:
        'Per merged result: from the merge receiving the partials-topic record that produced it ' +
        'to the results topic acknowledging it (results of a rebuild not included)',
      buckets: EMIT_LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.checkpoints = new Counter({
      name: 'uniqstream_checkpoints_total',
      help: 'Durable checkpoints (every held partition each)',
      registers,
    });
    this.checkpointBytes = new Counter({
      name: 'uniqstream_checkpoint_bytes_total',
      help: 'Bytes of checkpoint records written',
      registers,
    });
    this.mergeActive = new Gauge({
      name: 'uniqstream_merge_active',
      help: "1 when this instance runs the group's merge, 0 when it stands by",
      registers,
    });
    new Gauge({
      name: 'uniqstream_merge_lag_records',
      help:
        'Records of the partials topic the merge has not read yet; NaN while unknown (not merging ' +
        'here, Kafka not answering)',
      registers,
      collect() {
        const lag = metrics.live.mergeLag();
        this.set(lag !== undefined && metrics.live.kafkaConnected() ? lag : Number.NaN);
      },
    });
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
