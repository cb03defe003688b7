import { describeKafkaError, PRODUCER_RETRY } from '@uniqstream/kafka';
import { Partitioners, type Kafka, type Message, type Producer, type Transaction } from 'kafkajs';
import { ConsumerError } from './errors.js';

/** Records for one topic in a transaction. */
export interface TransactionRecords {
  readonly topic: string;
  readonly messages: readonly Message[];
}

/** Consumed offsets committed with a transaction: the next offset to read, per partition of `topic`, for `group`. */
export interface TransactionOffsets {
  readonly group: string;
  readonly topic: string;
  readonly offsets: ReadonlyMap<number, number>;
}

/** The broker's answers that say another producer has taken the transactional id over. */
const FENCED_ANSWERS = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'INVALID_PRODUCER_ID_MAPPING']);
const ACKS_ALL = -1;

/**
 * One Kafka transactional producer (kafkajs) and the id it holds. Taking an
 * id over fences whoever held it before: its open transaction is aborted and
 * anything it tries later is refused. That is what keeps a zombie (an
 * instance that lost its partitions without noticing, in a long pause) from
 * committing work its successor does again.
 */
export class TransactionalProducer {
  private readonly producer: Producer;
  private connected = false;

  constructor(
    kafka: Kafka,
    readonly transactionalId: string,
  ) {
    // Retried for as long as it takes, as the service's other producers are: their owners decide by time when to
    // give up.
    this.producer = kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      retry: PRODUCER_RETRY,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  /**
   * Connects and takes the id over. kafkajs asks the broker for the id's
   * producer epoch only when the first transaction begins, so one is begun
   * and aborted here: from now on the previous holder is fenced.
   */
  async fence(): Promise<void> {
    try {
      await this.producer.connect();
      this.connected = true;
      const transaction = await this.producer.transaction();
      await transaction.abort();
    } catch (error) {
      throw this.failure('cannot take over', error);
    }
  }

  /**
   * Writes `records` (in order per topic partition) and commits `offsets`
   * for their group in one transaction: all of it becomes visible to
   * read_committed readers, or none. Rejects with ConsumerError
   * 'FENCED' when another producer has taken the id over, else
   * 'KAFKA_FAILED'; the transaction is aborted either way.
   */
  async commit(records: readonly TransactionRecords[], offsets?: TransactionOffsets): Promise<void> {
    let transaction: Transaction;
    try {
      transaction = await this.producer.transaction();
    } catch (error) {
      throw this.failure('cannot begin a transaction', error);
    }
    try {
      for (const { topic, messages } of records) {
        if (messages.length > 0) await transaction.send({ topic, messages: [...messages], acks: ACKS_ALL });
      }
      if (offsets !== undefined && offsets.offsets.size > 0) {
        const partitions = [...offsets.offsets].map(([partition, offset]) => ({ partition, offset: String(offset) }));
        await transaction.sendOffsets({
          consumerGroupId: offsets.group,
          topics: [{ topic: offsets.topic, partitions }],
        });
      }
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw this.failure('transaction failed', error);
    }
  }

  async close(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect().catch(() => undefined);
  }

  private failure(what: string, error: unknown): ConsumerError {
    const fenced = isFenced(error);
    const why = fenced ? 'another instance has taken it over' : describeKafkaError(error);
    return new ConsumerError(fenced ? 'FENCED' : 'KAFKA_FAILED', `${what} as ${this.transactionalId}: ${why}`, {
      cause: error,
    });
  }
}

/** True when `error` (or one it wraps) is the broker saying that a newer producer holds the transactional id. */
export function isFenced(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e: unknown = error; typeof e === 'object' && e !== null && !seen.has(e); ) {
    seen.add(e);
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && FENCED_ANSWERS.has(type)) return true;
    const record = e as { originalError?: unknown; cause?: unknown };
    e = record.originalError ?? record.cause;
  }
  return false;
}
