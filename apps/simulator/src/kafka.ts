import {
  DEFAULT_UNAVAILABLE_TIMEOUT_MS,
  KafkaTopicWriter,
  type KafkaError,
  type KafkaSecurity,
} from '@uniqstream/kafka';
import type { Message } from 'kafkajs';
import { SimError, type SimErrorCode } from './errors.js';
import type { SimIo } from './io.js';
import type { MessageOutput } from './output.js';

export interface KafkaSettings {
  /** Partitions for a topic this run creates. */
  readonly partitions: number;
  /** `uid`: frames keyed by uid (one user, one partition); `none`: no key, spread round-robin. */
  readonly key: 'uid' | 'none';
  readonly compression: 'gzip' | 'none';
  /**
   * Bytes of frames per send. Kept well under the broker's default
   * 1 MB limit on one partition's record batch.
   */
  readonly batchBytes: number;
  /** How long to wait for a broker at start before giving up, seconds. */
  readonly waitSeconds: number;
  /** How long sends keep retrying while the broker is away before the run fails, seconds (0: for as long as it
   * takes). */
  readonly outageSeconds: number;
  /** TLS and a SASL login (the --kafka-* connection settings); absent: plaintext. */
  readonly security?: KafkaSecurity;
}

const MS_PER_SECOND = 1000;

export const DEFAULT_KAFKA_SETTINGS: KafkaSettings = {
  partitions: 1,
  key: 'uid',
  compression: 'none',
  batchBytes: 512 * 1024,
  waitSeconds: 30,
  outageSeconds: DEFAULT_UNAVAILABLE_TIMEOUT_MS / MS_PER_SECOND,
};

/** Kafka's default largest message (message.max.bytes) less room for the record's own headers. */
export const MAX_KAFKA_FRAME_BYTES = 1_000_000 - 1024;
const CLIENT_ID = 'uniqstream-sim';
const ERROR_CODES: Readonly<Record<KafkaError['code'], SimErrorCode>> = {
  BAD_OPTION: 'BAD_OPTION',
  UNAVAILABLE: 'KAFKA_UNREACHABLE',
  FAILED: 'OUTPUT_FAILED',
  CLOSED: 'OUTPUT_FAILED',
  // A login or TLS handshake the broker refused: the run fails (exit 1); settings that cannot work are refused
  // before (exit 2).
  SECURITY: 'KAFKA_REFUSED',
};

/**
 * Frames to a Kafka topic through @uniqstream/kafka's writer: batched sends
 * by an idempotent producer, one after the other (so each partition keeps
 * the stream's order), retried while the broker is away for up to
 * `outageSeconds`. Frames wait in the writer meanwhile; none is dropped.
 */
export class KafkaOutput implements MessageOutput {
  readonly kind = 'messages';
  closed = false;
  private nextPartition = 0;

  private constructor(
    private readonly writer: KafkaTopicWriter,
    private readonly partitions: number,
    private readonly key: KafkaSettings['key'],
  ) {}

  /**
   * Waits for a broker (up to `waitSeconds`), creates the topic if it does
   * not exist, and connects. `onDelivered` is told, in the order frames
   * were added, how many more the broker has acknowledged.
   */
  static async open(
    brokers: readonly string[],
    topic: string,
    settings: KafkaSettings,
    io: SimIo,
    log: (line: string) => void,
    onDelivered?: (frames: number) => void,
  ): Promise<KafkaOutput> {
    let connected = false;
    const writer = new KafkaTopicWriter({
      brokers,
      topic,
      what: 'frames',
      partitions: settings.partitions,
      clientId: CLIENT_ID,
      // The writer's own lines (waiting, created, lost, back); kafkajs's retries stay at debug.
      log: (level, line) => {
        if (level !== 'debug') log(line);
      },
      connectTimeoutMs: settings.waitSeconds * MS_PER_SECOND,
      unavailableTimeoutMs: settings.outageSeconds * MS_PER_SECOND,
      batchBytes: settings.batchBytes,
      compression: settings.compression,
      now: io.monotonic,
      ...(settings.security === undefined ? {} : { security: settings.security }),
      ...(onDelivered === undefined ? {} : { onAcknowledged: onDelivered }),
      errorOf: (error) =>
        new SimError(ERROR_CODES[error.code], `${error.message}${hint(error, connected, settings)}`, { cause: error }),
    });
    try {
      await writer.ready();
      connected = true;
      const partitions = await writer.partitions();
      if (partitions !== settings.partitions)
        log(
          `topic ${topic} already exists with ${partitions} partition(s); --partitions ${settings.partitions} ` +
            `does not change it`,
        );
      return new KafkaOutput(writer, partitions, settings.key);
    } catch (error) {
      await writer.close({ flush: false });
      throw error;
    }
  }

  async add(value: Uint8Array, key: string | null): Promise<void> {
    // The writer holds messages until they are acknowledged; value may be a reused buffer.
    const copy = Buffer.from(value);
    let message: Message;
    if (this.key === 'none') {
      message = { value: copy, partition: this.nextPartition };
      this.nextPartition = (this.nextPartition + 1) % this.partitions;
    } else {
      message = key === null ? { value: copy } : { key, value: copy };
    }
    await this.writer.write([message]);
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  async close(): Promise<void> {
    try {
      await this.writer.close();
    } finally {
      this.closed = true;
    }
  }
}

/** What to do about an unreachable broker, after the writer's one-line message. */
function hint(error: KafkaError, connected: boolean, settings: KafkaSettings): string {
  if (error.code !== 'UNAVAILABLE') return '';
  if (!connected)
    return (
      ` (gave up after ${settings.waitSeconds} s, see --kafka-wait; is the broker running? try: ` +
      `sh tools/kafka/bin/kafka-local start)`
    );
  return ' (see --kafka-outage)';
}
