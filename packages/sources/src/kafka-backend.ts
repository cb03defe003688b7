import type { FrameBatch } from '@uniqstream/core';
import type { KafkaLog } from '@uniqstream/kafka';
import type { SourceError } from './errors.js';

/**
 * Where the Kafka source's kafkajs consumer runs: on the caller's thread
 * (kafka-source.ts, `worker: false`) or on a worker thread of its own
 * (kafka-worker-link.ts). The source keeps everything else on its thread:
 * the batches loop, idle ticks, health, the assignment and onAssignment.
 */
export interface KafkaBackend {
  /**
   * Connects, checks the topic, joins the group and starts fetching;
   * returns quietly once `signal` aborts; fails with a SourceError.
   */
  start(signal: AbortSignal): Promise<void>;
  /** Commits partition -> next offset (already limited to the partitions held). */
  commit(positions: ReadonlyMap<number, number>): Promise<void>;
  lag(assignment: readonly number[], delivered: ReadonlyMap<number, number>): Promise<Map<number, number>>;
  /** The source's caller stopped reading: hold kafkajs (no more fetching) until close(). */
  stop(): void;
  close(): Promise<void>;
}

/** What a backend tells the source (on the source's thread). */
export interface BackendHost {
  readonly log: KafkaLog;
  /**
   * Hands a batch to the pipeline. Resolves true once the pipeline has
   * taken it and come back for the next one (it is done with the frames),
   * false when the source closed first.
   */
  offer(batch: FrameBatch): Promise<boolean>;
  /** Per partition, the offset after the last frame handed on (0 when none). */
  delivered(partition: number): number;
  consuming(): void;
  joined(assignment: readonly number[]): void;
  fetched(): void;
  crashed(reason: string, restart: boolean, cause: unknown): void;
  /** The backend cannot go on (its thread died). */
  failed(error: SourceError): void;
}
