import { gunzipSync } from 'node:zlib';
import { SourceError } from './errors.js';

/*
 * Kafka's record batches (message format v2, the only one Kafka 3 writes
 * and Kafka 4 reads), walked in place: the direct fetch path finds each
 * record's offset and value bytes without making an object per record,
 * which is most of what kafkajs spends per frame. Layout:
 * https://kafka.apache.org/documentation/#recordbatch
 */

/** Byte positions within a record batch's header. */
const BASE_OFFSET = 0;
const BATCH_LENGTH = 8;
/** batchLength counts the bytes after its own field. */
const BATCH_LENGTH_END = 12;
const MAGIC = 16;
const ATTRIBUTES = 21;
const LAST_OFFSET_DELTA = 23;
const PRODUCER_ID = 43;
const RECORDS_COUNT = 57;
const RECORDS = 61;

const CURRENT_MAGIC = 2;
const COMPRESSION_MASK = 0x07;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
const NO_COMPRESSION = 0;
const GZIP = 1;
const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
/** A control record's key: version int16, then type int16 (0 abort, 1 commit). */
const CONTROL_TYPE_AT = 2;
const ABORT_MARKER = 0;

const VARINT_MORE = 0x80;
const VARINT_BITS = 0x7f;
const TWO_POW_32 = 2 ** 32;

/** A transaction the broker reports as aborted (read-committed fetches). */
export interface AbortedTransaction {
  readonly producerId: number;
  readonly firstOffset: number;
}

/**
 * Records found in one partition's part of a fetch answer, in offset order,
 * in arrays reused from answer to answer: value i is
 * `source[i].subarray(start[i], start[i] + length[i])` (length -1: a null
 * value), at Kafka offset `offset[i]`.
 */
export class FoundRecords {
  constructor(readonly partition = -1) {}

  count = 0;
  /** Bytes of all values. */
  size = 0;
  /** Offset after the last complete batch: where the next fetch starts, even when its records were all skipped. */
  next = 0;
  start = new Uint32Array(1024);
  length = new Int32Array(1024);
  offset = new Float64Array(1024);
  /** The answer's bytes, or a batch's decompressed records. */
  readonly source: Uint8Array[] = [];

  reset(fetchOffset: number): void {
    this.count = 0;
    this.size = 0;
    this.next = fetchOffset;
    this.source.length = 0;
  }

  push(source: Uint8Array, start: number, length: number, offset: number): void {
    const i = this.count;
    if (i === this.start.length) this.grow();
    this.start[i] = start;
    this.length[i] = length;
    this.offset[i] = offset;
    this.source[i] = source;
    this.count = i + 1;
    if (length > 0) this.size += length;
  }

  private grow(): void {
    const start = new Uint32Array(this.start.length * 2);
    start.set(this.start);
    this.start = start;
    const length = new Int32Array(start.length);
    length.set(this.length);
    this.length = length;
    const offset = new Float64Array(start.length);
    offset.set(this.offset);
    this.offset = offset;
  }
}

/**
 * Walks the record batches in `bytes[from, to)` (one partition's records
 * of a fetch answer) and adds to `found` every record at or after
 * `fetchOffset`, leaving out control records and, when `aborted` is given
 * (read committed), the records of aborted transactions. A batch cut off at
 * the end (the broker fills an answer up to its size limit) is left for the
 * next fetch. Throws KAFKA_FAILED for a format this reader does not know
 * (message format before v2; snappy, lz4 or zstd compression).
 */
