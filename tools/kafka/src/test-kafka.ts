import { randomBytes } from 'node:crypto';
import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type ConfigResourceTypes,
  type Consumer,
  type Producer,
} from 'kafkajs';

/** Set by setupForTests for the test workers vitest starts afterwards. */
export const BOOTSTRAP_ENV = 'UNIQSTREAM_KAFKA_BOOTSTRAP';
const DEFAULT_BOOTSTRAP = '127.0.0.1:9092';

const MIB = 1024 * 1024;
/** Records per send when producing. */
const PRODUCE_CHUNK = 500;
/** Large enough for the largest record a test writes (the consumer's checkpoints). */
const READ_MAX_BYTES_PER_PARTITION = 64 * MIB;
const READ_MAX_WAIT_MS = 100;
const DEFAULT_READ_TIMEOUT_MS = 120_000;
const DELETE_TIMEOUT_MS = 60_000;
const POLL_MS = 200;
/** ConfigResourceTypes.TOPIC: kafkajs's enum is not a named export Node's ESM loader sees in its CommonJS build. */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;
/** acks=-1: every in-sync replica has the records before a produce() resolves. */
const ACKS_ALL = -1;
/**
 * Patient retries: some suites restart their broker and write right after,
 * on a shared, loaded machine.
 */
const TEST_RETRY = { retries: 10, initialRetryTime: 300, maxRetryTime: 5_000 };

/** The broker the globalSetup started (setupForTests), else the default local one. */
export function testBootstrap(): string {
  const value = process.env[BOOTSTRAP_ENV];
  return value === undefined || value === '' ? DEFAULT_BOOTSTRAP : value;
}

/** A name no other run uses: tests share the broker with other packages and earlier runs. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** One record to produce; no partition: kafkajs's default partitioner picks one. */
export interface TestRecord {
  readonly partition?: number;
  readonly key?: string | Buffer | null;
  readonly value: string | Buffer | null;
}

/** One record read back. */
export interface ReadRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: Buffer | null;
}

/** `values` spread over `partitions` in turn, value i to partition (first + i) mod partitions. */
export function roundRobin(values: readonly Buffer[], partitions: number, first = 0): TestRecord[] {
  return values.map((value, i) => ({ partition: (first + i) % partitions, value }));
}

export interface TestKafkaOptions {
  /** Default: testBootstrap(). */
  readonly bootstrap?: string;
  /** Default `uniqstream-it`. */
  readonly clientId?: string;
  /** Leave the topics and groups in place at close(), for a look after a failure. */
  readonly keep?: boolean;
}

export interface ReadOptions {
  /** Also records of open and aborted transactions. */
  readonly readUncommitted?: boolean;
  /** Default 120 s. */
  readonly timeoutMs?: number;
}

/**
 * A test's own Kafka client: it writes the input and checks the output
 * independently of the code under test (plain kafkajs, none of uniqstream's
 * Kafka code). Topics it created or was told about, and groups it was told
 * about, are deleted by close().
 */
export class TestKafka {
  readonly bootstrap: string;
  /** The kafkajs client, for what the methods below do not cover. */
  readonly kafka: Kafka;
  private readonly keep: boolean;
  private adminClient: Admin | undefined;
  private producerClient: Producer | undefined;
  private readonly topics = new Set<string>();
  private readonly groups = new Set<string>();

