import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Admin, type Message } from 'kafkajs';

/** Set by the globalSetup (kafka-local's setupForTests). */
export const BOOTSTRAP = process.env['UNIQSTREAM_KAFKA_BOOTSTRAP'] ?? '127.0.0.1:9092';

/** A name no other run uses: tests share the broker with other packages and earlier runs. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export interface ReadRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: Buffer | null;
}

/** A test's own kafkajs client: it writes the input and checks the output, independently of the code under test. */
export class TestKafka {
  readonly kafka: Kafka;
  private admin: Admin | undefined;
  private readonly topics: string[] = [];

  constructor(readonly bootstrap = BOOTSTRAP) {
    this.kafka = new Kafka({ clientId: 'sources-it', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  }

  async createTopic(prefix: string, partitions: number): Promise<string> {
    const topic = uniqueName(prefix);
    const admin = await this.adminClient();
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    this.topics.push(topic);
    return topic;
  }

  /** Sends records to the partitions given, in order, and waits for every ack. */
  async produce(topic: string, records: readonly { partition: number; value: Buffer | null }[]): Promise<void> {
    const producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const chunk = 500;
    for (let i = 0; i < records.length; i += chunk) {
      const messages: Message[] = records.slice(i, i + chunk).map((r) => ({ partition: r.partition, value: r.value }));
      await producer.send({ topic, messages, acks: -1 });
    }
    await producer.disconnect();
  }

  /** Every record of `topic` now, in offset order per partition (a consumer group of its own). */
  async read(topic: string): Promise<ReadRecord[]> {
    const admin = await this.adminClient();
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, Number(e.high)]));
    const records: ReadRecord[] = [];
    const left = new Set([...ends].filter(([, high]) => high > 0).map(([partition]) => partition));
    if (left.size === 0) return records;
    const consumer = this.kafka.consumer({ groupId: uniqueName('read') });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const offset = Number(message.offset);
            records.push({ partition, offset, key: message.key?.toString() ?? null, value: message.value });
            if (offset + 1 >= ends.get(partition)! && left.delete(partition) && left.size === 0) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  }

  async ends(topic: string): Promise<Map<number, number>> {
    const admin = await this.adminClient();
    return new Map((await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, Number(e.high)]));
  }

  async committed(group: string, topic: string): Promise<Map<number, number>> {
    const admin = await this.adminClient();
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map((offsets?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  }

  async close(): Promise<void> {
    const admin = await this.adminClient();
    if (this.topics.length > 0) await admin.deleteTopics({ topics: this.topics }).catch(() => undefined);
    await admin.disconnect();
  }

  private async adminClient(): Promise<Admin> {
    if (this.admin === undefined) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    return this.admin;
  }
}
