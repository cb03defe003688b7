/**
 * Reading topics with the time of each record: the record's own timestamp
 * (its append time on a topic with message.timestamp.type=LogAppendTime)
 * and, for a live follower, the wall time it was received. Plain kafkajs
 * consumers in groups of their own, read_committed (kafkajs's default),
 * none of uniqstream's Kafka code: what they see is what any reader sees.
 */
import { topicEnds } from './kafka-input.js';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { benchGroupId } from './bare-consume.js';
import { BenchError } from './errors.js';

/** One record as read. */
export interface TimedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** The record's timestamp (ms): the append time on a LogAppendTime topic. */
  readonly timestampMs: number;
  /** Wall time (Date.now(), the broker's clock on this machine) when the batch holding it was handed to the reader. */
  readonly receivedMs: number;
}

export interface Follower {
  /** Stops reading and leaves the group. */
  stop(): Promise<void>;
}

/** A fetch waits at most this long for data; data that arrives ends the wait at once (minBytes 1). */
const FOLLOW_MAX_WAIT_MS = 100;
const JOIN_TIMEOUT_MS = 60_000;
const READ_TIMEOUT_MS = 10 * 60_000;
/** Read-back: large fetches, the topic is complete. */
const READ_MAX_BYTES_PER_PARTITION = 16 * 1024 * 1024;

function timed(topic: string, partition: number, message: KafkaMessage, receivedMs: number): TimedRecord {
  return {
    topic,
    partition,
    offset: Number(message.offset),
    key: message.key,
    value: message.value,
    timestampMs: Number(message.timestamp),
    receivedMs,
  };
}

/**
 * Follows `topics` from their beginning, handing every record to
 * `onRecord` as it arrives; resolves once the reader has joined its group
 * and holds its partitions, so what is written from then on is timed as
 * it becomes readable.
 */
export async function followTopics(
  kafka: Kafka,
  topics: readonly string[],
  onRecord: (record: TimedRecord) => void,
): Promise<Follower> {
  const consumer = kafka.consumer({
    groupId: benchGroupId(),
    maxWaitTimeInMs: FOLLOW_MAX_WAIT_MS,
    allowAutoTopicCreation: false,
  });
  let joined: () => void = () => undefined;
  const join = new Promise<void>((resolve) => (joined = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        // One clock reading per batch: kafkajs hands the whole fetch over at once.
        const receivedMs = Date.now();
        for (const message of batch.messages) onRecord(timed(batch.topic, batch.partition, message, receivedMs));
      },
    });
    await withTimeout(join, JOIN_TIMEOUT_MS, `the reader of ${topics.join(', ')} did not join its group`);
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    throw error;
  }
  return { stop: () => consumer.disconnect() };
}

/**
 * Reads `topic` from its beginning to the end it has now, handing every
 * record to `onRecord` in offset order within each partition. Returns the
 * number of records read.
 */
export async function readTopic(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  onRecord: (record: TimedRecord) => void,
): Promise<number> {
  const ends = await topicEnds(admin, topic);
  const remaining = new Map<number, number>();
  for (const end of ends) if (Number(end.high) > Number(end.low)) remaining.set(end.partition, Number(end.high));
  if (remaining.size === 0) return 0;
  const groupId = benchGroupId();
  const consumer = kafka.consumer({
    groupId,
    maxBytesPerPartition: READ_MAX_BYTES_PER_PARTITION,
    allowAutoTopicCreation: false,
  });
  let read = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        const end = remaining.get(batch.partition);
        if (end === undefined) return;
        const receivedMs = Date.now();
        for (const message of batch.messages) {
          if (Number(message.offset) >= end) break;
          onRecord(timed(batch.topic, batch.partition, message, receivedMs));
          read++;
        }
        await heartbeat();
        if (Number(batch.lastOffset()) >= end - 1) {
          remaining.delete(batch.partition);
          if (remaining.size === 0) done();
        }
      },
    });
    await withTimeout(finished, READ_TIMEOUT_MS, `reading ${topic} back did not reach its end`);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return read;
}

async function withTimeout(promise: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BenchError('TIMEOUT', `${what} within ${ms / 1000} s`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
