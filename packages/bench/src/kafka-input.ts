import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Partitioners, type Admin, type Kafka, type Message } from 'kafkajs';
import { generateChunks, REALISTIC } from '@uniqstream/generator';

/** The stream every Kafka suite reads: ~2 KB realistic frames from 100k users. */
const KAFKA_STREAM = { seed: 42, users: 100_000, rate: 1000, start: 1_468_244_384, ...REALISTIC } as const;
/** Records per send, and sends awaited together: enough to keep the broker busy. */
const PRODUCE_BATCH = 250;
const PRODUCE_IN_FLIGHT = 4;
const LF = 0x0a;
/** Retries over about half a minute: long enough for a new topic to reach the metadata of a loaded broker. */
const PRODUCE_RETRY = { retries: 12, initialRetryTime: 300, maxRetryTime: 5000 };

export interface KafkaInput {
  readonly admin: Admin;
  readonly kafka: Kafka;
  readonly topic: string;
  readonly partitions: number;
  readonly frames: number;
  /** Where the byte size of the produced frames is kept for later runs. */
  readonly workDir: string;
  /** Prefixes the progress lines, e.g. the suite's id. */
  readonly label: string;
  readonly log: (message: string) => void;
}

/**
 * Fills `topic` with `frames` frames of KAFKA_STREAM, round-robin over its
 * partitions, unless it already holds exactly that (producing 2 GB takes
 * minutes; the suites share the topic across runs). Returns the bytes of
 * the frames, without line ends.
 */
export async function ensureKafkaInput(input: KafkaInput): Promise<number> {
  const { admin, kafka, topic, partitions, frames, label, log } = input;
  const sizeFile = join(input.workDir, `kafka-${frames}.bytes`);
  const existing = await admin.listTopics();
  if (existing.includes(topic) && existsSync(sizeFile)) {
    const ends = await topicEnds(admin, topic);
    const held = ends.reduce((n, e) => n + Number(e.high) - Number(e.low), 0);
    if (ends.length === partitions && held === frames) return Number(await readFile(sizeFile, 'utf8'));
    log(`${label}: ${topic} holds ${held} frames in ${ends.length} partitions; producing it again`);
  }
  if (existing.includes(topic)) await admin.deleteTopics({ topics: [topic] });
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  log(`${label}: producing ${frames} frames to ${topic} (${partitions} partition${partitions === 1 ? '' : 's'})`);
  // A new topic's partitions can be unknown to the broker's metadata for a moment after their leaders are
  // elected (UNKNOWN_TOPIC_OR_PARTITION, seen on a freshly started broker under load): kafkajs retries it,
  // given time. A retried batch could be written twice; the count below says so.
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, retry: PRODUCE_RETRY });
  await producer.connect();
  const inFlight = new Set<Promise<unknown>>();
  let batch: Message[] = [];
  let index = 0;
  let bytes = 0;
  const send = async (messages: Message[]): Promise<void> => {
    const sent = producer.send({ topic, messages, acks: -1 });
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent)).catch(() => undefined);
    if (inFlight.size >= PRODUCE_IN_FLIGHT) await Promise.race(inFlight);
  };
  try {
    for (const chunk of generateChunks({ ...KAFKA_STREAM, frames })) {
      const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      for (let at = 0; at < view.length; ) {
        const end = view.indexOf(LF, at);
        const line = view.subarray(at, end === -1 ? view.length : end);
        at = end === -1 ? view.length : end + 1;
        bytes += line.length;
        batch.push({ value: line, partition: index++ % partitions });
        if (batch.length === PRODUCE_BATCH) {
          await send(batch);
          batch = [];
        }
      }
    }
    if (batch.length > 0) await send(batch);
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  const ends = await topicEnds(admin, topic);
  const held = ends.reduce((n, e) => n + Number(e.high) - Number(e.low), 0);
  if (held !== frames)
    throw new Error(
      `${topic} holds ${held} frames after producing ${frames} (a retried send written twice?): run ` +
        `the suite again to produce it afresh`,
    );
  await writeFile(sizeFile, String(bytes));
  return bytes;
}

const ENDS_RETRY_MS = 30_000;
const ENDS_BACKOFF_MS = 250;

/**
 * admin.fetchTopicOffsets, retried while the broker answers with a
 * retriable error: a topic just created or filled on a freshly started,
 * loaded broker may be missing from its metadata for a moment
 * (UNKNOWN_TOPIC_OR_PARTITION, "This server does not host this
 * topic-partition").
 */
export async function topicEnds(admin: Admin, topic: string): Promise<Awaited<ReturnType<Admin['fetchTopicOffsets']>>> {
  const deadline = performance.now() + ENDS_RETRY_MS;
  for (;;) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (error) {
      if ((error as { retriable?: unknown }).retriable !== true || performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, ENDS_BACKOFF_MS));
    }
  }
}
