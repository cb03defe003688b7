import { createRequire } from 'node:module';

/*
 * kafkajs 2.2.4's own protocol encoders, an independent reference for the
 * bytes that the direct fetch path reads (record batches) and writes
 * (Fetch v4 requests). They are internal CommonJS modules of kafkajs,
 * loaded here for tests only; the little of their API the tests use is
 * typed below (read from kafkajs/src/protocol).
 */

const require = createRequire(import.meta.url);
const PROTOCOL = 'kafkajs/src/protocol';

/** kafkajs's protocol Encoder: chained writes, then `buffer` holds the bytes written. */
export interface KafkajsEncoder {
  readonly buffer: Buffer;
  size(): number;
  writeInt8(value: number): KafkajsEncoder;
  writeInt16(value: number): KafkajsEncoder;
  writeInt32(value: number): KafkajsEncoder;
  writeInt64(value: number | bigint): KafkajsEncoder;
  /** int16 length (-1 for null), then UTF-8. */
  writeString(value: string | null): KafkajsEncoder;
  /** int32 length (-1 for null), then the bytes. */
  writeBytes(value: Buffer | null): KafkajsEncoder;
  writeEncoder(value: KafkajsEncoder): KafkajsEncoder;
}

export const Encoder = require(`${PROTOCOL}/encoder.js`) as new () => KafkajsEncoder;

/** Compression codecs by their number in a batch's attributes (kafkajs only implements gzip). */
export const Compression = (
  require(`${PROTOCOL}/message/compression/index.js`) as { Types: { None: 0; GZIP: 1; Snappy: 2; LZ4: 3; ZSTD: 4 } }
).Types;

interface KafkajsRecord {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Header values must be bytes: kafkajs sizes them with Buffer.byteLength. */
  headers: Record<string, Buffer>;
}

/** A record (message format v2) with its varint length prefix. */
const encodeRecord = require(`${PROTOCOL}/recordBatch/record/v0/index.js`) as (record: KafkajsRecord) => KafkajsEncoder;

interface KafkajsRecordBatch {
  compression: number;
  firstOffset: number;
  firstTimestamp: number;
  maxTimestamp: number;
  lastOffsetDelta: number;
  transactional: boolean;
  producerId: number;
  producerEpoch: number;
  records: KafkajsEncoder[];
}

/** A whole record batch: base offset, batch length, then the rest of the header and the (maybe compressed) records. */
const { RecordBatch } = require(`${PROTOCOL}/recordBatch/v0/index.js`) as {
  RecordBatch: (batch: KafkajsRecordBatch) => Promise<KafkajsEncoder>;
};

/** Kafka's CRC-32C, unsigned, as kafkajs computes a batch's crc field. */
const crc32C = require(`${PROTOCOL}/recordBatch/crc32C/index.js`) as (bytes: Buffer) => number;

/** A legacy message (format v1, magic 1): crc, magic, attributes, timestamp, key, value. */
export const encodeMessageV1 = require(`${PROTOCOL}/message/v1/index.js`) as (message: {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
}) => KafkajsEncoder;

/** The api keys of kafkajs's requests. */
export const ApiKeys = require(`${PROTOCOL}/requests/apiKeys.js`) as {
  Fetch: number;
  SaslHandshake: number;
  SaslAuthenticate: number;
};

export interface KafkajsRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  encode(): Promise<KafkajsEncoder>;
}

/** kafkajs's Fetch v4 request (its body; the header is added by `encodeKafkajsRequest`). */
export const fetchV4Request = require(`${PROTOCOL}/requests/fetch/v4/request.js`) as (request: {
  replicaId: number;
  maxWaitTime: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  topics: { topic: string; partitions: { partition: number; fetchOffset: number; maxBytes: number }[] }[];
}) => KafkajsRequest;

/** A response decoder of kafkajs: the body after the correlation id. */
interface KafkajsResponse<R> {
  decode(body: Buffer): Promise<R>;
}

interface RequestProtocol<A, R = unknown> {
  readonly versions: string[];
  protocol(version: { version: number }): (args: A) => { request: KafkajsRequest; response: KafkajsResponse<R> };
}

/** kafkajs's JoinGroup request, every version it speaks (its body; `encodeKafkajsRequest` adds the header). */
export const joinGroupProtocol = require(`${PROTOCOL}/requests/joinGroup/index.js`) as RequestProtocol<{
  groupId: string;
  sessionTimeout: number;
  rebalanceTimeout: number;
  memberId: string;
  protocolType: string;
  groupProtocols: { name: string; metadata: Buffer }[];
}>;

/** kafkajs's Heartbeat and OffsetCommit requests, every version it speaks. */
export const heartbeatProtocol = require(`${PROTOCOL}/requests/heartbeat/index.js`) as RequestProtocol<{
  groupId: string;
  groupGenerationId: number;
  memberId: string;
}>;
export const offsetCommitProtocol = require(`${PROTOCOL}/requests/offsetCommit/index.js`) as RequestProtocol<{
  groupId: string;
  groupGenerationId: number;
  memberId: string;
  topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
}>;

