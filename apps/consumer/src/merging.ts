import type { Granularity, WindowResult } from '@uniqstream/core';
import { randomBytes } from 'node:crypto';
import { formatResultJson, resultKey } from '@uniqstream/sinks';
import {
  brokerAnswers,
  describeKafkaError,
  FETCH_STALE_MARGIN_MS,
  isCoordinatorNotFound,
  KafkaError,
  onFetchAnswered,
  readToEnd,
  topicOffsets,
  waitUntilBrokerAnswers,
} from '@uniqstream/kafka';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaTopicRef, ServiceConfig } from './config.js';
import { ConsumerError, consumerErrorOf } from './errors.js';
import { createStateWriter, STATE_FETCH } from './kafka.js';
import { MergeState } from './merge-state.js';
import type { ServiceMetrics } from './metrics.js';
import { ResultWriter } from './result-writer.js';

const PARTIALS_PARTITION = 0;
const MAX_HEARTBEAT_INTERVAL_MS = 3_000;
const HEARTBEATS_PER_SESSION = 3;
const MAX_WAIT_MS = 250;
/** Fetches in a row without records after which the rebuild counts as caught up (the log's tail may be compacted
 * away). */
const EMPTY_FETCHES_AT_END = 3;
/** Merge lag (records) up to which the merge counts as caught up for /readyz. */
const CAUGHT_UP_LAG = 1_000;
/** Reading the results topic (one record per window once compacted) when the merge takes over. */
const READ_PUBLISHED_TIMEOUT_MS = 120_000;
const RANK: Record<Granularity, number> = { minute: 0, hour: 1, day: 2, week: 3, month: 4, year: 5 };

export interface MergingContext {
  readonly config: ServiceConfig;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly log: Logger;
  readonly metrics: ServiceMetrics;
  readonly signal: AbortSignal;
  readonly inputPartitions: number;
  /** Monotonic milliseconds. */
  readonly now: () => number;
}

export interface MergingRole {
  /** Resolves once stopped (after the signal) with its results flushed; rejects on failure. */
  readonly done: Promise<void>;
  notReady(): string | null;
  describe(): string;
  /** Why results cannot be written now (notReady() says the same), or null. */
  fault(): string | null;
  /** Records of the partials topic not read yet; undefined while this instance does not merge or has not read yet. */
  lag(): number | undefined;
  /** How long the broker has left the merge's fetches unanswered past their wait and a margin; 0 while it answers
   * or none are due. */
  fetchesUnansweredForMs(): number;
}

/**
 * The merge role. Every instance with it joins the consumer group
 * `<group>.merge` on the 1-partition partials topic, so exactly one of them
 * merges at a time and another takes over when it stops or dies. On getting
 * the partition, it reads the compacted topic from its beginning to rebuild
 * the merge state (publishing only each window's latest result once caught
 * up), then follows it: partials and progress go into MergeState, merged
 * results to --to (key window:start, the result JSON), and once a final
 * result is acknowledged the window's partial keys get tombstones.
 *
 * A results write that fails (not acknowledged in time: the topic deleted,
 * the broker away) loses nothing the partials topic does not still hold:
 * the merge sets the results topic up again (ResultWriter.recover) and
 * rebuilds from the partials topic, which writes every window's latest
 * result again. Tombstones go only after acknowledged finals, so the
 * rebuild still finds the shares of every window whose result may be lost.
 */
