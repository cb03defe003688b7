import { randomBytes } from 'node:crypto';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';

/** Set by the globalSetup (kafka-local's setupForTests). */
export const BOOTSTRAP = process.env['UNIQSTREAM_KAFKA_BOOTSTRAP'] ?? '127.0.0.1:9092';

/** A name no other run uses: tests share the broker with other packages and earlier runs. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export interface Record {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
}

/** The test's own kafkajs client, to read back what a sink wrote, independently of the sink. */
export class TestKafka {
  readonly kafka = new Kafka({ clientId: 'sinks-it', brokers: [BOOTSTRAP], logLevel: logLevel.NOTHING });
  private admin: Admin | undefined;
  readonly topics: string[] = [];

  async createTopic(topic: string, partitions: number, config: Readonly<globalThis.Record<string, string>> = {}): Promise<void> {
    const admin = await this.adminClient();
    const configEntries = Object.entries(config).map(([name, value]) => ({ name, value }));
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, configEntries }], waitForLeaders: true });
    this.topics.push(topic);
  }

  /** Every record of the topic, by partition and offset, read from the beginning. */
  async read(topic: string): Promise<Record[]> {
    const admin = await this.adminClient();
    const ends = await admin.fetchTopicOffsets(topic);
    const total = ends.reduce((n, e) => n + Number(e.high) - Number(e.low), 0);
    const records: Record[] = [];
    if (total === 0) return records;
    const consumer = this.kafka.consumer({ groupId: uniqueName('reader') });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          records.push({ partition, offset: Number(message.offset), key: message.key?.toString() ?? null, value: message.value?.toString() ?? null });
          if (records.length === total) resolve();
        },
      });
    });
    await consumer.disconnect();
    return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  }

  async highWatermarks(topic: string): Promise<number> {
    const admin = await this.adminClient();
    return (await admin.fetchTopicOffsets(topic)).reduce((n, e) => n + Number(e.high), 0);
  }

  async partitions(topic: string): Promise<number> {
    const admin = await this.adminClient();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    return metadata.topics[0]?.partitions.length ?? 0;
  }

  async topicConfig(topic: string, name: string): Promise<string | undefined> {
    const admin = await this.adminClient();
    const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }], includeSynonyms: false });
    return described.resources[0]?.configEntries.find((e) => e.configName === name)?.configValue;
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
