/*
 * The Kafka source's reader thread (node:worker_threads): records are
 * fetched here (by the direct fetch path, or kafkajs's consumer), on
 * another core, while the pipeline decodes and counts frames on the
 * source's thread. Each batch's record values are
 * copied, one after the other, into a buffer of the batch's own (moved to
 * the source's thread with the descriptor, and moved back for reuse once
 * the pipeline is done with it) or into the shared ring; a small
 * descriptor says where each value ends and its offset. The source hands
 * the frames on as views of those bytes, with no copy on its thread.
 *
 * Loaded by kafka-worker-link.ts from the built package (dist/), never
 * imported.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeKafkaError, type KafkaLog } from '@uniqstream/kafka';
import type { EachBatchPayload } from 'kafkajs';
import { SourceError } from './errors.js';
import type { BatchMessage, FromWorker, ToWorker, WorkerSetup } from './kafka-messages.js';
import type { FoundRecords } from './kafka-record-batch.js';
import { HEARTBEAT_INTERVAL_MS, KafkaReader } from './kafka-reader.js';
import { FrameRing, type Reservation } from './kafka-ring.js';
import { packedValuesAreUtf8 } from './packed-utf8.js';

/**
 * kafkajs reports every fetch; the source only needs to know that fetches
 * answer (its staleness margin is seconds), so one notice per this long.
 */
const FETCH_NOTICE_MS = 100;

if (parentPort === null) throw new Error('kafka-worker.js runs as a worker thread of the Kafka source');
const port = parentPort;
const setup = workerData as WorkerSetup;
const ring = FrameRing.attach(setup.ring);
const now = (): number => performance.now();

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

const log: KafkaLog = (level, message) => post({ kind: 'log', level, message });

/** Per partition, the offset after the last record written to the ring: re-deliveries below it are dropped. */
const handedOn = new Map<number, number>();
let assignment: readonly number[] = [];
let lastFetchNotice = Number.NEGATIVE_INFINITY;
let closing = false;
let releaseParked: () => void = () => undefined;
/** Holds eachBatch once the source stopped reading, until close: kafkajs would fetch the same records again and again. */
const parked = new Promise<void>((resolve) => (releaseParked = resolve));

const reader = new KafkaReader(
  setup.reader,
  log,
  now,
  {
    consuming: () => post({ kind: 'consuming' }),
    joined: (held) => {
      const kept = new Set(held);
      for (const partition of assignment) if (!kept.has(partition)) handedOn.delete(partition);
      assignment = held;
      post({ kind: 'joined', assignment: held });
    },
    fetched: () => {
      const at = now();
      if (at - lastFetchNotice < FETCH_NOTICE_MS) return;
      lastFetchNotice = at;
      post({ kind: 'fetched' });
    },
    crashed: (reason, restart) => {
      // The first fetch after a crash is news (the source logs "reconnected").
      lastFetchNotice = Number.NEGATIVE_INFINITY;
      post({ kind: 'crashed', reason, restart });
    },
  },
  { eachBatch, records },
);

async function eachBatch(payload: EachBatchPayload): Promise<void> {
  const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
  if (closing || ring.closed) {
    await parked;
    return;
  }
  const messages = batch.messages;
  const from = handedOn.get(batch.partition) ?? 0;
  let first = 0;
  while (first < messages.length && Number(messages[first]!.offset) < from) first++;
  const count = messages.length - first;
  if (count === 0) {
    // Handed on before a restart or rejoin re-read it from the committed offset.
    resolveOffset(batch.lastOffset());
    return;
  }
  let size = 0;
  for (let i = first; i < messages.length; i++) size += messages[i]!.value?.length ?? 0;
  // Heartbeats while the pipeline is behind keep the group from dropping this member.
  const next = await pack(batch.partition, count, size, () => heartbeat(), (bytes, ends, offsets) => {
    let end = 0;
    for (let i = 0; i < count; i++) {
      const message = messages[first + i]!;
      const value = message.value;
      // A null value (a tombstone) is an empty frame, which the decoder reports as 'empty'.
      if (value !== null) {
        bytes.set(value, end);
        end += value.length;
      }
      ends[i] = end;
      offsets[i] = Number(message.offset);
    }
  });
  if (next === undefined) return;
  if (!isRunning() || isStale()) return;
  // Only kafkajs's fetch position: offsets are committed when the pipeline says so.
  resolveOffset(String(next - 1));
  await heartbeat();
}

