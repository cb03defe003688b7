import type { Kafka, Message, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { SinkError } from './errors.js';
import {
  createKafka,
  DEFAULT_CLIENT_ID,
  defaultKafkaLog,
  describeKafkaError,
  GaveUp,
  PROBE_RETRY,
  quietened,
  retryUntil,
  RUN_RETRY,
  SocketTracker,
  type KafkaLog,
} from './kafka-client.js';

const KIB = 1024;
/** acks=-1: every in-sync replica has the records; the idempotent producer requires it. */
const ACKS_ALL = -1;
/**
 * Most bytes of values per send. The broker refuses a record batch over
 * message.max.bytes (1 MB by default), and one send makes one batch per
 * partition: this stays well under it.
 */
export const DEFAULT_BATCH_BYTES = 512 * KIB;
/** Most records per send. */
export const DEFAULT_BATCH_MESSAGES = 5_000;
/** Sends queued behind the one in flight before write() waits. */
const MAX_QUEUED_SENDS = 4;
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** A send that cannot get through for this long fails the sink (0 = retry forever). */
export const DEFAULT_UNAVAILABLE_TIMEOUT_MS = 5 * 60_000;
/** Bytes a record adds to its value on the wire, roughly: for the batch size bound. */
const RECORD_OVERHEAD_BYTES = 64;

export interface KafkaWriterOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  /** What the topic holds, for messages: `results`, `dead letters`. */
  readonly what: string;
  /** Partitions when this writer creates the topic (default 1). */
  readonly partitions?: number;
  /** Topic settings when this writer creates the topic, e.g. cleanup.policy=compact. */
  readonly topicConfig?: Readonly<Record<string, string>>;
  readonly clientId?: string;
  readonly log?: KafkaLog;
  readonly verbose?: boolean;
  readonly connectTimeoutMs?: number;
  readonly unavailableTimeoutMs?: number;
  readonly batchBytes?: number;
  readonly batchMessages?: number;
  readonly now?: () => number;
}

/**
 * Keyed records to one topic through kafkajs's idempotent producer (acks
 * -1, one request in flight): `write()` queues, full batches are sent one
 * after the other (so records keep their order, which a compacted topic of
 * revisions needs), `flush()` sends the rest and waits for every ack.
 *
 * Connecting starts at once, in the background; `ready()` waits for it
 * (and for the topic, created when missing) and rejects with a SinkError
 * ('KAFKA_UNAVAILABLE') when no broker answers within connectTimeoutMs.
 */
export class KafkaTopicWriter {
  readonly name: string;
  private readonly options: KafkaWriterOptions;
  private readonly log: KafkaLog;
  private readonly now: () => number;
  private readonly where: string;
  private readonly kafka: Kafka;
  private readonly probeKafka: Kafka;
  private readonly sockets = new SocketTracker();
  private readonly producer: Producer;
  private readonly started: Promise<void>;
  private readonly batchBytes: number;
  private readonly batchMessages: number;
  private pending: Message[] = [];
  private pendingBytes = 0;
  /** The last send queued: sends run one after the other. */
  private tail: Promise<void> = Promise.resolve();
  private queuedSends = 0;
  private failure: SinkError | undefined;
  private closed = false;
  private readonly stopConnecting = new AbortController();

