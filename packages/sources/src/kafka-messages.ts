import type { KafkaLogLevel } from '@uniqstream/kafka';
import type { SourceErrorCode } from './errors.js';
import type { ReaderSettings } from './kafka-reader.js';
import type { PartitionStart } from './kafka-assignment.js';
import type { BudgetMemory } from './kafka-buffers.js';

/*
 * What the Kafka source and its reader thread say to each other. Plain data
 * only (structured clone); batch bytes travel as a transferred ArrayBuffer,
 * never in a message's copy.
 */

/** The reader thread's workerData. */
export interface WorkerSetup {
  readonly reader: ReaderSettings;
  readonly buffers: BudgetMemory;
}

/** The records of one partition from one fetch answer, their values written one after the other into `buffer`. */
export interface BatchMessage {
  readonly kind: 'batch';
  readonly partition: number;
  /** The session the partition was started with when these records were fetched (PartitionStart.session). */
  readonly session: number;
  /** The values, in its first `size` bytes. Transferred. */
  readonly buffer: ArrayBuffer;
  /** Bytes of all its values. */
  readonly size: number;
  /** What to release once the pipeline is done with it (Reservation.charge). */
  readonly charge: number;
  /** End of value i within the batch's bytes (value i starts where i - 1 ends). Transferred. */
  readonly ends: Uint32Array;
  /** Kafka offset of value i. Transferred. */
  readonly offsets: Float64Array;
  /** Last offset + 1. */
  readonly next: number;
  /** Every value is valid UTF-8 (checked on the reader thread, once for the batch). */
  readonly utf8: boolean;
}

export type FromWorker =
  | { readonly kind: 'log'; readonly level: KafkaLogLevel; readonly message: string }
  | { readonly kind: 'consuming' }
  | { readonly kind: 'started' }
  | { readonly kind: 'failed'; readonly code: SourceErrorCode; readonly message: string; readonly cause: string }
  /** After every group join: the partitions of the topic held now, ascending. New ones are read once started. */
  | { readonly kind: 'joined'; readonly assignment: readonly number[] }
  /** kafkajs heard the group rebalance: its rejoin waits for 'rejoin' with this id (or a time limit). */
  | { readonly kind: 'rebalancing'; readonly id: number }
  | { readonly kind: 'fetched' }
  /** `code`: why reading cannot go on, when the reader knows (its SourceError's code); default KAFKA_FAILED. */
  | { readonly kind: 'crashed'; readonly reason: string; readonly restart: boolean; readonly code?: SourceErrorCode }
  | BatchMessage
  | { readonly kind: 'committed'; readonly id: number }
  | { readonly kind: 'lag'; readonly id: number; readonly lag: readonly (readonly [number, number])[] }
  | { readonly kind: 'lag-failed'; readonly id: number; readonly code: SourceErrorCode; readonly message: string }
  | { readonly kind: 'closed' };

export type ToWorker =
  /** The source's caller stopped before the reader joined: give up waiting for a broker. */
  | { readonly kind: 'stop-starting' }
  /** A batch's own buffer, done with: transferred back for the next batch. */
  | { readonly kind: 'recycle'; readonly buffer: ArrayBuffer }
  /** Gained partitions whose state is in place: read them from there, tagging their batches with the session. */
  | { readonly kind: 'start'; readonly starts: readonly PartitionStart[] }
  /** The state of the partitions held is saved for the rebalance `id`: let kafkajs rejoin. */
  | { readonly kind: 'rejoin'; readonly id: number }
  | { readonly kind: 'commit'; readonly id: number; readonly positions: readonly (readonly [number, number])[] }
  | {
      readonly kind: 'lag';
      readonly id: number;
      readonly assignment: readonly number[];
      readonly delivered: readonly (readonly [number, number])[];
    }
  | { readonly kind: 'close' };