/**
 * The direct fetch path's records of one partition: copied now, since the
 * fetcher reuses them (and the answer's bytes) once this resolves. kafkajs
 * is paused there and heartbeats on its own, so a wait for room needs none.
 */
async function records(partition: number, found: FoundRecords): Promise<void> {
  const { count, start, length, offset, source } = found;
  await pack(partition, count, found.size, () => undefined, (bytes, ends, offsets) => {
    let end = 0;
    for (let i = 0; i < count; i++) {
      const valueLength = length[i]!;
      // A null value (a tombstone, length -1) is an empty frame, which the decoder reports as 'empty'.
      if (valueLength > 0) {
        const from = start[i]!;
        bytes.set(source[i]!.subarray(from, from + valueLength), end);
        end += valueLength;
      }
      ends[i] = end;
      offsets[i] = offset[i]!;
    }
  });
}

/**
 * Reserves room for `count` values of `size` bytes (calling `onWait` while
 * the pipeline is behind), lets `write` pack them (value i ending at
 * ends[i]) with their offsets, and posts the batch. Returns its last offset
 * + 1, or undefined (after parking until close) when the source stopped
 * reading.
 */
async function pack(
  partition: number,
  count: number,
  size: number,
  onWait: () => Promise<void> | void,
  write: (bytes: Uint8Array, ends: Uint32Array, offsets: Float64Array) => void,
): Promise<number | undefined> {
  const space = closing || ring.closed ? undefined : await ring.reserve(size, { waitMs: HEARTBEAT_INTERVAL_MS, onWait });
  if (space === undefined) {
    await parked;
    return undefined;
  }
  const ends = new Uint32Array(count);
  const offsets = new Float64Array(count);
  write(space.bytes, ends, offsets);
  return handOn(partition, space, size, ends, offsets);
}

/** Posts a batch whose values were packed into `space` (value i ends at ends[i]); returns its last offset + 1. */
function handOn(partition: number, space: Reservation, size: number, ends: Uint32Array<ArrayBuffer>, offsets: Float64Array<ArrayBuffer>): number {
  const next = offsets[offsets.length - 1]! + 1;
  const bytes = space.bytes;
  // Here, on the reader thread, the pipeline's thread is spared a check per frame.
  const utf8 = packedValuesAreUtf8(bytes, ends);
  const described: BatchMessage = { kind: 'batch', partition, at: space.at, size, held: space.held, ends, offsets, next, utf8 };
  if (space.at < 0) post({ ...described, own: bytes.buffer as ArrayBuffer }, [ends.buffer, offsets.buffer, bytes.buffer as ArrayBuffer]);
  else post(described, [ends.buffer, offsets.buffer]);
  handedOn.set(partition, next);
  return next;
}

const stopStarting = new AbortController();
const starting = reader.start(stopStarting.signal).then(
  () => post({ kind: 'started' }),
  (error: unknown) => {
    if (error instanceof SourceError) post({ kind: 'failed', code: error.code, message: error.message, cause: error.cause === undefined ? '' : describeKafkaError(error.cause) });
    else post({ kind: 'failed', code: 'KAFKA_FAILED', message: `reading ${setup.reader.topic} from Kafka failed: ${describeKafkaError(error)}`, cause: '' });
  },
);

async function close(): Promise<void> {
  if (closing) return;
  closing = true;
  ring.close();
  releaseParked();
  stopStarting.abort();
  await starting;
  await reader.close();
  post({ kind: 'closed' });
}

port.on('message', (message: ToWorker) => {
  switch (message.kind) {
    case 'recycle':
      ring.recycle(message.buffer);
      return;
    case 'stop-starting':
      stopStarting.abort();
      return;
    case 'commit':
      void reader.commit(new Map(message.positions)).finally(() => post({ kind: 'committed', id: message.id }));
      return;
    case 'lag':
      reader.lag(message.assignment, new Map(message.delivered)).then(
        (lag) => post({ kind: 'lag', id: message.id, lag: [...lag] }),
        (error: unknown) =>
          post({
            kind: 'lag-failed',
            id: message.id,
            code: error instanceof SourceError ? error.code : 'KAFKA_FAILED',
            message: error instanceof SourceError ? error.message : describeKafkaError(error),
          }),
      );
      return;
    case 'close':
      void close();
      return;
  }
});