  constructor(options: TestKafkaOptions = {}) {
    this.bootstrap = options.bootstrap ?? testBootstrap();
    this.keep = options.keep ?? false;
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'uniqstream-it',
      brokers: [this.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: TEST_RETRY,
    });
  }

  /** Creates `topic` (waiting for its leaders) and returns its name; deleted by close(). */
  async createTopic(topic: string, partitions: number, config: Readonly<Record<string, string>> = {}): Promise<string> {
    const configEntries = Object.entries(config).map(([name, value]) => ({ name, value }));
    await (await this.admin()).createTopics({
      topics: [{ topic, numPartitions: partitions, configEntries }],
      waitForLeaders: true,
    });
    this.topics.add(topic);
    return topic;
  }

  /** Remembers topics and groups the code under test creates, for close() to delete. */
  track(names: { readonly topics?: Iterable<string>; readonly groups?: Iterable<string> }): void {
    for (const topic of names.topics ?? []) this.topics.add(topic);
    for (const group of names.groups ?? []) this.groups.add(group);
  }

  /** Sends records in order, each send acknowledged by every in-sync replica. */
  async produce(topic: string, records: readonly TestRecord[]): Promise<void> {
    const producer = await this.producer();
    for (let i = 0; i < records.length; i += PRODUCE_CHUNK) {
      const messages = records.slice(i, i + PRODUCE_CHUNK).map((r) => ({
        key: r.key ?? null,
        value: r.value,
        ...(r.partition === undefined ? {} : { partition: r.partition }),
      }));
      await producer.send({ topic, messages, acks: ACKS_ALL });
    }
  }

  /**
   * Every record of `topic` up to the end it has now, in offset order per
   * partition, read by a throwaway consumer group (nothing committed,
   * deleted afterwards).
   */
  async read(topic: string, options: ReadOptions = {}): Promise<ReadRecord[]> {
    const admin = await this.admin();
    const ends = new Map<number, number>();
    for (const e of await admin.fetchTopicOffsets(topic))
      if (Number(e.high) > Number(e.low)) ends.set(e.partition, Number(e.high));
    const records: ReadRecord[] = [];
    if (ends.size === 0) return records;
    const group = uniqueName('it-reader');
    const consumer = this.kafka.consumer({
      groupId: group,
      readUncommitted: options.readUncommitted ?? false,
      maxBytesPerPartition: READ_MAX_BYTES_PER_PARTITION,
      maxWaitTimeInMs: READ_MAX_WAIT_MS,
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await untilEnds(consumer, topic, ends, options.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS, (partition, message) => {
        records.push({
          partition,
          offset: Number(message.offset),
          key: message.key?.toString() ?? null,
          value: message.value,
        });
      });
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await admin.deleteGroups([group]).catch(() => undefined);
    }
    return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  }

  /** Partition -> log end offset (the next offset to be written). */
  async endOffsets(topic: string): Promise<Map<number, number>> {
    return new Map((await (await this.admin()).fetchTopicOffsets(topic)).map((e) => [e.partition, Number(e.high)]));
  }

  /** Partition -> the group's committed offset (-1: none). */
  async committed(group: string, topic: string): Promise<Map<number, number>> {
    const [offsets] = await (await this.admin()).fetchOffsets({ groupId: group, topics: [topic] });
    return new Map((offsets?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  }

  /** True when the group has committed every partition of `topic` up to its end. */
  async caughtUp(group: string, topic: string): Promise<boolean> {
    const [ends, committed] = await Promise.all([this.endOffsets(topic), this.committed(group, topic)]);
    return [...ends].every(([partition, end]) => committed.get(partition) === end);
  }

  /** Waits until the group has committed every partition of `topic` up to its end. */
  async waitForGroup(group: string, topic: string, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!(await this.caughtUp(group, topic))) {
      if (performance.now() > deadline)
        throw new Error(`group ${group} has not committed ${topic} to its end within ${timeoutMs} ms`);
      await sleep(POLL_MS);
    }
  }

  async partitions(topic: string): Promise<number> {
    const metadata = await (await this.admin()).fetchTopicMetadata({ topics: [topic] });
    return metadata.topics[0]?.partitions.length ?? 0;
  }

  /** A topic setting as the broker reports it, e.g. `cleanup.policy`. */
  async topicConfig(topic: string, name: string): Promise<string | undefined> {
    const described = await (await this.admin()).describeConfigs({
      resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: [name] }],
      includeSynonyms: false,
    });
    return described.resources[0]?.configEntries.find((e) => e.configName === name)?.configValue;
  }

  async listTopics(): Promise<string[]> {
    return (await this.admin()).listTopics();
  }

  /** Deletes the topics that exist and waits until the broker no longer lists them. */
  async deleteTopics(topics: readonly string[]): Promise<void> {
    const admin = await this.admin();
    const present = (await admin.listTopics()).filter((t) => topics.includes(t));
    if (present.length === 0) return;
    await admin.deleteTopics({ topics: present });
    const deadline = performance.now() + DELETE_TIMEOUT_MS;
    while ((await admin.listTopics()).some((t) => present.includes(t))) {
      if (performance.now() > deadline)
        throw new Error(`topics ${present.join(', ')} are still listed ${DELETE_TIMEOUT_MS} ms after deletion`);
      await sleep(POLL_MS);
    }
  }

  async deleteGroup(group: string): Promise<void> {
    await (await this.admin()).deleteGroups([group]).catch(() => undefined);
  }

  /** Disconnects, after deleting what it created or tracked (unless `keep`). */
  async close(): Promise<void> {
    await this.producerClient?.disconnect().catch(() => undefined);
    if (this.keep) {
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
      // Idempotent: a send retried after a transient answer (a topic whose leaders are still
      // being elected) must not write the input twice, or the tests' truth would be wrong.
      this.producerClient = this.kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await this.producerClient.connect();
    }
    return this.producerClient;
  }
}

interface FetchedMessage {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/**
 * Runs `consumer` over `topic` until every partition of `ends` is read up to
 * its end, handing on the records below it. The end is seen through
 * END_BATCH_PROCESS, which kafkajs also emits for batches that hold only
 * transaction markers or aborted records (those never reach eachBatch).
 */
function untilEnds(
  consumer: Consumer,
  topic: string,
  ends: ReadonlyMap<number, number>,
  timeoutMs: number,
  onRecord: (partition: number, message: FetchedMessage) => void,
): Promise<void> {
  const pending = new Set(ends.keys());
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`reading ${topic} to its end took longer than ${timeoutMs} ms`)),
      timeoutMs,
    );
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (Number(payload.lastOffset) + 1 >= (ends.get(payload.partition) ?? 0)) pending.delete(payload.partition);
      if (pending.size === 0) {
        clearTimeout(timer);
        resolve();
      }
    });
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const end = ends.get(batch.partition) ?? 0;
          for (const message of batch.messages) {
            if (Number(message.offset) >= end) break;
            onRecord(batch.partition, message);
          }
        },
      })
      .catch((error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
