import {
  engineOptionsOf,
  parseEndpoint,
  PartitionedEngines,
  runPipeline,
  type Checkpointer,
  type DeadLetterSink,
  type PartialResult,
  type PartitionProgress,
  type PipelineSummary,
  type Positions,
  type ResultSink,
  type WindowResult,
} from '@uniqstream/core';
import { createDecoder } from '@uniqstream/frames';
import { createDeadLetterSink, sinkReady } from '@uniqstream/sinks';
import type { Admin, Kafka, Message } from 'kafkajs';
import type { Logger } from 'pino';
import { CheckpointStore } from './checkpoint-store.js';
import type { ServiceConfig } from './config.js';
import { ConsumerError } from './errors.js';
import { createStateWriter } from './kafka.js';
import { kafkaLogOf } from './log.js';
import type { ServiceMetrics } from './metrics.js';
import { PartitionSource } from './partition-source.js';
import { encodePartial, encodeProgress, partialKey, progressKey, type Checkpoint } from './records.js';

const MS_PER_SECOND = 1000;
/** How often the pipeline reports progress, which updates the metrics. */
const PROGRESS_INTERVAL_MS = 500;

export interface CountingContext {
  readonly config: ServiceConfig;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly log: Logger;
  readonly metrics: ServiceMetrics;
  readonly now: () => number;
  readonly signal: AbortSignal;
  readonly inputPartitions: number;
  readonly checkpointPartitions: number;
}

export interface CountingRole {
  /** Resolves when the pipeline stopped (signal) after its last checkpoint; rejects on failure. */
  readonly done: Promise<PipelineSummary>;
  /** Null when ready, else why not. */
  notReady(): string | null;
  describe(): string;
  /** Input partitions whose state is held here, ascending (what describe() lists). */
  heldPartitions(): number[];
  /** Records behind per held partition, as last seen. */
  lag(): ReadonlyMap<number, number>;
  /** How long the broker has left this role's fetches unanswered (0 while it answers; see PartitionSource). */
  fetchesUnansweredForMs(): number;
}

/**
 * The counting role: the input partitions this instance holds, one
 * CountingEngine each (PartitionedEngines), through core's pipeline; their
 * partial results go to the partials topic, and every checkpoint interval
 * (and on shutdown, and before a rebalance when kafkajs lets us see it):
 *
 * 1. the partials written so far are flushed (acknowledged);
 * 2. one checkpoint record per held partition (its engine state and the
 *    offset it covers) is written and acknowledged;
 * 3. a progress record per held partition (watermark, idle) goes to the
 *    partials topic, after its partials, and is acknowledged;
 * 4. the pipeline commits the group offsets.
 *
 * Progress comes after the checkpoint on purpose: a partition's reported
 * watermark is then never ahead of a durable state, which the merge relies
 * on to tell a replay from news (merge-state.ts).
 */
