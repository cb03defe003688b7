/*
 * The Kafka source's reader thread (node:worker_threads): records are
 * fetched here by the direct fetch path, on another core, while the
 * pipeline decodes and counts frames on the source's thread. Each batch's
 * record values are copied, one after the other, into a buffer of the
 * batch's own, moved to the source's thread with a small descriptor (where
 * each value ends, its offset) and moved back for reuse once the pipeline
 * is done with it. The source hands the frames on as views of those bytes,
 * with no copy on its thread.
 *
 * Loaded by kafka-worker-link.ts from the built package (dist/), never
 * imported.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeKafkaError, secretScrubber, type KafkaLog } from '@uniqstream/kafka';
import { SourceError } from './errors.js';
import { BatchBuffers } from './kafka-buffers.js';
import type { BatchMessage, FromWorker, ToWorker, WorkerSetup } from './kafka-messages.js';
import type { FoundRecords } from './kafka-record-batch.js';
import { HEARTBEAT_INTERVAL_MS, KafkaReader } from './kafka-reader.js';
import { packedValuesAreUtf8 } from './packed-utf8.js';

/**
 * The fetch path reports every answer; the source only needs to know that
 * fetches answer (its staleness margin is seconds), so one notice per this
 * long.
 */
const FETCH_NOTICE_MS = 100;

if (parentPort === null) throw new Error('kafka-worker.js runs as a worker thread of the Kafka source');
const port = parentPort;
const setup = workerData as WorkerSetup;
const buffers = BatchBuffers.attach(setup.buffers);
const now = (): number => performance.now();
/** The password came in workerData; no line leaves this thread with it (nor with the key's passphrase). */
const scrub = secretScrubber(setup.reader.security);

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

const log: KafkaLog = (level, message) => post({ kind: 'log', level, message: scrub(message) });

let lastFetchNotice = Number.NEGATIVE_INFINITY;
let closing = false;
let releaseParked: () => void = () => undefined;
/** Holds the fetch path once the source stopped reading, until close: it would fetch on for nobody. */
const parked = new Promise<void>((resolve) => (releaseParked = resolve));

const reader = new KafkaReader(
  setup.reader,
  log,
  now,
  {
    consuming: () => post({ kind: 'consuming' }),
    joined: (assignment) => post({ kind: 'joined', assignment }),
    rebalancing: (id) => post({ kind: 'rebalancing', id }),
    fetched: () => {
      const at = now();
      if (at - lastFetchNotice < FETCH_NOTICE_MS) return;
      lastFetchNotice = at;
      post({ kind: 'fetched' });
    },
    crashed: (reason, restart, cause) => {
      // The first fetch after a crash is news (the source logs "reconnected").
      lastFetchNotice = Number.NEGATIVE_INFINITY;
      post({
        kind: 'crashed',
        reason: scrub(reason),
        restart,
        ...(cause instanceof SourceError ? { code: cause.code } : {}),
      });
    },
  },
  records,
);

/**
 * The records of one partition from one fetch answer: copied now, since
 * the fetcher reuses them (and the answer's bytes) once this resolves.
 * Waits while the pipeline is behind (kafkajs, paused, heartbeats on its
 * own meanwhile); parks until close once the source stopped reading.
 */
async function records(partition: number, found: FoundRecords, session: number): Promise<void> {
  const { count, start, length, offset, source, size } = found;
  const space = closing || buffers.closed ? undefined : await buffers.reserve(size, { waitMs: HEARTBEAT_INTERVAL_MS });
  if (space === undefined) {
    await parked;
    return;
  }
  const bytes = space.bytes;
  const ends = new Uint32Array(count);
  const offsets = new Float64Array(count);
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
  // Here, on the reader thread, the pipeline's thread is spared a check per frame.
  const utf8 = packedValuesAreUtf8(bytes, ends);
  const buffer = bytes.buffer as ArrayBuffer;
  const batch: BatchMessage = {
    kind: 'batch',
    partition,
    session,
    buffer,
    size,
    charge: space.charge,
    ends,
    offsets,
    next: offsets[count - 1]! + 1,
    utf8,
  };
  post(batch, [ends.buffer, offsets.buffer, buffer]);
}

const stopStarting = new AbortController();
const starting = reader.start(stopStarting.signal).then(
  () => post({ kind: 'started' }),
  (error: unknown) => {
    if (error instanceof SourceError)
      post({
        kind: 'failed',
        code: error.code,
        message: scrub(error.message),
        cause: error.cause === undefined ? '' : scrub(describeKafkaError(error.cause)),
      });
    else
      post({
        kind: 'failed',
        code: 'KAFKA_FAILED',
        message: scrub(`reading ${setup.reader.topic} from Kafka failed: ${describeKafkaError(error)}`),
        cause: '',
      });
  },
);

async function close(): Promise<void> {
  if (closing) return;
  closing = true;
  buffers.close();
  releaseParked();
  stopStarting.abort();
  await starting;
  await reader.close();
  post({ kind: 'closed' });
}

port.on('message', (message: ToWorker) => {
  switch (message.kind) {
    case 'recycle':
      buffers.recycle(message.buffer);
      return;
    case 'start':
      reader.startPartitions(message.starts);
      return;
    case 'rejoin':
      reader.rejoin(message.id);
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
            message: scrub(error instanceof SourceError ? error.message : describeKafkaError(error)),
          }),
      );
      return;
    case 'close':
      void close();
      return;
  }
});
