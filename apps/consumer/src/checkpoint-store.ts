import { randomBytes } from 'node:crypto';
import { KafkaError, readToEnd, type KafkaTopicWriter } from '@uniqstream/kafka';
import type { Admin, Kafka } from 'kafkajs';
import { ConsumerError, consumerErrorOf } from './errors.js';
import { STATE_FETCH } from './kafka.js';
import { checkpointKey, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './records.js';

const READ_TIMEOUT_MS = 120_000;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

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

  /** The latest checkpoint of each of `partitions` that has one. */
  async load(partitions: readonly number[]): Promise<Map<number, Checkpoint>> {
    const wanted = new Set(partitions);
    const latest = new Map<number, Buffer>();
    await readToEnd({
      kafka: this.options.kafka,
      admin: this.options.admin,
      topic: this.topic,
      partitions: [...new Set(partitions.map((p) => this.home(p)))],
      groupId: `${this.options.group}.checkpoint-reader.${randomBytes(6).toString('hex')}`,
      timeoutMs: READ_TIMEOUT_MS,
      ...STATE_FETCH,
      onRecord: (_partition, _offset, key, value) => {
        if (key === null || !DECIMAL.test(key)) return;
        const partition = Number(key);
        if (!wanted.has(partition)) return;
        // Offset order: a later record replaces an earlier one, as compaction will.
        if (value === null) latest.delete(partition);
        else latest.set(partition, value);
      },
    }).catch((error: unknown) => {
      throw error instanceof KafkaError ? consumerErrorOf(error) : error;
    });
    const out = new Map<number, Checkpoint>();
    for (const [partition, value] of latest) {
      const checkpoint = decodeCheckpoint(value);
      if (checkpoint.topic !== this.options.inputTopic || checkpoint.partition !== partition) {
        throw new ConsumerError(
          'BAD_RECORD',
          `${this.topic} holds a checkpoint of ${checkpoint.topic} partition ${checkpoint.partition} under key ${partition}, not of ${this.options.inputTopic}: give each input topic its own --checkpoint-topic (or --group)`,
        );
      }
      out.set(partition, checkpoint);
    }
    return out;
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
    return this.options.writer.write(checkpoints.map((c) => ({ key: checkpointKey(c.partition), value: encodeCheckpoint(c), partition: this.home(c.partition) })));
  }

  flush(): Promise<void> {
    return this.options.writer.flush();
  }

  private home(partition: number): number {
    return partition % this.options.topicPartitions;
  }
}
