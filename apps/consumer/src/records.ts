import {
  decodeSnapshot,
  encodeSnapshot,
  GRANULARITIES,
  type Granularity,
  type PartialResult,
  type PartitionProgress,
} from '@uniqstream/core';
import { ConsumerError } from './errors.js';

/**
 * The records the service keeps in Kafka, with their keys. Values use core's
 * snapshot container (a JSON header plus binary blobs), so counters travel as
 * bytes and -Infinity watermarks survive.
 *
 * - partials topic: `minute:1468244340:3` -> a partition's share of a window
 *   (the full counter, not a delta, so a replay writes the same record);
 *   `progress:3` -> where partition 3's event time stands.
 * - checkpoint topic: `3` -> partition 3's engine state and the offset it covers.
 */

const RECORD_VERSION = 1;
const PROGRESS_PREFIX = 'progress:';
const KEY_SEPARATOR = ':';
const DECIMAL = /^(0|-?[1-9][0-9]*)$/;

/** What a partials-topic key names. */
export type PartialsKey =
  | { readonly kind: 'partial'; readonly window: Granularity; readonly start: number; readonly partition: number }
  | { readonly kind: 'progress'; readonly partition: number };

/** `window:start:partition`: one record per partition's share of a window, so compaction keeps the latest of each. */
export function partialKey(window: Granularity, start: number, partition: number): string {
  return `${window}${KEY_SEPARATOR}${start}${KEY_SEPARATOR}${partition}`;
}

export function progressKey(partition: number): string {
  return `${PROGRESS_PREFIX}${partition}`;
}

/** The window key a merged result is written under (the Kafka result sink's `resultKey`). */
export function windowKey(window: Granularity, start: number): string {
  return `${window}${KEY_SEPARATOR}${start}`;
}

export function parsePartialsKey(key: string): PartialsKey {
  if (key.startsWith(PROGRESS_PREFIX)) {
    return { kind: 'progress', partition: partitionOf(key.slice(PROGRESS_PREFIX.length), key) };
  }
  const parts = key.split(KEY_SEPARATOR);
  const window = GRANULARITIES.find((g) => g === parts[0]);
  if (parts.length !== 3 || window === undefined || !DECIMAL.test(parts[1]!))
    throw badRecord(`"${key}" is not a partials key (window:start:partition or progress:partition)`);
  return { kind: 'partial', window, start: Number(parts[1]), partition: partitionOf(parts[2]!, key) };
}

/** `watermark` (where the partition stands), when given, takes the place of the partial's own. */
export function encodePartial(partial: PartialResult, watermark: number | undefined = partial.watermark): Buffer {
  const body: Record<string, unknown> = {
    type: 'partial',
    version: RECORD_VERSION,
    partition: partial.partition,
    window: partial.window,
    start: partial.start,
    end: partial.end,
    users: partial.users,
    frames: partial.frames,
    revision: partial.revision,
    final: partial.final,
    method: partial.method,
    state: partial.state,
  };
  if (partial.error !== undefined) body.error = partial.error;
  if (watermark !== undefined) body.watermark = watermark;
  return toBuffer(encodeSnapshot(body));
}

export function decodePartial(value: Uint8Array): PartialResult {
  const body = open(value, 'partial');
  const window = GRANULARITIES.find((g) => g === body.window);
  const method = body.method;
  if (window === undefined || (method !== 'exact' && method !== 'hll'))
    throw badRecord('a partial result without a known window or method');
  const state = body.state;
  if (!(state instanceof Uint8Array)) throw badRecord('a partial result without its counter');
  const partial = {
    window,
    start: num(body, 'start'),
    end: num(body, 'end'),
    users: num(body, 'users'),
    frames: num(body, 'frames'),
    revision: num(body, 'revision'),
    final: bool(body, 'final'),
    method,
    partition: num(body, 'partition'),
    state,
  } as const;
  const error = body.error;
  const watermark = body.watermark;
  return {
    ...partial,
    ...(typeof error === 'number' ? { error } : {}),
    ...(typeof watermark === 'number' ? { watermark } : {}),
  };
}

export function encodeProgress(progress: PartitionProgress): Buffer {
  return toBuffer(
    encodeSnapshot({
      type: 'progress',
      version: RECORD_VERSION,
      partition: progress.partition,
      watermark: progress.watermark,
      idle: progress.idle,
    }),
  );
}

export function decodeProgress(value: Uint8Array): PartitionProgress {
  const body = open(value, 'progress');
  const watermark = body.watermark;
  // -Infinity (no frames yet) is a valid watermark; NaN is not.
  if (typeof watermark !== 'number' || Number.isNaN(watermark))
    throw badRecord('a progress record without a watermark');
  return { partition: num(body, 'partition'), watermark, idle: bool(body, 'idle') };
}

/** One input partition's state and the offset it covers: a valid restart point on its own. */
export interface Checkpoint {
  /** The input topic, so that a checkpoint of another topic is never adopted. */
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read: every frame before it is in `engine`. */
  readonly offset: number;
  /** CountingEngine.snapshot() of the partition's engine. */
  readonly engine: Uint8Array;
}

export function checkpointKey(partition: number): string {
  return String(partition);
}

export function encodeCheckpoint(checkpoint: Checkpoint): Buffer {
  return toBuffer(encodeSnapshot({ type: 'checkpoint', version: RECORD_VERSION, ...checkpoint }));
}

export function decodeCheckpoint(value: Uint8Array): Checkpoint {
  const body = open(value, 'checkpoint');
  const topic = body.topic;
  const engine = body.engine;
  if (typeof topic !== 'string' || !(engine instanceof Uint8Array))
    throw badRecord('a checkpoint without its topic or engine state');
  const offset = num(body, 'offset');
  if (!Number.isSafeInteger(offset) || offset < 0) throw badRecord(`a checkpoint with offset ${offset}`);
  return { topic, partition: num(body, 'partition'), offset, engine };
}

function open(value: Uint8Array, type: string): Record<string, unknown> {
  let body: unknown;
  try {
    // A plain copy: decodeSnapshot slices its blobs from what it is given, and Buffer#slice
    // (kafkajs hands over Buffers) would keep the whole fetch response alive behind each counter.
    body = decodeSnapshot(new Uint8Array(value));
  } catch (cause) {
    throw badRecord(
      `a ${type} record that is not a uniqstream container (${cause instanceof Error ? cause.message : String(cause)})`,
      cause,
    );
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw badRecord(`a ${type} record without a body`);
  const record = body as Record<string, unknown>;
  if (record.type !== type) throw badRecord(`expected a ${type} record, got ${JSON.stringify(record.type)}`);
  if (record.version !== RECORD_VERSION)
    throw badRecord(
      `${type} record version ${JSON.stringify(record.version)} is not supported (expected ${RECORD_VERSION})`,
    );
  return record;
}

function num(body: Record<string, unknown>, field: string): number {
  const value = body[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw badRecord(`field ${field} is not a number`);
  return value;
}

function bool(body: Record<string, unknown>, field: string): boolean {
  const value = body[field];
  if (typeof value !== 'boolean') throw badRecord(`field ${field} is not true or false`);
  return value;
}

function partitionOf(text: string, key: string): number {
  if (!DECIMAL.test(text) || text.startsWith('-')) throw badRecord(`"${key}" does not end in a partition number`);
  return Number(text);
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function badRecord(message: string, cause?: unknown): ConsumerError {
  return new ConsumerError('BAD_RECORD', message, cause === undefined ? undefined : { cause });
}