export function startCounting(context: CountingContext): CountingRole {
  const { config, kafka, log, metrics, now } = context;
  const count = config.count;
  const engines = new PartitionedEngines(engineOptionsOf(count));
  const partials = createStateWriter(kafka, config.partialsTopic, 'partial results');
  const store = new CheckpointStore({
    kafka,
    admin: context.admin,
    writer: createStateWriter(kafka, config.checkpointTopic, 'checkpoints'),
    topic: config.checkpointTopic,
    topicPartitions: context.checkpointPartitions,
    inputTopic: config.input.topic,
    group: count.group,
  });
  const idleTimeoutMs = count.idleTimeout * MS_PER_SECOND;
  /** Offset of the last checkpoint of each held partition, written or adopted. */
  const checkpointed = new Map<number, number>();
  /** The last progress written per held partition, as `watermark:idle`. */
  const progressWritten = new Map<number, string>();
  /** When each held partition without state yet was assigned, for its idleness. */
  const assignedAt = new Map<number, number>();

  const partialSink: ResultSink = {
    write(results: readonly WindowResult[]) {
      const messages: Message[] = new Array<Message>(results.length);
      for (let i = 0; i < results.length; i++) {
        const partial = results[i] as PartialResult;
        messages[i] = { key: partialKey(partial.window, partial.start, partial.partition), value: encodePartial(partial) };
      }
      metrics.partialsOut.inc(results.length);
      return partials.write(messages);
    },
    flush: () => partials.flush(),
    // Not flushed: what is not acknowledged by then is replayed from the checkpoint.
    close: () => partials.close({ flush: false }),
  };

  const progressOf = (partition: number): PartitionProgress => {
    const known = engines.partitions.includes(partition) ? engines.progress().find((p) => p.partition === partition) : undefined;
    if (known !== undefined) return known;
    // No frame yet: nothing holds the merge back once the partition has been quiet for the idle timeout.
    const since = assignedAt.get(partition) ?? now();
    return { partition, watermark: Number.NEGATIVE_INFINITY, idle: idleTimeoutMs > 0 && now() - since >= idleTimeoutMs };
  };

  /** Steps 1-3 above for the held partitions; returns the positions that may be committed. */
  const checkpoint = async (reason: string, positions: Positions): Promise<Positions> => {
    const held = source.heldPartitions();
    await partials.flush();
    const records: Checkpoint[] = [];
    for (const partition of held) {
      const offset = positions.get(partition);
      if (offset === undefined || checkpointed.get(partition) === offset) continue;
      const state = engines.snapshot(partition);
      if (state !== undefined) records.push({ topic: config.input.topic, partition, offset, engine: state });
    }
    let bytes = 0;
    if (records.length > 0) {
      await store.write(records);
      await store.flush();
      for (const record of records) {
        checkpointed.set(record.partition, record.offset);
        bytes += record.engine.length;
      }
      metrics.checkpointBytes.inc(bytes);
    }
    const progress: Message[] = [];
    for (const partition of held) {
      const p = progressOf(partition);
      const signature = `${p.watermark}:${p.idle}`;
      if (progressWritten.get(partition) === signature) continue;
      progressWritten.set(partition, signature);
      progress.push({ key: progressKey(partition), value: encodeProgress(p) });
    }
    if (progress.length > 0) {
      await partials.write(progress);
      await partials.flush();
    }
    metrics.checkpoints.inc();
    metrics.lastCheckpointAt = now();
    if (records.length > 0) {
      log.debug({ reason, partitions: records.map((r) => r.partition), offsets: records.map((r) => r.offset), bytes }, `checkpoint of partition${records.length === 1 ? '' : 's'} ${records.map((r) => r.partition).join(',')}`);
    }
    const out = new Map<number, number>();
    for (const partition of held) {
      const offset = positions.get(partition);
      if (offset !== undefined) out.set(partition, offset);
    }
    return out;
  };

  const source: PartitionSource = new PartitionSource({
    kafka,
    topic: config.input.topic,
    topicPartitions: context.inputPartitions,
    group: count.group,
    fromBeginning: count.fromBeginning,
    sessionTimeoutMs: config.sessionTimeoutMs,
    log,
    onBatch: (_partition, frames, bytes) => {
      metrics.framesIn.inc(frames);
      metrics.bytesIn.inc(bytes);
    },
    hooks: {
      assign: async (gained) => {
        const loaded = await store.load(gained);
        const offsets = new Map<number, number | undefined>();
        for (const partition of gained) {
          engines.release(partition);
          const saved = loaded.get(partition);
          if (saved === undefined) {
            assignedAt.set(partition, now());
            metrics.baseline(partition, undefined);
            offsets.set(partition, undefined);
            log.info({ partition }, `partition ${partition}: no checkpoint, starting ${count.fromBeginning ? 'from the committed offset or the beginning' : 'from the committed offset or the end'}`);
            continue;
          }
          try {
            engines.adopt(partition, saved.engine);
          } catch (error) {
            throw new ConsumerError('BAD_RECORD', `cannot adopt the checkpoint of partition ${partition}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
          }
          checkpointed.set(partition, saved.offset);
          metrics.baseline(partition, engines.engine(partition).stats);
          offsets.set(partition, saved.offset);
          log.info(
            { partition, offset: saved.offset, bytes: saved.engine.length, openWindows: engines.engine(partition).openWindows },
            `partition ${partition}: adopted its checkpoint, resuming at offset ${saved.offset}`,
          );
        }
        return offsets;
      },
      revoke: async (lost) => {
        // What the lost partitions produced goes out now, before their new owner gets far.
        await partials.flush();
        for (const partition of lost) {
          engines.release(partition);
          checkpointed.delete(partition);
          progressWritten.delete(partition);
          assignedAt.delete(partition);
          metrics.forget(partition);
        }
        log.info({ partitions: lost }, `released partition${lost.length === 1 ? '' : 's'} ${lost.join(',')} (the new owner adopts ${lost.length === 1 ? 'its' : 'their'} checkpoint)`);
      },
      rebalancing: async (held) => {
        await checkpoint('rebalance', engines.consumedPositions());
        log.info({ partitions: held }, 'checkpointed before the rebalance');
      },
    },
  });

  const checkpointer: Checkpointer = {
    intervalMs: count.checkpointInterval * MS_PER_SECOND,
    save: (_engine, positions) => checkpoint('interval', positions),
  };

  const onProgress = (): void => {
    for (const partition of engines.partitions) {
      const engine = engines.engine(partition);
      metrics.observe(partition, engine.stats);
      if (Number.isFinite(engine.watermark)) metrics.watermark.set({ partition: String(partition) }, engine.watermark);
    }
    metrics.openWindows.set({ role: 'count' }, engines.openWindows);
  };

  const run = async (): Promise<PipelineSummary> => {
    let deadLetters: DeadLetterSink | undefined;
    metrics.countingSince = now();
    try {
      await Promise.all([partials.ready(), store.connect()]);
      if (count.deadLetter !== undefined) {
        deadLetters = createDeadLetterSink(parseEndpoint(count.deadLetter, 'output'), { kafka: { log: kafkaLogOf(log), clientId: 'uniqstream-consumer' } });
        await sinkReady(deadLetters);
      }
      const summary = await runPipeline({
        source,
        decoder: createDecoder(count.parser, { maxFrameBytes: count.maxFrameBytes }),
        engine: engines,
        sink: partialSink,
        ...(deadLetters === undefined ? {} : { deadLetters }),
        now,
        signal: context.signal,
        idleTimeoutMs,
        checkpointer,
        // A service keeps open windows over a restart: they are in the checkpoint.
        onSignal: 'keep',
        progressIntervalMs: PROGRESS_INTERVAL_MS,
        onProgress,
      });
      onProgress();
      log.info({ frames: summary.frames, committed: Object.fromEntries(summary.committed) }, 'counting stopped after its last checkpoint');
      return summary;
    } finally {
      await source.close();
      await Promise.allSettled([partialSink.close(), store.close(), deadLetters?.close()]);
    }
  };

  return {
    done: run(),
    notReady: () => {
      if (source.ready) return null;
      if (!source.joined) return `count: not in group ${count.group} yet`;
      return source.ownedPartitions().length === 0 ? `count: no partition of ${config.input.topic} assigned` : 'count: adopting checkpoints';
    },
    describe: () => `count: partitions ${source.ownedPartitions().join(',') || 'none'} of ${config.input.topic}`,
    heldPartitions: () => source.ownedPartitions(),
    lag: () => source.lag(),
    fetchesUnansweredForMs: () => source.fetchesUnansweredForMs(),
  };
}
