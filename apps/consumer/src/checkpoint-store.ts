import { randomBytes } from 'node:crypto';
import { KafkaError, readToEnd, type KafkaTopicWriter } from '@uniqstream/kafka';
import type { Admin, Kafka } from 'kafkajs';
import { ConsumerError, consumerErrorOf } from './errors.js';
import { STATE_FETCH } from './kafka.js';
import { checkpointKey, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './records.js';

const READ_TIMEOUT_MS = 120_000;
/** Readable checkpoints kept per partition while reading: the latest, and one to fall back on. */
const KEPT_PER_PARTITION = 2;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** A checkpoint as read back, with where it is in the checkpoint topic. */
export interface StoredCheckpoint extends Checkpoint {
  readonly recordOffset: number;
}

/** A record under a partition's key that is not a checkpoint this service can read. */
export interface UnreadableCheckpoint {
  readonly partition: number;
  readonly key: string;
  readonly offset: number;
  readonly reason: string;
}

export interface CheckpointStoreOptions {
  readonly kafka: Kafka;
  readonly admin: Admin;
  /** Writes to the checkpoint topic (see createStateWriter). */
  readonly writer: KafkaTopicWriter;
  readonly topic: string;
  /** Partitions of the checkpoint topic. */
  readonly topicPartitions: number;
  /** The input topic the checkpoints are of. */
  readonly inputTopic: string;
  /** Prefix of the throwaway reader groups. */
  readonly group: string;
}

/**
 * Checkpoints in a compacted topic, one record per input partition (key =
 * the partition number). Input partition p goes to checkpoint partition
 * p mod N, so adopting a few partitions reads only their share of the topic.
 */
export class CheckpointStore {
  readonly topic: string;
  private readonly options: CheckpointStoreOptions;

  constructor(options: CheckpointStoreOptions) {
    this.options = options;
    this.topic = options.topic;
  }

  /**
   * The checkpoints of each of `partitions` that has any readable one,
   * newest first (the latest and the one before it, if the topic still holds
   * it: a fallback when the latest cannot be adopted). A record this service
   * cannot read (damaged, or written by something else) is skipped and
   * reported through `onUnreadable`, so that one bad record cannot hold a
   * partition in a crash loop. A readable checkpoint of another input topic
   * under a key means two runs share the topic: that is refused.
   */
  async load(
    partitions: readonly number[],
    onUnreadable: (skipped: UnreadableCheckpoint) => void,
  ): Promise<Map<number, StoredCheckpoint[]>> {
    const wanted = new Set(partitions);
    const found = new Map<number, StoredCheckpoint[]>();
    let misplaced: ConsumerError | undefined;
    await readToEnd({
      kafka: this.options.kafka,
      admin: this.options.admin,
      topic: this.topic,
      partitions: [...new Set(partitions.map((p) => this.home(p)))],
      groupId: `${this.options.group}.checkpoint-reader.${randomBytes(6).toString('hex')}`,
      timeoutMs: READ_TIMEOUT_MS,
      ...STATE_FETCH,
      onRecord: (_partition, offset, key, value) => {
        if (key === null || !DECIMAL.test(key)) return;
        const partition = Number(key);
        if (!wanted.has(partition)) return;
        // Offset order: a later record replaces an earlier one, as compaction will.
        if (value === null) {
          found.delete(partition);
          return;
        }
        let checkpoint: Checkpoint;
        try {
          checkpoint = decodeCheckpoint(value);
        } catch (error) {
          onUnreadable({ partition, key, offset, reason: error instanceof Error ? error.message : String(error) });
          return;
        }
        if (checkpoint.topic !== this.options.inputTopic || checkpoint.partition !== partition) {
          misplaced ??= new ConsumerError(
            'BAD_RECORD',
            `${this.topic} holds a checkpoint of ${checkpoint.topic} partition ${checkpoint.partition} ` +
              `under key ${partition} (offset ${offset}), not of ${this.options.inputTopic}: give each input ` +
              `topic its own --checkpoint-topic (or --group)`,
          );
          return;
        }
        const kept = found.get(partition) ?? [];
        found.set(partition, [{ ...checkpoint, recordOffset: offset }, ...kept].slice(0, KEPT_PER_PARTITION));
      },
    }).catch((error: unknown) => {
      throw error instanceof KafkaError ? consumerErrorOf(error) : error;
    });
    if (misplaced !== undefined) throw misplaced;
    return found;
  }

  connect(): Promise<void> {
    return this.options.writer.ready();
  }

  /** Does not flush: a checkpoint not acknowledged by then is not one. */
  close(): Promise<void> {
    return this.options.writer.close({ flush: false });
  }

  /** Queues checkpoints; flush() makes them durable. */
  write(checkpoints: readonly Checkpoint[]): Promise<void> {
    return this.options.writer.write(checkpoints.map((c) => this.recordOf(c)));
  }

  /** A checkpoint as the record the topic keeps: key, value and the partition it belongs in (for a transaction's
   * writes). */
  recordOf(checkpoint: Checkpoint): { key: string; value: Buffer; partition: number } {
    return {
      key: checkpointKey(checkpoint.partition),
      value: encodeCheckpoint(checkpoint),
      partition: this.home(checkpoint.partition),
    };
  }

  flush(): Promise<void> {
    return this.options.writer.flush();
  }

  private home(partition: number): number {
    return partition % this.options.topicPartitions;
  }
}