/** kafkajs's SaslHandshake request and answer (v0, v1). */
export const saslHandshakeProtocol = require(`${PROTOCOL}/requests/saslHandshake/index.js`) as RequestProtocol<
  { mechanism: string },
  { errorCode: number; enabledMechanisms: string[] }
>;
/**
 * kafkajs's SaslAuthenticate request and answer (v0, v1). It takes the
 * mechanism's message already written as bytes (int32 length, then the
 * bytes), and gives the answer's auth bytes back the same way;
 * sessionLifetimeMs is a decimal string.
 */
export const saslAuthenticateProtocol = require(`${PROTOCOL}/requests/saslAuthenticate/index.js`) as RequestProtocol<
  { authBytes: Buffer },
  { errorCode: number; errorMessage: string | null; authBytes: Buffer; sessionLifetimeMs: string }
>;

/** A whole request as kafkajs sends it: int32 size, header v1 (api key, api version, correlation id, client id),
 * body. */
export const encodeKafkajsRequest = require(`${PROTOCOL}/request.js`) as (request: {
  correlationId: number;
  clientId: string;
  request: KafkajsRequest;
}) => Promise<KafkajsEncoder>;

/* Byte positions in a v2 record batch's header (https://kafka.apache.org/documentation/#recordbatch). */
export const MAGIC_AT = 16;
const CRC_AT = 17;
/** The crc covers the batch from its attributes to its end. */
const ATTRIBUTES_AT = 21;
export const TRANSACTIONAL = 0x10;
export const CONTROL = 0x20;
/** Fixed, so the bytes of a test do not depend on the clock. */
const FIRST_TIMESTAMP = 1_700_000_000_000;

export interface TestRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: Record<string, Buffer>;
  /** Milliseconds after the batch's first timestamp: large ones take a varlong of several bytes. */
  readonly timestampDelta?: number;
}

export interface TestBatch {
  readonly baseOffset: number;
  readonly records: readonly TestRecord[];
  /** Each record's offset minus the base offset; 0, 1, 2... unless given (gaps as compaction leaves them). */
  readonly offsetDeltas?: readonly number[];
  /** Defaults to the last record's delta; compaction can leave it past the last record kept. */
  readonly lastOffsetDelta?: number;
  readonly compression?: number;
  readonly transactional?: boolean;
  readonly producerId?: number;
}

/** `batch` encoded by kafkajs, as a broker stores and sends it. */
export async function encodeBatch(batch: TestBatch): Promise<Buffer> {
  const deltas = batch.offsetDeltas ?? batch.records.map((_, i) => i);
  const encoded = await RecordBatch({
    compression: batch.compression ?? Compression.None,
    firstOffset: batch.baseOffset,
    firstTimestamp: FIRST_TIMESTAMP,
    maxTimestamp: FIRST_TIMESTAMP,
    lastOffsetDelta: batch.lastOffsetDelta ?? Math.max(0, deltas[deltas.length - 1] ?? 0),
    transactional: batch.transactional ?? false,
    producerId: batch.producerId ?? -1,
    producerEpoch: 0,
    records: batch.records.map((record, i) =>
      encodeRecord({
        offsetDelta: deltas[i]!,
        timestampDelta: record.timestampDelta ?? 0,
        key: record.key,
        value: record.value,
        headers: record.headers ?? {},
      }),
    ),
  });
  return Buffer.from(encoded.buffer);
}

/** The batch's attributes (int16), as written. */
export function attributesOf(batch: Buffer): number {
  return batch.readInt16BE(ATTRIBUTES_AT);
}

/** `batch` with other attributes and its crc made right again: kafkajs cannot write control batches, nor claim
 * codecs it lacks. */
export function withAttributes(batch: Buffer, attributes: number): Buffer {
  const out = Buffer.from(batch);
  out.writeInt16BE(attributes, ATTRIBUTES_AT);
  out.writeUInt32BE(crc32C(out.subarray(ATTRIBUTES_AT)), CRC_AT);
  return out;
}

export const ABORT = 0;
export const COMMIT = 1;
const CONTROL_RECORD_VERSION = 0;

/**
 * A transaction marker as the transaction coordinator writes it: a
 * transactional control batch of one record whose key is version int16 and
 * type int16 (0 abort, 1 commit), and whose value is version int16 and
 * coordinator epoch int32.
 */
export async function encodeMarker(
  offset: number,
  producerId: number,
  type: typeof ABORT | typeof COMMIT,
): Promise<Buffer> {
  const key = Buffer.alloc(4);
  key.writeInt16BE(CONTROL_RECORD_VERSION, 0);
  key.writeInt16BE(type, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(CONTROL_RECORD_VERSION, 0);
  value.writeInt32BE(0, 2);
  const batch = await encodeBatch({ baseOffset: offset, records: [{ key, value }], transactional: true, producerId });
  return withAttributes(batch, attributesOf(batch) | CONTROL);
}

/** `length` bytes that differ from one seed to the next, cheaper to make than random ones. */
export function patterned(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (seed * 7 + i * 131 + (i >> 8)) & 0xff;
  return out;
}
