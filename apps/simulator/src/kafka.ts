import { CompressionTypes, Kafka, Partitioners, logLevel, type Message, type Producer } from 'kafkajs';
import { SimError, oneLine } from './errors.js';
import type { SimIo } from './io.js';
import type { MessageOutput } from './output.js';

export interface KafkaSettings {
  /** Partitions for a topic this run creates. */
  readonly partitions: number;
  /** `uid`: frames keyed by uid (one user, one partition); `none`: no key, spread round-robin. */
  readonly key: 'uid' | 'none';
  readonly compression: 'gzip' | 'none';
  /**
   * Bytes of frames per send call. Kept well under the broker's default
   * 1 MB limit on one partition's record batch.
   */
  readonly batchBytes: number;
  /** How long to keep retrying an unreachable broker before giving up, seconds. */
  readonly waitSeconds: number;
}

export const DEFAULT_KAFKA_SETTINGS: KafkaSettings = {
  partitions: 1,
  key: 'uid',
  compression: 'none',
  batchBytes: 512 * 1024,
  waitSeconds: 30,
};

/** Kafka's default largest message (message.max.bytes) less room for the record's own headers. */
export const MAX_KAFKA_FRAME_BYTES = 1_000_000 - 1024;
const CLIENT_ID = 'uniqstream-sim';
const CONNECTION_TIMEOUT_MS = 3000;
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 5000;
/** acks=-1: every in-sync replica has the batch; the idempotent producer requires it. */
const ACKS_ALL = -1;

/** Frames to a Kafka topic through an idempotent kafkajs producer, in batches of many messages per send. */
export class KafkaOutput implements MessageOutput {
  readonly kind = 'messages';
  closed = false;
  private messages: Message[] = [];
  private bytes = 0;
  private nextPartition = 0;

  private constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly partitions: number,
    private readonly settings: KafkaSettings,
  ) {}

  /**
   * Connects (retrying with backoff while the broker is unreachable, for up to
   * `waitSeconds`), creates the topic if it does not exist, and starts the producer.
   */
  static async open(brokers: readonly string[], topic: string, settings: KafkaSettings, io: SimIo, log: (line: string) => void): Promise<KafkaOutput> {
    const kafka = new Kafka({
      clientId: CLIENT_ID,
      brokers: [...brokers],
      // kafkajs logs JSON objects; the simulator reports in its own one-line messages.
      logLevel: logLevel.NOTHING,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1000 },
    });
    const where = brokers.join(',');
    const admin = kafka.admin();
    await withBackoff(() => admin.connect(), where, settings.waitSeconds, io, log);
    let partitions: number;
    try {
      const created = await admin.createTopics({ topics: [{ topic, numPartitions: settings.partitions }], waitForLeaders: true });
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      partitions = metadata.topics[0]?.partitions.length ?? 0;
      if (partitions === 0) throw new Error(`topic ${topic} has no partitions`);
      if (!created && partitions !== settings.partitions) {
        log(`topic ${topic} already exists with ${partitions} partition(s); --partitions ${settings.partitions} does not change it`);
      }
    } catch (error) {
      throw new SimError('OUTPUT_FAILED', `cannot set up topic ${topic} on ${where}: ${oneLine(error)}`, { cause: error });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const producer = kafka.producer({
      idempotent: true,
      // One request in flight keeps every partition in send order, also across retries.
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: MAX_BACKOFF_MS },
    });
    await withBackoff(() => producer.connect(), where, settings.waitSeconds, io, log);
    return new KafkaOutput(producer, topic, partitions, settings);
  }

  /** The send in flight: the next batch is gathered meanwhile, but only sent once this one is acknowledged. */
  private inFlight: Promise<void> | null = null;

  async add(value: Uint8Array, key: string | null): Promise<void> {
    const copy = Buffer.from(value);
    if (this.settings.key === 'none') {
      this.messages.push({ value: copy, partition: this.nextPartition });
      this.nextPartition = (this.nextPartition + 1) % this.partitions;
    } else {
      this.messages.push(key === null ? { value: copy } : { key, value: copy });
    }
    this.bytes += copy.length;
    if (this.bytes >= this.settings.batchBytes) await this.startSend();
  }

  /** Waits for the send in flight, then starts one for the gathered batch without waiting for it. */
  private async startSend(): Promise<void> {
    if (this.inFlight !== null) await this.inFlight;
    if (this.messages.length === 0) return;
    const messages = this.messages;
    this.messages = [];
    this.bytes = 0;
    const sending = this.producer
      .send({
        topic: this.topic,
        acks: ACKS_ALL,
        compression: this.settings.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        messages,
      })
      .then(
        () => {
          if (this.inFlight === sending) this.inFlight = null;
        },
        (error: unknown) => {
          throw new SimError('OUTPUT_FAILED', `sending to Kafka topic ${this.topic} failed: ${oneLine(error)}`, { cause: error });
        },
      );
    // Failures surface at the next add() or flush(), which await this.
    sending.catch(() => undefined);
    this.inFlight = sending;
  }

  async flush(): Promise<void> {
    await this.startSend();
    if (this.inFlight !== null) await this.inFlight;
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.closed = true;
      await this.producer.disconnect().catch(() => undefined);
    }
  }
}

async function withBackoff(connect: () => Promise<void>, where: string, waitSeconds: number, io: SimIo, log: (line: string) => void): Promise<void> {
  const deadline = io.monotonic() + waitSeconds * 1000;
  let backoff = FIRST_BACKOFF_MS;
  for (;;) {
    try {
      await connect();
      return;
    } catch (error) {
      const reason = oneLine(error);
      const left = deadline - io.monotonic();
      if (left <= 0 || io.signal?.aborted === true) {
        throw new SimError('KAFKA_UNREACHABLE', `cannot reach Kafka at ${where}: ${reason} (gave up after ${waitSeconds} s; is the broker running? try: sh tools/kafka/bin/kafka-local start)`, { cause: error });
      }
      const wait = Math.min(backoff, left);
      log(`Kafka at ${where} is not reachable (${reason}); retrying in ${(wait / 1000).toFixed(1)} s`);
      await io.sleep(wait);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }
}
