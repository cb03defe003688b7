import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import { ConsumerError } from './errors.js';
import { describeKafkaError, PRODUCER_RETRY } from './kafka.js';

const KIB = 1024;
/**
 * Bytes of values per send. One send is one request with a record batch per
 * partition; the broker's default 1 MB batch limit does not apply to the
 * state topics (max.message.bytes is raised there), but smaller sends keep
 * memory and retries small. A larger record goes alone.
 */
const SEND_BYTES = 1024 * KIB;
/** acks=-1: every in-sync replica has the records; the idempotent producer requires it. */
const ACKS_ALL = -1;

/**
 * Keyed records to one topic through an idempotent producer (acks -1, one
 * request in flight, so records keep the order they were written in, which
 * partials followed by progress rely on). `write()` queues and sends full
 * batches in the background; `flush()` resolves once the broker has
 * acknowledged everything written before it.
 */
export class RecordWriter {
  private readonly producer: Producer;
  private pending: Message[] = [];
  private pendingBytes = 0;
  private tail: Promise<void> = Promise.resolve();
  private failure: ConsumerError | undefined;
  private connected = false;
  /** Records the broker acknowledged. */
  acknowledged = 0;

  constructor(
    kafka: Kafka,
    readonly topic: string,
    private readonly what: string,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { ...PRODUCER_RETRY },
    });
  }

  async connect(): Promise<void> {
    try {
      await this.producer.connect();
      this.connected = true;
    } catch (error) {
      throw new ConsumerError('KAFKA_FAILED', `cannot connect the producer of ${this.what} (${this.topic}): ${describeKafkaError(error)}`, { cause: error });
    }
  }

  /** Queues records; a full batch starts sending at once. Throws the failure of an earlier send. */
  write(messages: readonly Message[]): void {
    if (this.failure !== undefined) throw this.failure;
    for (const message of messages) {
      this.pending.push(message);
      this.pendingBytes += sizeOf(message);
      if (this.pendingBytes >= SEND_BYTES) this.sendPending();
    }
  }

  /** Sends what is queued and waits for every acknowledgement so far. */
  async flush(): Promise<void> {
    this.sendPending();
    await this.tail;
    if (this.failure !== undefined) throw this.failure;
  }

  async close(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect().catch(() => undefined);
  }

  private sendPending(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.tail = this.tail.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await this.producer.send({ topic: this.topic, messages: batch, acks: ACKS_ALL });
        this.acknowledged += batch.length;
      } catch (error) {
        this.failure = new ConsumerError('KAFKA_FAILED', `cannot write ${this.what} to ${this.topic}: ${describeKafkaError(error)}`, { cause: error });
      }
    });
  }
}

function sizeOf(message: Message): number {
  const value = message.value;
  if (value === null) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}
