import { connect, type Socket } from 'node:net';
import { readInt64, type AbortedTransaction } from './kafka-record-batch.js';

/*
 * The one Kafka request the direct fetch path makes itself: Fetch v4
 * (the oldest version Kafka 4 still serves, and enough: record batches v2,
 * read committed), over a connection of its own per broker. Everything
 * else (metadata, groups, offsets, commits) stays with kafkajs.
 * https://kafka.apache.org/protocol#The_Messages_Fetch
 */

export const FETCH_API_KEY = 1;
export const FETCH_API_VERSION = 4;
/** A consumer, not a follower replica. */
const CONSUMER_REPLICA_ID = -1;
export const READ_COMMITTED = 1;

/** Size prefix of every request and response. */
const SIZE_BYTES = 4;
const INT16 = 2;
const INT32 = 4;
const INT64 = 8;
/** api key, api version, correlation id, client id length. */
const REQUEST_HEADER_BYTES = INT16 + INT16 + INT32 + INT16;
/** replica id, max wait, min bytes, max bytes, isolation level, topics count. */
const FETCH_FIXED_BYTES = INT32 * 4 + 1 + INT32;
/** partition, fetch offset, partition max bytes. */
const FETCH_PARTITION_BYTES = INT32 + INT64 + INT32;
/** producer id, first offset. */
const ABORTED_BYTES = INT64 + INT64;
const NULL_LENGTH = -1;
/** Reads of a socket without a known answer size (size prefixes, small answers): about what Node reads by default. */
const SCRATCH_BYTES = 64 * 1024;
/** A rest of an answer at least this large is read into the answer's buffer directly. */
const DIRECT_READ_MIN_BYTES = 16 * 1024;

export interface FetchPartition {
  readonly partition: number;
  readonly fetchOffset: number;
  readonly maxBytes: number;
}

export interface FetchRequest {
  readonly topic: string;
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly isolationLevel: number;
  readonly partitions: readonly FetchPartition[];
}

/** One partition's part of a Fetch answer: its records are `bytes[recordsFrom, recordsTo)` of the answer. */
export interface FetchedPartition {
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly aborted: readonly AbortedTransaction[] | null;
  readonly recordsFrom: number;
  readonly recordsTo: number;
}

/** A whole request: size, header v1 and a Fetch v4 body for one topic. */
export function encodeFetch(correlationId: number, clientId: string, request: FetchRequest): Buffer {
  const client = Buffer.from(clientId, 'utf8');
  const topic = Buffer.from(request.topic, 'utf8');
  const size =
    REQUEST_HEADER_BYTES + client.length + FETCH_FIXED_BYTES + INT16 + topic.length + INT32 + request.partitions.length * FETCH_PARTITION_BYTES;
  const out = Buffer.allocUnsafe(SIZE_BYTES + size);
  let at = out.writeInt32BE(size, 0);
  at = out.writeInt16BE(FETCH_API_KEY, at);
  at = out.writeInt16BE(FETCH_API_VERSION, at);
  at = out.writeInt32BE(correlationId, at);
  at = out.writeInt16BE(client.length, at);
  at += client.copy(out, at);
  at = out.writeInt32BE(CONSUMER_REPLICA_ID, at);
  at = out.writeInt32BE(request.maxWaitMs, at);
  at = out.writeInt32BE(request.minBytes, at);
  at = out.writeInt32BE(request.maxBytes, at);
  at = out.writeInt8(request.isolationLevel, at);
  at = out.writeInt32BE(1, at);
  at = out.writeInt16BE(topic.length, at);
  at += topic.copy(out, at);
  at = out.writeInt32BE(request.partitions.length, at);
  for (const p of request.partitions) {
    at = out.writeInt32BE(p.partition, at);
    at = out.writeBigInt64BE(BigInt(p.fetchOffset), at);
    at = out.writeInt32BE(p.maxBytes, at);
  }
  return out;
}

/** The partitions of `topic` in a Fetch v4 response body (after the correlation id). */
export function decodeFetch(body: Uint8Array, topic: string): FetchedPartition[] {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let at = INT32; // throttle time
  const topics = view.getInt32(at);
  at += INT32;
  const out: FetchedPartition[] = [];
  for (let t = 0; t < topics; t++) {
    const nameLength = view.getInt16(at);
    at += INT16;
    const name = Buffer.from(body.buffer, body.byteOffset + at, nameLength).toString('utf8');
    at += nameLength;
    const partitions = view.getInt32(at);
    at += INT32;
    for (let p = 0; p < partitions; p++) {
      const partition = view.getInt32(at);
      const errorCode = view.getInt16(at + INT32);
      const highWatermark = readInt64(view, at + INT32 + INT16);
      at += INT32 + INT16 + INT64 + INT64; // ... high watermark, last stable offset
      const abortedCount = view.getInt32(at);
      at += INT32;
      let aborted: AbortedTransaction[] | null = null;
      if (abortedCount !== NULL_LENGTH) {
        aborted = [];
        for (let a = 0; a < abortedCount; a++, at += ABORTED_BYTES) aborted.push({ producerId: readInt64(view, at), firstOffset: readInt64(view, at + INT64) });
      }
      const recordsLength = view.getInt32(at);
      at += INT32;
      const recordsFrom = at;
      if (recordsLength > 0) at += recordsLength;
      if (at > body.length) throw new RangeError('Fetch answer ends inside a partition');
      if (name === topic) out.push({ partition, errorCode, highWatermark, aborted, recordsFrom, recordsTo: at });
    }
  }
  return out;
}

/** The connection failed or closed, or an answer did not come in time. */
export class ConnectionLost extends Error {
  override readonly name = 'ConnectionLost';
}

