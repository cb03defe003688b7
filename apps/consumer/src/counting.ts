import { engineOptionsOf, parseEndpoint } from '@uniqstream/app-config';
import {
  type Checkpointer,
  CoreError,
  type DeadLetterSink,
  type FrameBatch,
  type PartialResult,
  PartitionedEngines,
  type PartitionProgress,
  type PipelineSummary,
  type Positions,
  type ResultSink,
  runPipeline,
  type Source,
  type WindowResult,
} from '@uniqstream/core';
import { createDecoder } from '@uniqstream/frames';
import { KafkaError, topicOffsets } from '@uniqstream/kafka';
import { createDeadLetterSink, sinkReady } from '@uniqstream/sinks';
import { type KafkaSource, openKafkaSource } from '@uniqstream/sources';
import type { Admin, Kafka, Message } from 'kafkajs';
import type { Logger } from 'pino';
import { CheckpointStore, type StoredCheckpoint } from './checkpoint-store.js';
import type { ServiceConfig } from './config.js';
import { ConsumerError, consumerErrorOf } from './errors.js';
import { committedOffsets, createStateWriter } from './kafka.js';
import { kafkaLogOf } from './log.js';
import type { ServiceMetrics } from './metrics.js';
import { type Checkpoint, encodePartial, encodeProgress, partialKey, progressKey } from './records.js';
import { type OutgoingShare, ShareOutbox } from './share-outbox.js';
import { TransactionalProducer } from './transactions.js';

const MS_PER_SECOND = 1000;
const CLIENT_ID = 'uniqstream-consumer';
/** How often the pipeline reports progress, which updates the metrics. */
const PROGRESS_INTERVAL_MS = 500;
/**
 * How long a revision of a window's share waits after the share before it
 * (ShareOutbox); first and final shares never wait. A second: what readers
 * wait for (the first result and the final one) is never held, a revision
 * by late frames is visible within it, and replaying history at full speed
 * a window then sends about two shares (first and final) instead of one per
 * 100 ms, which halved the bytes the merge and kafkajs handled (23 -> 12 MB
 * per 1M frames of the bench's 1-partition topic).
 */
