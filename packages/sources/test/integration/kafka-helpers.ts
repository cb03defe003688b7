import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Admin, type Message } from 'kafkajs';

/** Set by the globalSetup (kafka-local's setupForTests). */
export const BOOTSTRAP = process.env['UNIQSTREAM_KAFKA_BOOTSTRAP'] ?? '127.0.0.1:9092';

/** A name no other run uses: tests share the broker with other packages and earlier runs. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** A test's own kafkajs client: it writes the input and checks the output, independently of the code under test. */
export class TestKafka {
  readonly kafka = new Kafka({ clientId: 'sources-it', brokers: [BOOTSTRAP], logLevel: logLevel.NOTHING });
  private admin: Admin | undefined;
  private readonly topics: string[] = [];

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