/**
 * One TCP connection to a broker, one request in flight at a time. Answers
 * are read into two buffers in turn, so an answer's body stays valid while
 * the next request is out: the caller may send one more request before it
 * is done with an answer, not two.
 */
export class BrokerConnection {
  private readonly socket: Socket;
  private readonly ready: Promise<void>;
  private readonly buffers = [Buffer.allocUnsafe(0), Buffer.allocUnsafe(0)];
  /** Which of `buffers` the next answer goes to. */
  private turn = 0;
  private answer = Buffer.allocUnsafe(0);
  /** Bytes of the answer received so far; -1 while its size is not known yet. */
  private answerSize = -1;
  private received = 0;
  private readonly sizeBytes = Buffer.alloc(SIZE_BYTES);
  /** Reads land here until an answer's size is known, and for its last few bytes. */
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  private sizeReceived = 0;
  private pending: { resolve(body: Buffer): void; reject(error: Error): void; timer: NodeJS.Timeout } | undefined;
  private lost: Error | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    connectTimeoutMs: number,
  ) {
    // Reads go straight into the answer's buffer once its size is known (no chunk per read to copy and collect).
    this.socket = connect({
      host,
      port,
      noDelay: true,
      onread: { buffer: () => this.readTarget(), callback: (bytes: number, into: Uint8Array) => this.onRead(bytes, into) },
    });
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new ConnectionLost(`no connection to ${host}:${port} within ${connectTimeoutMs} ms`)), connectTimeoutMs);
      this.socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.once('close', () => {
        clearTimeout(timer);
        reject(this.lost ?? new ConnectionLost(`connection to ${host}:${port} closed`));
      });
    });
    // The request that is waiting (if any) hears of it; `ready` rejects without an unhandled rejection.
    this.ready.catch(() => undefined);
    this.socket.on('error', (error) => this.fail(new ConnectionLost(`connection to ${host}:${port} failed: ${error.message}`)));
    this.socket.on('close', () => this.fail(new ConnectionLost(`connection to ${host}:${port} closed`)));
  }

  get closed(): boolean {
    return this.lost !== undefined;
  }

  /**
   * Sends `request` (with its size prefix) and resolves with the answer's
   * body after its correlation id, valid until the next request.
   */
  async request(request: Buffer, correlationId: number, timeoutMs: number): Promise<Buffer> {
    await this.ready;
    if (this.lost !== undefined) throw this.lost;
    if (this.pending !== undefined) throw new Error('one request at a time');
    const body = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new ConnectionLost(`no answer from ${this.host}:${this.port} within ${timeoutMs} ms`)), timeoutMs);
      this.pending = { resolve, reject, timer };
      this.socket.write(request);
    });
    const answered = body.readInt32BE(0);
    if (answered !== correlationId) {
      const error = new ConnectionLost(`answer ${answered} from ${this.host}:${this.port} where ${correlationId} was expected`);
      this.fail(error);
      throw error;
    }
    return body.subarray(INT32);
  }

  close(): void {
    this.fail(new ConnectionLost(`connection to ${this.host}:${this.port} closed`));
  }

  private fail(error: Error): void {
    if (this.lost === undefined) this.lost = error;
    this.socket.destroy();
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    pending.reject(this.lost);
  }

  /** Where the socket's next read goes: the rest of the answer, or the scratch buffer while no large rest is known. */
  private readTarget(): Uint8Array {
    const rest = this.answerSize - this.received;
    if (this.answerSize >= 0 && rest >= DIRECT_READ_MIN_BYTES) return this.answer.subarray(this.received, this.answerSize);
    return this.scratch;
  }

  /** Always true: the socket keeps reading (false would pause it). */
  private onRead(bytes: number, into: Uint8Array): boolean {
    if (into === this.scratch) {
      this.receive(this.scratch.subarray(0, bytes));
      return true;
    }
    this.received += bytes;
    if (this.received === this.answerSize) this.complete();
    return true;
  }

  private complete(): void {
    const body = this.answer.subarray(0, this.answerSize);
    this.answerSize = -1;
    this.sizeReceived = 0;
    const pending = this.pending;
    this.pending = undefined;
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    pending.resolve(body);
  }

  private receive(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      // Bytes nobody asked for (one request at a time): the answer just handed on must not be overwritten.
      if (this.pending === undefined) {
        this.fail(new ConnectionLost(`unexpected answer from ${this.host}:${this.port}`));
        return;
      }
      if (this.answerSize < 0) {
        const take = Math.min(SIZE_BYTES - this.sizeReceived, chunk.length - at);
        chunk.copy(this.sizeBytes, this.sizeReceived, at, at + take);
        this.sizeReceived += take;
        at += take;
        if (this.sizeReceived < SIZE_BYTES) return;
        this.answerSize = this.sizeBytes.readInt32BE(0);
        if (this.answerSize < INT32) {
          this.fail(new ConnectionLost(`answer of ${this.answerSize} bytes from ${this.host}:${this.port}, too short for a correlation id`));
          return;
        }
        this.received = 0;
        // Grown, never shrunk: answers are about the fetch size every time.
        if (this.buffers[this.turn]!.length < this.answerSize) this.buffers[this.turn] = Buffer.allocUnsafeSlow(this.answerSize);
        this.answer = this.buffers[this.turn]!;
        this.turn ^= 1;
      }
      const take = Math.min(this.answerSize - this.received, chunk.length - at);
      chunk.copy(this.answer, this.received, at, at + take);
      this.received += take;
      at += take;
      if (this.received < this.answerSize) return;
      this.complete();
    }
  }
}