const SHARE_HOLD_MS = 1000;

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
  /** How long the broker has left this role's fetches unanswered (0 while it answers; see
   * KafkaSource.fetchesUnansweredForMs). */
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
 *
 * With --guarantee exactly-once, each held partition has a transactional
 * producer of its own (id `<group>.<input topic>.<partition>`, taken over
 * before the partition's checkpoint is read, which fences a previous owner
 * that has not noticed the move). Partials wait in memory, and each cycle
 * writes, per partition and in one transaction, its partials, its progress,
 * its checkpoint and its consumed offset: a crash or a move replays from the
 * last committed cycle, and nothing it wrote after it is ever visible.
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
  const exactlyOnce = config.guarantee === 'exactly-once';
  /** Exactly-once: the transactional producer of each held partition. */
  const transactions = new Map<number, TransactionalProducer>();
  /** Exactly-once: partials made since the partition's last committed cycle, the latest per key (the topic is
   * compacted), encoded at the commit. */
  const unsent = new Map<number, Map<string, () => Message>>();
  /** Exactly-once: partitions whose transactional id another instance has taken over; their work is dropped until
   * they are revoked. */
  const fenced = new Set<number>();
  /** Offset of the last checkpoint of each held partition, written or adopted. */
  const checkpointed = new Map<number, number>();
  /** The last progress written per held partition, as `watermark:idle`. */
  const progressWritten = new Map<number, string>();
  /** When each held partition without state yet was assigned, for its idleness. */
  const assignedAt = new Map<number, number>();

  /**
   * Partitions read again from their earliest offset to rebuild lost state,
   * with the committed offset the replay ends at: what they produce before it
   * was written when those frames were first counted.
   */
  const rebuilding = new Map<number, number>();
  const replaying = (partition: number): boolean => {
    const until = rebuilding.get(partition);
    if (until === undefined) return false;
    const at = engines.engine(partition).consumedPositions().get(partition) ?? 0;
    if (at <= until) return true;
    rebuilding.delete(partition);
    log.info(
      { partition, offset: until },
      `partition ${partition}: rebuilt its state up to offset ${until}; its results go out again from here`,
    );
    return false;
  };

  const sendPartials = (messages: Message[]): Promise<void> => {
    if (messages.length === 0) return Promise.resolve();
    metrics.partialsOut.inc(messages.length);
    return partials.write(messages);
  };
  // The writer keeps the failure and reports it at the next write or flush, which stops the pipeline.
  const heldSendFailed = (error: unknown): void =>
    log.debug({ error: String(error) }, 'a held partial result could not be queued');
  const outbox = new ShareOutbox({
    holdMs: SHARE_HOLD_MS,
    now,
    send: sendPartials,
    onSendError: heldSendFailed,
  });
  /** At-least-once: sends the held shares and waits until every partial written is acknowledged. */
  const flushPartials = async (): Promise<void> => {
    await sendPartials(outbox.release());
    await partials.flush();
  };

  const partialSink: ResultSink = {
    write(results: readonly WindowResult[]) {
      const shares: OutgoingShare[] = [];
      for (const result of results) {
        const partial = result as PartialResult;
        if (rebuilding.size > 0 && replaying(partial.partition)) continue;
        // Where the partition stands lets the merge publish windows it has passed before its next progress record.
        const watermark = engines.engine(partial.partition).watermark;
        const key = partialKey(partial.window, partial.start, partial.partition);
        // Encoded (and the counter serialized) only if it is sent: a newer share of the key may replace it first.
        const encode = (): Message => ({ key, value: encodePartial(partial, watermark) });
        if (!exactlyOnce) {
          shares.push({ key, final: partial.final, encode });
          continue;
        }
        if (fenced.has(partial.partition)) continue;
        let queue = unsent.get(partial.partition);
        if (queue === undefined) unsent.set(partial.partition, (queue = new Map()));
        queue.set(key, encode);
      }
      if (shares.length === 0) return;
      return sendPartials(outbox.offer(shares));
    },
    // Exactly-once: the partials go with the next cycle's transaction.
    flush: () => (exactlyOnce ? Promise.resolve() : flushPartials()),
    // Not flushed: what is not acknowledged by then is replayed from the checkpoint.
    close: () => {
      outbox.discard();
      return partials.close({ flush: false });
    },
  };

  const progressOf = (partition: number): PartitionProgress => {
    const known = engines.partitions.includes(partition)
      ? engines.progress().find((p) => p.partition === partition)
      : undefined;
    if (known !== undefined) return known;
    // No frame yet: nothing holds the merge back once the partition has been quiet for the idle timeout.
    const since = assignedAt.get(partition) ?? now();
    return {
      partition,
      watermark: Number.NEGATIVE_INFINITY,
      idle: idleTimeoutMs > 0 && now() - since >= idleTimeoutMs,
    };
  };

  /**
   * Adopts the newest of a partition's checkpoints that can be adopted; a
   * damaged one is reported and the one before it tried. Undefined when none
   * can. A sound checkpoint written with other counting options stops the
   * service: every instance of a group must count the same way.
   */
  const adoptNewest = (partition: number, candidates: readonly StoredCheckpoint[]): StoredCheckpoint | undefined => {
    for (const saved of candidates) {
      try {
        engines.adopt(partition, saved.engine);
        return saved;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (error instanceof CoreError && error.code === 'CHECKPOINT_MISMATCH') {
          throw new ConsumerError(
            'BAD_CONFIG',
            `partition ${partition}: its checkpoint (key "${partition}" at offset ${saved.recordOffset} ` +
              `of ${config.checkpointTopic}) does not fit this instance: ${reason}. Run every instance of group ` +
              `${count.group} with the same counting options`,
            { cause: error },
          );
        }
        log.error(
          { partition, topic: config.checkpointTopic, key: String(partition), offset: saved.recordOffset, reason },
          `partition ${partition}: cannot adopt the checkpoint at offset ${saved.recordOffset} ` +
            `of ${config.checkpointTopic} (${reason}); trying an older one`,
        );
      }
    }
    return undefined;
  };

  /**
   * Where partitions without a usable checkpoint start. Without committed
   * offsets they are new to the group: the committed-or-reset rule applies.
   * With them, state was lost (a checkpoint deleted, compacted away, never
   * written, or damaged): --missing-checkpoint decides.
   */
  const startsWithoutCheckpoint = async (partitions: readonly number[]): Promise<Map<number, number | undefined>> => {
    const out = new Map<number, number | undefined>();
    const [committed, bounds] = await Promise.all([
      committedOffsets(context.admin, count.group, config.input.topic),
      topicOffsets(context.admin, config.input.topic),
    ]).catch((error: unknown) => {
      throw error instanceof KafkaError ? consumerErrorOf(error) : error;
    });
    for (const partition of partitions) {
      assignedAt.set(partition, now());
      metrics.baseline(partition, undefined);
      const at = committed.get(partition);
      const low = Number(bounds.find((b) => b.partition === partition)?.low ?? 0);
      if (at === undefined) {
        out.set(partition, undefined);
        const start = count.fromBeginning ? 'from the beginning' : 'from the end';
        log.info({ partition }, `partition ${partition}: new to group ${count.group}, starting ${start}`);
      } else if (config.missingCheckpoint === 'continue' || at <= low) {
        out.set(partition, undefined);
        log.warn(
          { partition, offset: at, missingCheckpoint: config.missingCheckpoint },
          `partition ${partition}: committed offset ${at} but no usable checkpoint in ` +
            `${config.checkpointTopic}: continuing at ${at} with empty state, so the windows open there miss ` +
            `the frames before it and come out short${
              at <= low
                ? ' (nothing before it is ' + 'left to read again)'
                : ' (--missing-checkpoint ' + 'rebuild reads them again)'
            }`,
        );
      } else {
        out.set(partition, low);
        rebuilding.set(partition, at);
        cuts.set(partition, at);
        log.warn(
          { partition, offset: at, from: low, records: at - low, missingCheckpoint: config.missingCheckpoint },
          `partition ${partition}: committed offset ${at} but no usable checkpoint in ` +
            `${config.checkpointTopic}: reading it again from offset ${low} to rebuild the windows open at ${at} ` +
            `(${at - low} records; nothing before ${at} is written again)`,
        );
      }
    }
    return out;
  };

  /**
   * Exactly-once: one transaction per held partition with what it made
   * since its last one, its progress, its checkpoint and its consumed
   * offset. Resolves with no positions: the offsets went with the
   * transactions, and a commit outside them could come from a zombie.
   */
  const commitCycle = async (reason: string, positions: Positions): Promise<Positions> => {
    let bytes = 0;
    const committed: number[] = [];
    await Promise.all(
      input.assigned().map(async (partition) => {
        const producer = transactions.get(partition);
        if (producer === undefined || fenced.has(partition)) return;
        const offset = positions.get(partition);
        const state =
          offset === undefined || checkpointed.get(partition) === offset ? undefined : engines.snapshot(partition);
        const progress = progressOf(partition);
        const signature = `${progress.watermark}:${progress.idle}`;
        const made = [...(unsent.get(partition)?.values() ?? [])].map((encode) => encode());
        const newProgress = progressWritten.get(partition) !== signature;
        if (state === undefined && made.length === 0 && !newProgress) return;
        const partialRecords = newProgress
          ? [...made, { key: progressKey(partition), value: encodeProgress(progress) }]
          : made;
        const checkpointRecords =
          state === undefined || offset === undefined
            ? []
            : [store.recordOf({ topic: config.input.topic, partition, offset, engine: state })];
        try {
          await producer.commit(
            [
              { topic: config.partialsTopic, messages: partialRecords },
              { topic: config.checkpointTopic, messages: checkpointRecords },
            ],
            offset === undefined
              ? undefined
              : { group: count.group, topic: config.input.topic, offsets: new Map([[partition, offset]]) },
          );
        } catch (error) {
          if (!(error instanceof ConsumerError && error.code === 'FENCED')) throw error;
          // Moved to another instance (this one missed the rebalance): its successor has the partition from the
          // last committed cycle.
          fenced.add(partition);
          unsent.delete(partition);
          log.warn(
            { partition, transactionalId: producer.transactionalId },
            `partition ${partition}: another instance has taken it over; dropping what this one made ` +
              `since its last transaction`,
          );
          return;
        }
        unsent.delete(partition);
        progressWritten.set(partition, signature);
        metrics.partialsOut.inc(made.length);
        if (state !== undefined && offset !== undefined) {
          checkpointed.set(partition, offset);
          bytes += state.length;
          committed.push(partition);
        }
      }),
    );
    const lost = [...fenced].filter((partition) => engines.partitions.includes(partition));
    if (lost.length > 0) {
      // Its state is stale now: drop it, and adopt the partition afresh if the group gives it back.
      input.giveUp(lost);
      for (const partition of lost) {
        engines.release(partition);
        checkpointed.delete(partition);
        progressWritten.delete(partition);
        metrics.forget(partition);
      }
    }
    metrics.checkpointBytes.inc(bytes);
    metrics.checkpoints.inc();
    metrics.lastCheckpointAt = now();
    if (committed.length > 0)
      log.debug(
        { reason, partitions: committed, bytes },
        `checkpoint of partition${committed.length === 1 ? '' : 's'} ${committed.join(',')} ` +
          `(committed with their partials and offsets)`,
      );
    return new Map();
  };

  /** Exactly-once: takes over the transactional ids of gained partitions, fencing a previous owner, before their
   * checkpoints are read. */
  const takeOver = async (gained: readonly number[]): Promise<void> => {
    await Promise.all(
      gained.map(async (partition) => {
        fenced.delete(partition);
        unsent.delete(partition);
        await transactions.get(partition)?.close();
        const producer = new TransactionalProducer(kafka, `${count.group}.${config.input.topic}.${partition}`);
        transactions.set(partition, producer);
        await producer.fence();
      }),
    );
  };

  const letGo = async (lost: readonly number[]): Promise<void> => {
    for (const partition of lost) {
      fenced.delete(partition);
      unsent.delete(partition);
    }
    await Promise.all(lost.map((partition) => transactions.get(partition)?.close()));
    for (const partition of lost) transactions.delete(partition);
  };

  /** Steps 1-3 above for the held partitions (or, exactly-once, one transaction each); returns the positions that
   * may be committed. */
  const checkpoint = async (reason: string, positions: Positions): Promise<Positions> => {
    if (exactlyOnce) return commitCycle(reason, positions);
    const held = input.assigned();
    await flushPartials();
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
      log.debug(
        { reason, partitions: records.map((r) => r.partition), offsets: records.map((r) => r.offset), bytes },
        `checkpoint of partition${records.length === 1 ? '' : 's'} ${records.map((r) => r.partition).join(',')}`,
      );
    }
    const out = new Map<number, number>();
    for (const partition of held) {
      const offset = positions.get(partition);
      if (offset !== undefined) out.set(partition, offset);
    }
    return out;
  };

  /** The group's assignment as of the last join this instance heard; `joined` once it heard one. */
  const group = new Set<number>();
  let joined = false;
  /** Per partition, the lag last read (the source reads it asynchronously; /metrics and /readyz read it at once). */
  let lag: ReadonlyMap<number, number> = new Map();
  /** Per partition, a position no batch handed to the pipeline may straddle: where a rebuild's replay ends. */
  const cuts = new Map<number, number>();

  const input: KafkaSource = openKafkaSource({
    brokers: config.input.brokers,
    topic: config.input.topic,
    group: count.group,
    fromBeginning: count.fromBeginning,
    clientId: CLIENT_ID,
    log: kafkaLogOf(log),
    ...(config.security === undefined ? {} : { security: config.security }),
    sessionTimeoutMs: config.sessionTimeoutMs,
    // A service outlives outages: it waits for the broker (and says so on /readyz) rather than stop.
    unavailableTimeoutMs: 0,
    onAssignment: (gained, lost) => {
      for (const partition of gained) group.add(partition);
      for (const partition of lost) group.delete(partition);
      joined = true;
      const now = [...group].sort((a, b) => a - b);
      log.info(
        { partitions: now, gained, lost, group: count.group },
        `joined group ${count.group}: partitions ${now.length === 0 ? 'none' : now.join(',')} of ${config.input.topic}`,
      );
    },
    partitions: {
      assigned: async (gained) => {
        if (exactlyOnce) await takeOver(gained);
        const loaded = await store.load(gained, (skipped) =>
          log.error(
            {
              partition: skipped.partition,
              topic: config.checkpointTopic,
              key: skipped.key,
              offset: skipped.offset,
              reason: skipped.reason,
            },
            `partition ${skipped.partition}: skipping the record under key "${skipped.key}" at offset ` +
              `${skipped.offset} of ${config.checkpointTopic}, which is not a checkpoint this service can read ` +
              `(${skipped.reason})`,
          ),
        );
        const offsets = new Map<number, number | undefined>();
        const missing: number[] = [];
        for (const partition of gained) {
          engines.release(partition);
          const saved = adoptNewest(partition, loaded.get(partition) ?? []);
          if (saved === undefined) {
            missing.push(partition);
            continue;
          }
          checkpointed.set(partition, saved.offset);
          metrics.baseline(partition, engines.engine(partition).stats);
          offsets.set(partition, saved.offset);
          log.info(
            {
              partition,
              offset: saved.offset,
              bytes: saved.engine.length,
              openWindows: engines.engine(partition).openWindows,
            },
            `partition ${partition}: adopted its checkpoint, resuming at offset ${saved.offset}`,
          );
        }
        if (missing.length > 0)
          for (const [partition, offset] of await startsWithoutCheckpoint(missing)) offsets.set(partition, offset);
        return offsets;
      },
      revoked: async (lost) => {
        // What the lost partitions produced goes out now, before their new owner gets far
        // (exactly-once: what their last transaction did not take is dropped; the new owner makes it again).
        if (exactlyOnce) await letGo(lost);
        else await flushPartials();
        for (const partition of lost) {
          rebuilding.delete(partition);
          engines.release(partition);
          checkpointed.delete(partition);
          progressWritten.delete(partition);
          assignedAt.delete(partition);
          cuts.delete(partition);
          metrics.forget(partition);
        }
        const one = lost.length === 1;
        log.info(
          { partitions: lost },
          `released partition${one ? '' : 's'} ${lost.join(',')} ` +
            `(the new owner adopts ${one ? 'its' : 'their'} checkpoint)`,
        );
      },
      rebalancing: async (held) => {
        await checkpoint('rebalance', engines.consumedPositions());
        log.info({ partitions: held }, 'checkpointed before the rebalance');
      },
    },
  });

  /**
   * The source as the pipeline reads it: frames and bytes counted for the
   * metrics, and a batch that straddles a rebuild's end cut in two there, so
   * that the results after each tell which side they come from.
   */
  const source: Source = {
    name: input.name,
    async *batches(signal?: AbortSignal): AsyncGenerator<FrameBatch> {
      for await (const batch of input.batches(signal)) {
        const frames = batch.frames;
        if (frames.length > 0) {
          let bytes = 0;
          for (const frame of frames) bytes += frame.length;
          metrics.framesIn.inc(frames.length);
          metrics.bytesIn.inc(bytes);
        }
        const cut = cuts.get(batch.partition);
        if (cut === undefined || batch.next <= cut) {
          yield batch;
          // An idle tick, once the pipeline has drained it: with the input paused, a held revision would only wait
          // out its hold.
          if (frames.length === 0 && !exactlyOnce && outbox.waiting > 0) {
            sendPartials(outbox.release()).catch(heldSendFailed);
          }
          continue;
        }
        cuts.delete(batch.partition);
        for (const part of cutAt(batch, cut)) yield part;
      }
    },
    commit: (positions) => input.commit(positions),
    close: () => input.close(),
  };

  const checkpointer: Checkpointer = {
    intervalMs: count.checkpointInterval * MS_PER_SECOND,
    save: (_engine, positions) => checkpoint('interval', positions),
  };

  const onProgress = (): void => {
    void input.lag().then(
      (read) => (lag = read),
      () => undefined,
    );
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
        const sink = createDeadLetterSink(parseEndpoint(count.deadLetter, 'output'), {
          kafka: {
            log: kafkaLogOf(log),
            clientId: CLIENT_ID,
            ...(config.security === undefined ? {} : { security: config.security }),
          },
        });
        await sinkReady(sink);
        deadLetters = {
          // Frames before a rebuild's end were reported when first counted.
          write: (letters) =>
            sink.write(
              rebuilding.size === 0
                ? letters
                : letters.filter((l) => !(l.position < (rebuilding.get(l.partition) ?? Number.NEGATIVE_INFINITY))),
            ),
          flush: () => sink.flush(),
          close: () => sink.close(),
        };
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
        wallClockAfterMs: count.wallClockAfter * MS_PER_SECOND,
        checkpointer,
        // A service keeps open windows over a restart: they are in the checkpoint.
        onSignal: 'keep',
        progressIntervalMs: PROGRESS_INTERVAL_MS,
        onProgress,
      });
      onProgress();
      log.info(
        { frames: summary.frames, committed: Object.fromEntries(summary.committed) },
        'counting stopped after its last checkpoint',
      );
      return summary;
    } finally {
      await input.close();
      await Promise.allSettled([
        partialSink.close(),
        store.close(),
        deadLetters?.close(),
        letGo([...transactions.keys()]),
      ]);
    }
  };

  return {
    done: run(),
    notReady: () => {
      if (!joined) return `count: not in group ${count.group} yet`;
      if (group.size === 0) return `count: no partition of ${config.input.topic} assigned`;
      const held = new Set(input.assigned());
      return [...group].every((partition) => held.has(partition)) ? null : 'count: adopting checkpoints';
    },
    describe: () => `count: partitions ${input.assigned().join(',') || 'none'} of ${config.input.topic}`,
    heldPartitions: () => input.assigned(),
    lag: () => lag,
    fetchesUnansweredForMs: () => input.fetchesUnansweredForMs(),
  };
}

/** The batch's frames before `at` and from it, as two batches (either may be missing when empty). */
function cutAt(batch: FrameBatch, at: number): FrameBatch[] {
  const positions = batch.positions;
  let split = 0;
  while (split < batch.frames.length && positions[split]! < at) split++;
  const parts: FrameBatch[] = [];
  if (split > 0)
    parts.push({
      ...batch,
      frames: batch.frames.slice(0, split),
      positions: Float64Array.from({ length: split }, (_, i) => positions[i]!),
      next: at,
    });
  if (split < batch.frames.length) {
    parts.push({
      ...batch,
      frames: batch.frames.slice(split),
      positions: Float64Array.from({ length: batch.frames.length - split }, (_, i) => positions[split + i]!),
    });
  }
  return parts;
}
