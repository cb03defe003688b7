import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';

/**
 * The tests' own Kafka client: writes input and reads back results
 * independently of the service under test (plain kafkajs, nothing of the
 * service's code).
 */

/** Set by the globalSetup (kafka-local's setupForTests). */
export const BOOTSTRAP = process.env['UNIQSTREAM_KAFKA_BOOTSTRAP'] ?? '127.0.0.1:9092';
const PRODUCE_CHUNK = 500;

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export interface TestRecord {
  readonly partition: number;
  readonly value: Buffer;
}

export interface ReadRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: Buffer | null;
}

export class TestKafka {
  private readonly kafka = new Kafka({ clientId: 'consumer-it', brokers: [BOOTSTRAP], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5000 } });
  private adminClient: Admin | undefined;
  private producerClient: Producer | undefined;
  /** Topics and groups to delete at the end. */
  private readonly topics = new Set<string>();
  private readonly groups = new Set<string>();

  async createTopic(topic: string, partitions: number): Promise<void> {
    await (await this.admin()).createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    this.topics.add(topic);
  }

  /** Remembers what a service run creates, for close(). */
  track(group: string, topics: readonly string[]): void {
    this.groups.add(group);
    this.groups.add(`${group}.merge`);
    for (const topic of topics) this.topics.add(topic);
  }

  /** Frames to explicit partitions, in order, each send acknowledged by all replicas. */
  async produce(topic: string, records: readonly TestRecord[]): Promise<void> {
    const producer = await this.producer();
    for (let i = 0; i < records.length; i += PRODUCE_CHUNK) {
      await producer.send({ topic, messages: records.slice(i, i + PRODUCE_CHUNK).map((r) => ({ partition: r.partition, value: r.value })), acks: -1 });
    }
  }

  /** Every record of a topic up to its current end, by partition and offset. */
  async read(topic: string): Promise<ReadRecord[]> {
    const admin = await this.admin();
    const ends = await admin.fetchTopicOffsets(topic);
    const wanted = new Map(ends.filter((e) => Number(e.high) > Number(e.low)).map((e) => [e.partition, Number(e.high)]));
    const records: ReadRecord[] = [];
    if (wanted.size === 0) return records;
    const group = uniqueName('reader');
    const consumer = this.kafka.consumer({ groupId: group, maxBytesPerPartition: 64 << 20, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const done = new Set<number>();
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          const end = wanted.get(batch.partition)!;
          for (const message of batch.messages) {
            if (Number(message.offset) >= end) break;
            records.push({ partition: batch.partition, offset: Number(message.offset), key: message.key?.toString() ?? null, value: message.value });
          }
          if (Number(batch.lastOffset()) + 1 >= end) done.add(batch.partition);
          if (done.size === wanted.size) resolve();
        },
      });
    });
    await consumer.disconnect();
    await admin.deleteGroups([group]).catch(() => undefined);
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

  async close(): Promise<void> {
    await this.producerClient?.disconnect();
    // CONSUMER_IT_KEEP=1 leaves the topics for a look after a failure.
    if (process.env['CONSUMER_IT_KEEP'] === '1') {
      await this.adminClient?.disconnect();
      return;
    }
    const admin = await this.admin();
    const existing = new Set(await admin.listTopics());
    const topics = [...this.topics].filter((t) => existing.has(t));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    if (this.groups.size > 0) await admin.deleteGroups([...this.groups]).catch(() => undefined);
    await admin.disconnect();
  }

  private async admin(): Promise<Admin> {
    if (this.adminClient === undefined) {
      this.adminClient = this.kafka.admin();
      await this.adminClient.connect();
    }
    return this.adminClient;
  }

  private async producer(): Promise<Producer> {
    if (this.producerClient === undefined) {
      this.producerClient = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await this.producerClient.connect();
    }
    return this.producerClient;
  }
}