export function startMerging(context: MergingContext): MergingRole {
  const { config, kafka, log, metrics, now } = context;
  const output = config.output as KafkaTopicRef;
  const topic = config.partialsTopic;
  const group = `${config.count.group}.merge`;
  const exactlyOnce = config.guarantee === 'exactly-once';
  /** The results topic is on the cluster of the partials: the rebuild can read what was published (always so
   * exactly-once). */
  const sameCluster = output.brokers.join(',') === config.input.brokers.join(',');
  const writer = new ResultWriter({
    output,
    clientId: 'uniqstream-consumer',
    security: config.security,
    log,
    metrics,
    now,
    ...(exactlyOnce ? { transactional: { kafka, transactionalId: `${config.count.group}.merge` } } : {}),
  });
  /** What the results topic held when this merge took over: the rebuild writes only what differs. */
  let published = new Map<string, string>();
  const tombstones = createStateWriter(kafka, topic, 'tombstones of final windows');
  const newState = (): MergeState =>
    new MergeState({
      partitions: context.inputPartitions,
      combine: config.combine,
      allowedLateness: config.count.allowedLateness,
      hllPrecision: config.count.hllPrecision,
    });

  let state: MergeState | undefined;
  /** A generation of the assignment: work of an older one is dropped. */
  let generation = 0;
  let seeking = false;
  let rebuilding = false;
  let rebuildEnd = 0;
  let rebuildRecords = 0;
  let rebuilt = new Map<string, WindowResult>();
  let emptyFetches = 0;
  let lag = Number.POSITIVE_INFINITY;
  /** When a fetch last answered, or fetching (re)started after a seek. */
  let lastAnswerAt = Number.NEGATIVE_INFINITY;
  let failure: unknown;
  /** Set once the role stops: the consumer is going away, and the next merger rebuilds from the topic. */
  let stopping = false;
  let fail: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);
  /** Merge work runs one piece at a time (batches, the end of a rebuild). */
  let work: Promise<void> = Promise.resolve();
  const serial = (piece: () => Promise<void>): Promise<void> => {
    work = work.then(piece).catch((error: unknown) => {
      // Work cut short by the stop (kafkajs refuses a seek once its consumer stopped) is not a failure.
      if (stopping) {
        log.warn(
          { reason: describeKafkaError(error) },
          `merge work cut short by the stop; the next merger rebuilds it from ${topic}`,
        );
        return;
      }
      failure ??= error;
      fail(error);
    });
    return work;
  };

  const heartbeatIntervalMs = Math.min(
    MAX_HEARTBEAT_INTERVAL_MS,
    Math.floor(config.sessionTimeoutMs / HEARTBEATS_PER_SESSION),
  );
  const consumer: Consumer = kafka.consumer({
    groupId: group,
    sessionTimeout: config.sessionTimeoutMs,
    heartbeatInterval: heartbeatIntervalMs,
    ...STATE_FETCH,
    maxWaitTimeInMs: MAX_WAIT_MS,
    allowAutoTopicCreation: false,
  });

  /**
   * Writes results, waits for them, then deletes what final windows no
   * longer need. False when the write failed: the rewrite after it is under
   * way, and the caller drops what it was doing (its state is gone).
   */
  const publish = async (
    results: readonly WindowResult[],
    merge: MergeState,
    receivedAt?: number,
  ): Promise<boolean> => {
    if (exactlyOnce) {
      // The results and the deletes they allow commit together, or neither (and then the state is rebuilt).
      merge.resultsDurable();
      const keys = merge.takeTombstones();
      const outcome = await writer.write(results, receivedAt, [
        { topic, messages: keys.map((key) => ({ key, value: null, partition: PARTIALS_PARTITION })) },
      ]);
      if (outcome !== 'written') return afterFailedWrite(outcome);
      metrics.tombstones.inc(keys.length);
    } else {
      const outcome = await writer.write(results, receivedAt);
      if (outcome !== 'written') return afterFailedWrite(outcome);
      merge.resultsDurable();
      const keys = merge.takeTombstones();
      if (keys.length > 0) {
        await tombstones.write(keys.map((key) => ({ key, value: null, partition: PARTIALS_PARTITION })));
        await tombstones.flush();
        metrics.tombstones.inc(keys.length);
      }
    }
    metrics.openWindows.set({ role: 'merge' }, merge.openWindows);
    return true;
  };

  const finishRebuild = async (merge: MergeState): Promise<void> => {
    rebuilding = false;
    const latest = [...rebuilt.values()].sort(
      (a, b) => a.end - b.end || RANK[a.window] - RANK[b.window] || a.start - b.start,
    );
    rebuilt = new Map();
    const changed = latest.filter((result) => published.get(resultKey(result)) !== formatResultJson(result));
    published = new Map();
    if (!(await publish(changed, merge))) return;
    log.info(
      {
        records: rebuildRecords,
        results: changed.length,
        unchanged: latest.length - changed.length,
        openWindows: merge.openWindows,
      },
      `merge rebuilt from ${rebuildRecords} records of ${topic}; following it now`,
    );
  };

  const onAssigned = async (mine: number): Promise<void> => {
    // Exactly-once: fence the merge this one takes over from before reading what it published.
    await writer.takeOver();
    published = sameCluster ? await readPublished() : new Map();
    const offsets = await topicOffsets(context.admin, topic).catch((error: unknown) => {
      throw error instanceof KafkaError ? consumerErrorOf(error) : error;
    });
    const partition = offsets.find((o) => o.partition === PARTIALS_PARTITION);
    if (mine !== generation || stopping) return;
    const low = Number(partition?.low ?? 0);
    rebuildEnd = Number(partition?.high ?? 0);
    rebuildRecords = 0;
    rebuilt = new Map();
    state = newState();
    rebuilding = true;
    emptyFetches = 0;
    lag = Number.POSITIVE_INFINITY;
    consumer.seek({ topic, partition: PARTIALS_PARTITION, offset: String(low) });
    consumer.resume([{ topic, partitions: [PARTIALS_PARTITION] }]);
    seeking = false;
    lastAnswerAt = now();
    metrics.mergeActive.set(1);
    log.info(
      { group, from: low, to: rebuildEnd },
      `merging: reading ${topic} from offset ${low} to rebuild (${rebuildEnd - low} records)`,
    );
    if (rebuildEnd <= low) await finishRebuild(state);
  };

  /** The latest record of every key of the results topic (read_committed), as the rebuild compares them. */
  const readPublished = async (): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    if (!(await context.admin.listTopics()).includes(output.topic)) return out;
    const partitions = (await topicOffsets(context.admin, output.topic)).map((o) => o.partition);
    await readToEnd({
      kafka,
      admin: context.admin,
      topic: output.topic,
      partitions,
      groupId: `${group}.results-reader.${randomBytes(6).toString('hex')}`,
      timeoutMs: READ_PUBLISHED_TIMEOUT_MS,
      ...STATE_FETCH,
      onRecord: (_partition, _offset, key, value) => {
        if (key === null) return;
        if (value === null) out.delete(key);
        else out.set(key, value.toString());
      },
    }).catch((error: unknown) => {
      throw error instanceof KafkaError ? consumerErrorOf(error) : error;
    });
    return out;
  };

  /** A results write that did not go through: fenced means another merge took over (wait for the group to say so),
   * else write everything again. */
  const afterFailedWrite = (outcome: 'failed' | 'fenced'): false => {
    if (outcome === 'failed') {
      rewriteAfterFailure();
      return false;
    }
    generation++;
    state = undefined;
    rebuilding = false;
    seeking = false;
    consumer.pause([{ topic, partitions: [PARTIALS_PARTITION] }]);
    metrics.mergeActive.set(0);
    return false;
  };

  /**
   * A results write failed. The state cannot tell which of its results
   * are durable, so it is dropped: once the topic is set up again, the
   * merge rebuilds from the partials topic and writes every window's latest
   * result (results are idempotent: the same key, the same or a newer revision).
   */
  const rewriteAfterFailure = (): void => {
    generation++;
    const mine = generation;
    state = undefined;
    rebuilding = false;
    seeking = true;
    consumer.pause([{ topic, partitions: [PARTIALS_PARTITION] }]);
    // Not awaited by the batch that failed: kafkajs keeps heartbeating while the topic comes back.
    void serial(async () => {
      if (!(await writer.recover(context.signal))) return;
      if (mine === generation && !stopping) await onAssigned(mine);
    });
  };

  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const assigned = (event.payload.memberAssignment[topic] ?? []).includes(PARTIALS_PARTITION);
    const wasActive = state !== undefined || seeking;
    generation++;
    if (!assigned) {
      state = undefined;
      seeking = false;
      rebuilding = false;
      metrics.mergeActive.set(0);
      if (wasActive) log.info({ group }, 'merge moved to another instance');
      else log.info({ group }, 'merge standing by (another instance merges)');
      return;
    }
    // Nothing is read before the consumer seeks to the beginning: the state is rebuilt from the whole topic.
    consumer.pause([{ topic, partitions: [PARTIALS_PARTITION] }]);
    seeking = true;
    state = undefined;
    const mine = generation;
    void serial(() => onAssigned(mine));
  });
  onFetchAnswered(consumer, () => {
    lastAnswerAt = now();
  });
  consumer.on(consumer.events.FETCH, () => {
    if (!rebuilding) return;
    emptyFetches++;
    const merge = state;
    if (emptyFetches >= EMPTY_FETCHES_AT_END && merge !== undefined) {
      void serial(async () => {
        if (rebuilding && state === merge) await finishRebuild(merge);
      });
    }
  });
  consumer.on(consumer.events.CRASH, (event) => {
    if (event.payload.restart) {
      log.warn({ reason: describeKafkaError(event.payload.error) }, 'the merge consumer stopped; kafkajs restarts it');
      return;
    }
    const failure = new ConsumerError(
      'KAFKA_FAILED',
      `merging ${topic} failed: ${describeKafkaError(event.payload.error)}`,
      { cause: event.payload.error },
    );
    if (stopping || !isCoordinatorNotFound(event.payload.error)) {
      fail(failure);
      return;
    }
    void restartAfterOutage(failure);
  });

  /**
   * A heartbeat in a broker outage can end the merge consumer for good
   * (see isCoordinatorNotFound). A service waits outages out, so while the
   * broker is away the consumer is started again once it is back. The same
   * error with the broker there is a group the user may not read: that
   * fails as before.
   */
  const restartAfterOutage = async (failure: ConsumerError): Promise<void> => {
    if (await brokerAnswers(context.admin)) {
      fail(failure);
      return;
    }
    log.warn({ group }, `merge: the broker is away (${failure.message}); merging resumes once it is back`);
    state = undefined;
    seeking = false;
    rebuilding = false;
    metrics.mergeActive.set(0);
    if (!(await waitUntilBrokerAnswers(context.admin, { stopped: () => stopping }))) return;
    // As kafkajs restarts a consumer itself: run() joins the group again, and the assignment rebuilds the state.
    await consumer.run({ autoCommit: false, eachBatch }).catch((error: unknown) =>
      fail(
        new ConsumerError('KAFKA_FAILED', `cannot resume merging ${topic}: ${describeKafkaError(error)}`, {
          cause: error,
        }),
      ),
    );
  };

  const eachBatch = async ({ batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> => {
    const receivedAt = now();
    emptyFetches = 0;
    const mine = generation;
    const piece = serial(async () => {
      const merge = state;
      if (merge === undefined || seeking || mine !== generation) return;
      const replaysBefore = merge.counts.replays;
      for (const message of batch.messages) {
        const key = message.key?.toString();
        if (key === undefined) continue;
        try {
          merge.apply(key, message.value);
        } catch (error) {
          if (!(error instanceof ConsumerError)) throw error;
          log.error(
            { key, offset: message.offset, reason: error.message },
            `skipping a record of ${topic} the merge cannot read`,
          );
        }
      }
      metrics.partialsIn.inc(batch.messages.length);
      metrics.replaysIgnored.inc(merge.counts.replays - replaysBefore);
      const next = Number(batch.lastOffset()) + 1;
      lag = Math.max(0, Number(batch.highWatermark) - next);
      const results = merge.takeResults();
      if (rebuilding) {
        rebuildRecords += batch.messages.length;
        for (const result of results) rebuilt.set(resultKey(result), result);
        if (next >= rebuildEnd) await finishRebuild(merge);
      } else {
        await publish(results, merge, receivedAt);
      }
      // A failed write started the rewrite: this batch is read again by the rebuild.
      if (state !== merge) return;
      resolveOffset(batch.lastOffset());
      // Only for monitoring (kafka-consumer-groups --describe): a merge always rebuilds from the beginning.
      await consumer
        .commitOffsets([{ topic, partition: PARTIALS_PARTITION, offset: String(next) }])
        .catch(() => undefined);
    });
    await heartbeatWhile(piece, heartbeat, heartbeatIntervalMs);
    if (failure !== undefined) throw failure;
    await heartbeat();
  };

  const run = async (): Promise<void> => {
    metrics.mergeActive.set(0);
    await Promise.all([writer.ready(), tombstones.ready()]);
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatch });
    } catch (error) {
      throw new ConsumerError('KAFKA_FAILED', `cannot start merging ${topic}: ${describeKafkaError(error)}`, {
        cause: error,
      });
    }
    try {
      await Promise.race([stopped(context.signal), failed]);
    } finally {
      stopping = true;
      // Stop fetching first: kafkajs waits for the batch in hand, whose results are then flushed.
      await consumer.disconnect().catch(() => undefined);
      await work.catch(() => undefined);
      await Promise.allSettled([writer.close(), tombstones.close({ flush: false })]);
      metrics.mergeActive.set(0);
    }
    if (failure !== undefined) throw failure;
    log.info({ group }, 'merging stopped');
  };

  return {
    done: run(),
    notReady: () => {
      const fault = writer.fault();
      if (fault !== null) return fault;
      if (state === undefined && !seeking) return 'merge: standing by (another instance merges)';
      if (seeking || rebuilding) return `merge: rebuilding from ${topic}`;
      if (lag > CAUGHT_UP_LAG && Number.isFinite(lag)) return `merge: ${lag} records behind on ${topic}`;
      return null;
    },
    describe: () =>
      state === undefined
        ? 'merge: standing by'
        : `merge: ${rebuilding ? 'rebuilding' : 'following'} ${topic}, ${state.openWindows} windows open`,
    fault: () => writer.fault(),
    lag: () => (state !== undefined && Number.isFinite(lag) ? lag : undefined),
    fetchesUnansweredForMs: () => {
      // Standing by or paused for a seek: nothing is fetched, so silence says nothing.
      if (state === undefined || seeking) return 0;
      const silent = now() - lastAnswerAt;
      return silent < MAX_WAIT_MS + FETCH_STALE_MARGIN_MS ? 0 : silent;
    },
  };
}

/**
 * Heartbeats while `work` runs, so that a slow batch (a results write
 * waiting for its acknowledgement, a large rebuild) does not cost the merge
 * its group membership; a heartbeat's error (a rebalance) is thrown once
 * the work is done, as the heartbeat after it would.
 */
async function heartbeatWhile(work: Promise<void>, heartbeat: () => Promise<void>, intervalMs: number): Promise<void> {
  let failure: unknown;
  const timer = setInterval(() => {
    heartbeat().catch((error: unknown) => {
      failure ??= error;
    });
  }, intervalMs);
  try {
    await work;
  } finally {
    clearInterval(timer);
  }
  if (failure !== undefined) throw failure;
}

function stopped(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
