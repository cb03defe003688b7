import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

/**
 * The tests' own Kafka client, to write input and read back results
 * independently of the code under test. The CLI has no kafkajs of its own
 * (it reaches Kafka through @uniqstream/sources and sinks), so this loads the
 * kafkajs that @uniqstream/kafka-local, a dev dependency, depends on, and
 * types the little of it used here.
 */

interface KafkaMessage {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}
interface Admin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  createTopics(options: { topics: { topic: string; numPartitions: number }[]; waitForLeaders: boolean }): Promise<boolean>;
  deleteTopics(options: { topics: string[] }): Promise<void>;
  deleteGroups(groups: string[]): Promise<unknown>;
  fetchTopicOffsets(topic: string): Promise<{ partition: number; high: string; low: string }[]>;
  fetchOffsets(options: { groupId: string; topics: string[] }): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}
interface Producer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: { topic: string; messages: { partition: number; value: Buffer }[]; acks: number }): Promise<unknown>;
}
interface Consumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(options: { topics: string[]; fromBeginning: boolean }): Promise<void>;
  run(options: { eachMessage: (payload: { partition: number; message: KafkaMessage }) => Promise<void> }): Promise<void>;
}
interface KafkaClient {
  admin(): Admin;
  producer(options?: { createPartitioner?: unknown }): Producer;
  consumer(options: { groupId: string }): Consumer;
}
interface KafkaJs {
  Kafka: new (config: { clientId: string; brokers: string[]; logLevel: number; retry?: { retries: number; initialRetryTime: number; maxRetryTime: number } }) => KafkaClient;
  Partitioners: { DefaultPartitioner: unknown };
  logLevel: { NOTHING: number };
}

const requireFromKafkaLocal = createRequire(createRequire(import.meta.url).resolve('@uniqstream/kafka-local/package.json'));
const kafkajs = requireFromKafkaLocal('kafkajs') as KafkaJs;

/** Set by the globalSetup (kafka-local's setupForTests). */
export const BOOTSTRAP = process.env['UNIQSTREAM_KAFKA_BOOTSTRAP'] ?? '127.0.0.1:9092';

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export interface ReadRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: Buffer | null;
}

export class TestKafka {
  private readonly kafka: KafkaClient;
  private adminClient: Admin | undefined;
  readonly topics: string[] = [];

  constructor(readonly bootstrap: string = BOOTSTRAP) {
    // Patient retries: one suite restarts its broker and writes right after.
    this.kafka = new kafkajs.Kafka({ clientId: 'cli-it', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5000 } });
  }

  async createTopic(topic: string, partitions: number): Promise<void> {
    await (await this.admin()).createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    this.topics.push(topic);
  }

  /** Frames to partitions round-robin, in order, each send acknowledged by all replicas. */
  async produce(topic: string, frames: readonly Buffer[], partitions: number, firstIndex = 0): Promise<void> {
    const producer = this.kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    const chunk = 250;
    for (let i = 0; i < frames.length; i += chunk) {
      const messages = frames.slice(i, i + chunk).map((value, j) => ({ partition: (firstIndex + i + j) % partitions, value }));
      await producer.send({ topic, messages, acks: -1 });
    }
    await producer.disconnect();
  }

  /** Every record of a topic, by partition and offset. */
  async read(topic: string): Promise<ReadRecord[]> {
    const ends = await (await this.admin()).fetchTopicOffsets(topic);
    const total = ends.reduce((n, e) => n + Number(e.high) - Number(e.low), 0);
    const records: ReadRecord[] = [];
    if (total === 0) return records;
    const consumer = this.kafka.consumer({ groupId: uniqueName('reader') });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          records.push({ partition, offset: Number(message.offset), key: message.key?.toString() ?? null, value: message.value });
          if (records.length === total) resolve();
        },
      });
    });
    await consumer.disconnect();
    return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  }

  async endOffsets(topic: string): Promise<Map<number, number>> {
    return new Map((await (await this.admin()).fetchTopicOffsets(topic)).map((e) => [e.partition, Number(e.high)]));
  }

  async committed(group: string, topic: string): Promise<Map<number, number>> {
    const [offsets] = await (await this.admin()).fetchOffsets({ groupId: group, topics: [topic] });
    return new Map((offsets?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  }

  async listTopics(): Promise<string[]> {
    return (await this.admin()).listTopics();
  }

  /** Deletes topics if they exist and waits until the broker no longer lists them. */
  async deleteTopics(topics: readonly string[]): Promise<void> {
    const admin = await this.admin();
    const present = (await admin.listTopics()).filter((t) => topics.includes(t));
    if (present.length === 0) return;
    await admin.deleteTopics({ topics: present });
    const deadline = performance.now() + 60_000;
    while ((await admin.listTopics()).some((t) => present.includes(t))) {
      if (performance.now() > deadline) throw new Error(`topics ${present.join(', ')} are still listed a minute after deletion`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async deleteGroup(group: string): Promise<void> {
    await (await this.admin()).deleteGroups([group]).catch(() => undefined);
  }

  async close(): Promise<void> {
    const admin = await this.admin();
    if (this.topics.length > 0) await admin.deleteTopics({ topics: this.topics }).catch(() => undefined);
    await admin.disconnect();
  }

  private async admin(): Promise<Admin> {
    if (this.adminClient === undefined) {
      this.adminClient = this.kafka.admin();
      await this.adminClient.connect();
    }
    return this.adminClient;
  }
}
