import type { Admin, Kafka } from 'kafkajs';
import { describeKafkaError, isTransient } from './describe-error.js';
import { KafkaError } from './errors.js';
import { GaveUp, retryUntil } from './retry.js';

/** Fetches in a row that brought nothing before the rest of a partition counts as gone (compaction removed its
 * tail). */
const EMPTY_FETCHES_AT_END = 3;
const SESSION_TIMEOUT_MS = 10_000;
const HEARTBEAT_INTERVAL_MS = 3_000;
const MAX_WAIT_MS = 250;
/** How long a topic's offsets are asked for again while the cluster settles (a topic just created, a leader moving). */
export const OFFSETS_RETRY_MS = 30_000;

export interface ReadToEndOptions {
  readonly kafka: Kafka;
  /** A connected admin of the same cluster: for the end offsets, and to delete the group afterwards. */
  readonly admin: Admin;
  readonly topic: string;
  /** Partitions to read; the others are paused. */
  readonly partitions: readonly number[];
  /** A group of its own: it commits nothing and is deleted afterwards. */
  readonly groupId: string;
  readonly timeoutMs: number;
  /** kafkajs fetch sizes: large enough that the largest record fits one answer (kafkajs's defaults otherwise). */
  readonly maxBytesPerPartition?: number;
  readonly maxBytes?: number;
  /** Every record, in offset order per partition. */
  readonly onRecord: (partition: number, offset: number, key: string | null, value: Buffer | null) => void;
}

/**
 * Reads partitions of a topic from their beginning up to the end they had
 * when the call started (e.g. a compacted topic of state: the latest record
 * per key is the one that counts) and resolves with the number of records.
 * kafkajs has no consumer without a group, so this joins a throwaway group,
 * which is deleted again. Rejects with KafkaError('FAILED').
 */
export async function readToEnd(options: ReadToEndOptions): Promise<number> {
  const { kafka, admin, topic } = options;
  const wanted = new Set(options.partitions);
  const ends = new Map<number, number>();
  for (const offsets of await topicOffsets(admin, topic)) {
    if (wanted.has(offsets.partition) && Number(offsets.high) > Number(offsets.low))
      ends.set(offsets.partition, Number(offsets.high));
  }
  if (ends.size === 0) return 0;

  const consumer = kafka.consumer({
    groupId: options.groupId,
    ...(options.maxBytesPerPartition === undefined ? {} : { maxBytesPerPartition: options.maxBytesPerPartition }),
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    sessionTimeout: SESSION_TIMEOUT_MS,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    maxWaitTimeInMs: MAX_WAIT_MS,
    allowAutoTopicCreation: false,
  });
  let records = 0;
  let emptyFetches = 0;
  let finish: (error?: unknown) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    finish = (error?: unknown) => (error === undefined ? resolve() : reject(error));
  });
  const reached = new Set<number>();
  const check = (): void => {
    if (reached.size >= ends.size) finish();
  };
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const others = (event.payload.memberAssignment[topic] ?? []).filter((p) => !ends.has(p));
    if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
  });
  consumer.on(consumer.events.FETCH, () => {
    emptyFetches++;
    if (emptyFetches >= EMPTY_FETCHES_AT_END) {
      for (const p of ends.keys()) reached.add(p);
      check();
    }
  });
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) finish(event.payload.error);
  });
  const timer = setTimeout(
    () =>
      finish(new KafkaError('FAILED', `reading ${topic} took longer than ${Math.round(options.timeoutMs / 1000)} s`)),
    options.timeoutMs,
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        emptyFetches = 0;
        const end = ends.get(batch.partition);
        if (end === undefined || reached.has(batch.partition)) return;
        for (const message of batch.messages) {
          const offset = Number(message.offset);
          if (offset >= end) break;
          records++;
          options.onRecord(batch.partition, offset, message.key?.toString() ?? null, message.value);
        }
        if (Number(batch.lastOffset()) + 1 >= end) reached.add(batch.partition);
        check();
      },
    });
    await finished;
    return records;
  } catch (error) {
    if (error instanceof KafkaError) throw error;
    throw new KafkaError('FAILED', `cannot read ${topic}: ${describeKafkaError(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([options.groupId]).catch(() => undefined);
  }
}

/**
 * A topic's low and high offsets per partition. Asked again for up to
 * `timeoutMs` while the broker answers with an error: a topic another
 * instance has just created, or whose leader is moving, answers "not the
 * leader" or "unknown topic" for a moment. Rejects with KafkaError('FAILED').
 */
export async function topicOffsets(
  admin: Pick<Admin, 'fetchTopicOffsets'>,
  topic: string,
  timeoutMs = OFFSETS_RETRY_MS,
): Promise<{ partition: number; low: string; high: string }[]> {
  let offsets: { partition: number; low: string; high: string }[] = [];
  try {
    await retryUntil(
      async () => {
        offsets = await admin.fetchTopicOffsets(topic);
      },
      { timeoutMs, now: () => performance.now(), retryIf: isTransient },
    );
  } catch (error) {
    const reason = error instanceof GaveUp ? error.reason : describeKafkaError(error);
    throw new KafkaError('FAILED', `cannot read the offsets of ${topic}: ${reason}`, { cause: error });
  }
  return offsets;
}