export function findRecords(
  bytes: Uint8Array,
  from: number,
  to: number,
  fetchOffset: number,
  aborted: readonly AbortedTransaction[] | null,
  found: FoundRecords,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Aborted transactions in first-offset order; a producer is in `abortedBy` from its aborted transaction's first
  // offset to its abort marker.
  const pending =
    aborted === null || aborted.length === 0 ? [] : [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  let nextPending = 0;
  const abortedBy = new Set<number>();
  let at = from;
  while (at + BATCH_LENGTH_END <= to) {
    const batchEnd = at + BATCH_LENGTH_END + view.getInt32(at + BATCH_LENGTH);
    if (batchEnd > to) break;
    // Before the header's size check: a message of format v0 or v1 can be shorter than a v2 header.
    const magic = view.getInt8(at + MAGIC);
    if (magic !== CURRENT_MAGIC) {
      throw new SourceError(
        'KAFKA_FAILED',
        `record batch at offset ${readInt64(view, at + BASE_OFFSET)} has message format v${magic}; ` +
          `only v2 (Kafka 0.11 and later) is read`,
      );
    }
    if (at + RECORDS > batchEnd) throw corrupt(readInt64(view, at + BASE_OFFSET));
    const baseOffset = readInt64(view, at + BASE_OFFSET);
    const lastOffset = baseOffset + view.getInt32(at + LAST_OFFSET_DELTA);
    const attributes = view.getInt16(at + ATTRIBUTES);
    const producerId = readInt64(view, at + PRODUCER_ID);
    while (nextPending < pending.length && pending[nextPending]!.firstOffset <= lastOffset)
      abortedBy.add(pending[nextPending++]!.producerId);
    const batchAt = at;
    at = batchEnd;
    // A marker before the fetch offset still ends its producer's aborted span, as in Kafka's own consumer.
    if (
      (attributes & CONTROL_FLAG) !== 0 &&
      (attributes & TRANSACTIONAL_FLAG) !== 0 &&
      isAbortMarker(bytes, view, batchAt + RECORDS, batchEnd)
    )
      abortedBy.delete(producerId);
    if (lastOffset < fetchOffset) continue;
    found.next = Math.max(found.next, lastOffset + 1);
    if ((attributes & CONTROL_FLAG) !== 0) continue;
    if ((attributes & TRANSACTIONAL_FLAG) !== 0 && abortedBy.has(producerId)) continue;
    const compression = attributes & COMPRESSION_MASK;
    const count = view.getInt32(batchAt + RECORDS_COUNT);
    if (compression === NO_COMPRESSION) {
      readRecords(bytes, batchAt + RECORDS, batchEnd, count, baseOffset, fetchOffset, found);
    } else if (compression === GZIP) {
      const records = gunzipSync(bytes.subarray(batchAt + RECORDS, batchEnd));
      readRecords(records, 0, records.length, count, baseOffset, fetchOffset, found);
    } else {
      throw new SourceError(
        'KAFKA_FAILED',
        `record batch at offset ${baseOffset} is compressed with ` +
          `${COMPRESSION_NAMES[compression] ?? `codec ${compression}`}; only uncompressed and gzip batches are read`,
      );
    }
  }
}

/** Where the varint readers below are in the bytes they read: a module variable, so reading a field makes no object. */
let cursor = 0;

/** Reads a zigzag varint (Kafka's signed varint) at `cursor` and moves past it. */
function readVarint(bytes: Uint8Array): number {
  let shift = 0;
  let raw = 0;
  let byte: number;
  do {
    byte = bytes[cursor++]!;
    raw |= (byte & VARINT_BITS) << shift;
    shift += 7;
  } while ((byte & VARINT_MORE) !== 0);
  return (raw >>> 1) ^ -(raw & 1);
}

/** Moves `cursor` past a varint (or varlong) without reading it. */
function skipVarint(bytes: Uint8Array): void {
  while ((bytes[cursor++]! & VARINT_MORE) !== 0);
}

/** The records of one uncompressed batch (or a compressed batch's inflated records) in `bytes[at, end)`. */
function readRecords(
  bytes: Uint8Array,
  at: number,
  end: number,
  count: number,
  baseOffset: number,
  fetchOffset: number,
  found: FoundRecords,
): void {
  cursor = at;
  for (let r = 0; r < count && cursor < end; r++) {
    const length = readVarint(bytes);
    const recordEnd = cursor + length;
    if (recordEnd > end) throw corrupt(baseOffset);
    cursor += 1; // attributes, unused since v2
    skipVarint(bytes); // timestampDelta
    const offset = baseOffset + readVarint(bytes);
    const keyLength = readVarint(bytes);
    if (keyLength > 0) cursor += keyLength;
    const valueLength = readVarint(bytes);
    if (cursor + Math.max(0, valueLength) > recordEnd) throw corrupt(baseOffset);
    if (offset >= fetchOffset) found.push(bytes, cursor, valueLength, offset);
    // Headers follow; the record's length says where it ends, so they are skipped whole.
    cursor = recordEnd;
  }
}

/** Whether the control batch in `bytes[at, end)` holds an abort marker (its first record's key type is 0). */
function isAbortMarker(bytes: Uint8Array, view: DataView, at: number, end: number): boolean {
  cursor = at;
  skipVarint(bytes); // length
  cursor += 1; // attributes
  skipVarint(bytes); // timestampDelta
  skipVarint(bytes); // offsetDelta
  skipVarint(bytes); // keyLength
  if (cursor + CONTROL_TYPE_AT + 2 > end) return false;
  return view.getInt16(cursor + CONTROL_TYPE_AT) === ABORT_MARKER;
}

/** A big-endian int64 as a number: exact up to 2^53, where Kafka's offsets and producer ids stay. */
export function readInt64(view: DataView, at: number): number {
  return view.getInt32(at) * TWO_POW_32 + view.getUint32(at + 4);
}

function corrupt(baseOffset: number): SourceError {
  return new SourceError(
    'KAFKA_FAILED',
    `record batch at offset ${baseOffset} is corrupt (a record runs past the batch's end)`,
  );
}