  constructor(options: KafkaWriterOptions) {
    if (options.brokers.length === 0) throw new SinkError('BAD_OPTION', 'no Kafka broker given');
    const partitions = options.partitions ?? 1;
    if (!Number.isSafeInteger(partitions) || partitions < 1) {
      throw new SinkError('BAD_OPTION', `partitions must be a positive integer, got ${partitions}`);
    }
    this.options = options;
    this.where = options.brokers.join(',');
    this.name = `kafka://${this.where}/${options.topic}`;
    this.log = options.log ?? defaultKafkaLog;
    this.now = options.now ?? (() => performance.now());
    this.batchBytes = positive('batchBytes', options.batchBytes ?? DEFAULT_BATCH_BYTES);
    this.batchMessages = positive('batchMessages', options.batchMessages ?? DEFAULT_BATCH_MESSAGES);
    const client = {
      brokers: options.brokers,
      clientId: options.clientId ?? DEFAULT_CLIENT_ID,
      log: this.log,
      verbose: options.verbose ?? false,
      now: this.now,
      sockets: this.sockets,
    };
    this.kafka = createKafka({ ...client, retry: RUN_RETRY });
    this.probeKafka = createKafka({ ...client, log: quietened(this.log), retry: PROBE_RETRY });
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Java's murmur2 partitioner (also kafkajs's default; naming it silences kafkajs's notice).
      createPartitioner: Partitioners.DefaultPartitioner,
      // The idempotent producer keeps retrying; KAFKA_UNAVAILABLE is decided here, by time.
      retry: { ...RUN_RETRY, retries: Number.MAX_SAFE_INTEGER },
    });
    this.started = this.start(partitions);
    // Reported by ready(), write() and flush(); not an unhandled rejection meanwhile.
    this.started.catch(() => undefined);
  }

  /** Resolves once connected with the topic in place. */
  ready(): Promise<void> {
    return this.started;
  }

  /** Queues records; resolves at once unless several batches wait to be sent. */
  async write(messages: readonly Message[]): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.closed) throw new SinkError('CLOSED', `${this.name} is closed`);
    for (const message of messages) {
      this.pending.push(message);
      this.pendingBytes += sizeOf(message) + RECORD_OVERHEAD_BYTES;
      if (this.pending.length >= this.batchMessages || this.pendingBytes >= this.batchBytes) this.sendPending();
    }
    if (this.queuedSends > MAX_QUEUED_SENDS) await this.tail;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Sends what is queued and waits until the broker has acknowledged everything written so far. */
  async flush(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.sendPending();
    await this.tail;
    if (this.failure !== undefined) throw this.failure;
    // Nothing was written, perhaps, but a sink that cannot connect should say so.
    await this.started;
  }

  /** Flushes, then disconnects; a failed flush still disconnects and is rethrown. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.failure === undefined && (this.pending.length > 0 || this.queuedSends > 0)) await this.flush();
    } finally {
      this.closed = true;
      this.stopConnecting.abort();
      // A connect still under way would otherwise finish after the disconnect and keep the process alive.
      await this.started.catch(() => undefined);
      await this.producer.disconnect().catch(() => undefined);
      const left = this.sockets.destroyAll();
      if (left > 0) this.log('debug', `closed ${left} connection${left === 1 ? '' : 's'} kafkajs left open`);
    }
  }

  private sendPending(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.queuedSends++;
    this.tail = this.tail.then(async () => {
      try {
        if (this.failure === undefined) await this.send(batch);
      } catch (error) {
        this.failure ??= error instanceof SinkError ? error : this.sendError(error);
      } finally {
        this.queuedSends--;
      }
    });
  }

  private async send(messages: Message[]): Promise<void> {
    await this.started;
    const limit = this.options.unavailableTimeoutMs ?? DEFAULT_UNAVAILABLE_TIMEOUT_MS;
    const sent = this.producer.send({ topic: this.options.topic, messages, acks: ACKS_ALL });
    if (limit === 0) {
      await sent;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new SinkError('KAFKA_UNAVAILABLE', `cannot write ${this.options.what} to Kafka at ${this.where}: no acknowledgement for ${Math.round(limit / 1000)} s`));
      }, limit);
    });
    try {
      await Promise.race([sent, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private sendError(error: unknown): SinkError {
    return new SinkError('KAFKA_FAILED', `cannot write ${this.options.what} to ${this.options.topic} on Kafka at ${this.where}: ${describeKafkaError(error)}`, { cause: error });
  }

  private async start(partitions: number): Promise<void> {
    const probe = this.probeKafka.admin();
    try {
      await retryUntil(() => probe.connect(), {
        timeoutMs: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        now: this.now,
        signal: this.stopConnecting.signal,
        onFirstFailure: (reason) => this.log('warn', `waiting for Kafka at ${this.where}: ${reason}`),
      });
    } catch (error) {
      const reason = error instanceof GaveUp ? error.reason : describeKafkaError(error);
      throw new SinkError('KAFKA_UNAVAILABLE', `cannot reach Kafka at ${this.where}: ${reason}`, { cause: error });
    } finally {
      await probe.disconnect().catch(() => undefined);
    }
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const config = Object.entries(this.options.topicConfig ?? {}).map(([name, value]) => ({ name, value }));
      const created = await admin.createTopics({
        topics: [{ topic: this.options.topic, numPartitions: partitions, configEntries: config }],
        waitForLeaders: true,
      });
      if (created) {
        const settings = config.map((c) => `${c.name}=${c.value}`).join(', ');
        this.log('info', `created topic ${this.options.topic} for ${this.options.what} (${partitions} partition${partitions === 1 ? '' : 's'}${settings === '' ? '' : `, ${settings}`})`);
      }
      if (!this.stopConnecting.signal.aborted) await this.producer.connect();
    } catch (error) {
      throw new SinkError('KAFKA_FAILED', `cannot set up topic ${this.options.topic} on Kafka at ${this.where}: ${describeKafkaError(error)}`, { cause: error });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

function sizeOf(message: Message): number {
  const value = message.value;
  if (value === null) return 0;
  // Frames in dead letters hold multi-byte text: count bytes, not characters.
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new SinkError('BAD_OPTION', `${name} must be a positive integer, got ${value}`);
  return value;
}
