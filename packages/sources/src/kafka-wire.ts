import { connect, type OnReadOpts, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import {
  isTlsRecordStart,
  KafkaSecurityError,
  securityFailureOf,
  securityLines,
  tlsConnectOptions,
  type KafkaSecurity,
} from '@uniqstream/kafka';
import { INT16, INT32, INT64, NULL_LENGTH, SIZE_BYTES, startRequest } from './kafka-protocol.js';
import { readInt64, type AbortedTransaction } from './kafka-record-batch.js';
import { saslLogin } from './kafka-sasl.js';

/*
 * The one Kafka request the direct fetch path makes itself: Fetch v4
 * (the oldest version Kafka 4 still serves, and enough: record batches v2,
 * read committed), over a connection of its own per broker, with TLS and
 * a SASL login (kafka-sasl.ts) when the client's settings ask for them.
 * Everything else (metadata, groups, offsets, commits) stays with kafkajs.
 * https://kafka.apache.org/protocol#The_Messages_Fetch
 */

export const FETCH_API_KEY = 1;
export const FETCH_API_VERSION = 4;
/** A consumer, not a follower replica. */
const CONSUMER_REPLICA_ID = -1;
export const READ_COMMITTED = 1;

/** replica id, max wait, min bytes, max bytes, isolation level, topics count. */
const FETCH_FIXED_BYTES = INT32 * 4 + 1 + INT32;
/** partition, fetch offset, partition max bytes. */
const FETCH_PARTITION_BYTES = INT32 + INT64 + INT32;
/** producer id, first offset. */
const ABORTED_BYTES = INT64 + INT64;
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
  const topic = Buffer.from(request.topic, 'utf8');
  const bodyBytes =
    FETCH_FIXED_BYTES + INT16 + topic.length + INT32 + request.partitions.length * FETCH_PARTITION_BYTES;
  const start = startRequest(FETCH_API_KEY, FETCH_API_VERSION, correlationId, clientId, bodyBytes);
  const out = start.out;
  let at = out.writeInt32BE(CONSUMER_REPLICA_ID, start.at);
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
        for (let a = 0; a < abortedCount; a++, at += ABORTED_BYTES)
          aborted.push({ producerId: readInt64(view, at), firstOffset: readInt64(view, at + INT64) });
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
 * When, as a share of the session lifetime the broker gave, the login is
 * renewed (KIP-368): early enough that a Fetch sent just before still
 * gets its answer (it waits maxWaitMs at the broker at most), and the
 * login's own three round trips fit, whatever the lifetime.
 */
export const REAUTHENTICATE_AT = 0.85;

export interface BrokerConnectionOptions {
  /** For the connection, the TLS handshake and each request of the login. */
  readonly connectTimeoutMs: number;
  /** In the header of the login's requests. */
  readonly clientId: string;
  /** TLS and a SASL login; absent: plaintext, no login. */
  readonly security?: KafkaSecurity | undefined;
  /** Monotonic ms, for the session's renewal (default performance.now). */
  readonly now?: () => number;
}

interface Pending {
  resolve(body: Buffer): void;
  reject(error: Error): void;
  readonly timer: NodeJS.Timeout;
  /** A login answer: read into a buffer of its own, so that both answer buffers stay as the caller holds them. */
  readonly own: boolean;
}

/**
 * One connection to a broker (TCP, or TLS), one request in flight at a
 * time, logged in with SASL before the first request when the settings
 * say so. Answers are read into two buffers in turn, so an answer's body
 * stays valid while the next request is out: the caller may send one
 * more request before it is done with an answer, not two.
 *
 * The broker ends a SASL session after the lifetime it gave at login
 * (connections.max.reauth.ms): the login is renewed on the same
 * connection between two requests, once REAUTHENTICATE_AT of it has
 * passed. Renewing in place keeps the connection, its TLS session and the
 * request sent ahead; reconnecting would cost a TLS handshake and that
 * request each time.
 *
 * A connection that cannot work as set up fails with a KafkaSecurityError
 * and one line saying what to change: an untrusted certificate, a wrong
 * host name, TLS to a plaintext port (it closes, or never answers the
 * handshake: the connect timeout ends the wait) and plaintext to a TLS
 * port (it answers in TLS), a refused login, a mechanism the broker does
 * not take. Anything else is a ConnectionLost.
 */
export class BrokerConnection {
  readonly where: string;
  private readonly socket: Socket;
  private readonly tls: boolean;
  private readonly now: () => number;
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
  private pending: Pending | undefined;
  private lost: Error | undefined;
  /** The socket connected (TCP), and for TLS its handshake is done. */
  private established = false;
  /** Some answer came: the port speaks Kafka. */
  private answered = false;
  /** Correlation ids of the login's own requests. */
  private loginIds = 0;
  /** When the login is to be renewed (monotonic ms); Infinity: never. */
  private renewAt = Number.POSITIVE_INFINITY;
  /** The renewal under way: a request that comes meanwhile waits for it rather than starting another. */
  private renewal: Promise<void> | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly options: BrokerConnectionOptions,
  ) {
    this.where = `${host}:${port}`;
    this.now = options.now ?? (() => performance.now());
    const tls = options.security?.tls;
    this.tls = tls !== undefined;
    // Reads go straight into the answer's buffer once its size is known (no chunk per read to copy and collect);
    // TLS sockets read decrypted bytes the same way.
    const onread: OnReadOpts = {
      buffer: () => this.readTarget(),
      callback: (bytes: number, into: Uint8Array) => this.onRead(bytes, into),
    };
    // tls.connect takes onread as net.connect does (Node's documentation); its types leave it out.
    const secured: ConnectionOptions & { readonly onread: OnReadOpts } = {
      host,
      port,
      ...(tls === undefined ? {} : tlsConnectOptions(tls, host)),
      onread,
    };
    this.socket = tls === undefined ? connect({ host, port, noDelay: true, onread }) : connectTls(secured);
    if (tls !== undefined) this.socket.setNoDelay(true);
    const handshake = new Promise<void>((resolve, reject) => {
      const { connectTimeoutMs } = options;
      const timer = setTimeout(() => this.fail(this.connectTimedOut(connectTimeoutMs)), connectTimeoutMs);
      this.socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        this.established = true;
        resolve();
      });
      this.socket.once('close', () => {
        clearTimeout(timer);
        reject(this.lost ?? new ConnectionLost(`connection to ${this.where} closed`));
      });
    });
    const sasl = options.security?.sasl;
    this.ready = sasl === undefined ? handshake : handshake.then(() => this.login());
    // The request that is waiting (if any) hears of it; `ready` rejects without an unhandled rejection.
    this.ready.catch(() => undefined);
    this.socket.on('error', (error) => this.fail(this.failureOf(error)));
    this.socket.on('close', () => this.fail(this.closedWithout()));
  }

  get closed(): boolean {
    return this.lost !== undefined;
  }

  /** Resolves once connected (TLS handshake done) and logged in; rejects as a request would. */
  async connected(): Promise<void> {
    await this.ready;
  }

  /**
   * Sends `request` (with its size prefix) and resolves with the answer's
   * body after its correlation id, valid until the next request. Logs in
   * again first when the session is due for renewal.
   */
  async request(request: Buffer, correlationId: number, timeoutMs: number): Promise<Buffer> {
    await this.ready;
    if (this.lost !== undefined) throw this.lost;
    if (this.now() >= this.renewAt) await (this.renewal ??= this.login().finally(() => (this.renewal = undefined)));
    return this.exchange(request, correlationId, timeoutMs, false);
  }

  close(): void {
    this.fail(new ConnectionLost(`connection to ${this.where} closed`));
  }

  /** SASL login, at first and on renewal; a failure ends the connection. */
  private async login(): Promise<void> {
    const sasl = this.options.security?.sasl;
    if (sasl === undefined) return;
    const { connectTimeoutMs, clientId } = this.options;
    // The broker counts the lifetime from its end of the login: counted here from before it, the renewal is early,
    // never late.
    const started = this.now();
    try {
      const session = await saslLogin(
        (request, id) => this.exchange(request, id, connectTimeoutMs, true),
        () => (this.loginIds = (this.loginIds + 1) | 0),
        clientId,
        sasl,
        this.where,
      );
      this.renewAt =
        session.lifetimeMs > 0 ? started + session.lifetimeMs * REAUTHENTICATE_AT : Number.POSITIVE_INFINITY;
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.fail(failure);
      throw failure;
    }
  }

  private async exchange(request: Buffer, correlationId: number, timeoutMs: number, own: boolean): Promise<Buffer> {
    if (this.lost !== undefined) throw this.lost;
    if (this.pending !== undefined) throw new Error('one request at a time');
    const body = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new ConnectionLost(`no answer from ${this.where} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.pending = { resolve, reject, timer, own };
      this.socket.write(request);
    });
    const answered = body.readInt32BE(0);
    if (answered !== correlationId) {
      const error = new ConnectionLost(`answer ${answered} from ${this.where} where ${correlationId} was expected`);
      this.fail(error);
      throw error;
    }
    return body.subarray(INT32);
  }

  /** No connection in time: for TLS, a port that took the connection but not the handshake speaks something else. */
  private connectTimedOut(timeoutMs: number): Error {
    const socket = this.socket as Socket & { readonly connecting: boolean };
    if (this.tls && !socket.connecting)
      return new KafkaSecurityError(
        'TLS_TO_PLAINTEXT_PORT',
        securityLines.tlsToPlaintext(this.where, `no TLS handshake within ${timeoutMs} ms`),
      );
    return new ConnectionLost(`no connection to ${this.where} within ${timeoutMs} ms`);
  }

  /** A socket error: TLS that cannot work as set up (a KafkaSecurityError with its line), else a ConnectionLost. */
  private failureOf(error: Error): Error {
    const security = securityFailureOf(error, this.where);
    if (security !== undefined) return security;
    return new ConnectionLost(`connection to ${this.where} failed: ${error.message}`);
  }

  /** Closed by the broker before anything was answered: say what that may mean. */
  private closedWithout(): Error {
    if (!this.established || this.answered) return new ConnectionLost(`connection to ${this.where} closed`);
    return new ConnectionLost(
      `connection to ${this.where} closed before any answer (a port that wants ` +
        `${this.tls ? 'a SASL login, or no TLS' : 'TLS or a SASL login'}?)`,
    );
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
    if (this.answerSize >= 0 && rest >= DIRECT_READ_MIN_BYTES)
      return this.answer.subarray(this.received, this.answerSize);
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
    this.answered = true;
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
      const pending = this.pending;
      if (pending === undefined) {
        this.fail(new ConnectionLost(`unexpected answer from ${this.where}`));
        return;
      }
      if (this.answerSize < 0) {
        const take = Math.min(SIZE_BYTES - this.sizeReceived, chunk.length - at);
        chunk.copy(this.sizeBytes, this.sizeReceived, at, at + take);
        this.sizeReceived += take;
        at += take;
        if (this.sizeReceived < SIZE_BYTES) return;
        // A TLS port answers plaintext with a TLS alert, which would read as the size of an answer of 350 MB.
        if (!this.tls && !this.answered && isTlsRecordStart(this.sizeBytes)) {
          this.fail(new KafkaSecurityError('PLAINTEXT_TO_TLS_PORT', securityLines.plaintextToTls(this.where)));
          return;
        }
        this.answerSize = this.sizeBytes.readInt32BE(0);
        if (this.answerSize < INT32) {
          this.fail(
            new ConnectionLost(`answer of ${this.answerSize} bytes from ${this.where}, too short for a correlation id`),
          );
          return;
        }
        this.received = 0;
        if (pending.own) {
          // Login answers are small and rare: a buffer of their own leaves the caller's answers alone.
          this.answer = Buffer.allocUnsafe(this.answerSize);
        } else {
          // Grown, never shrunk: answers are about the fetch size every time.
          if (this.buffers[this.turn]!.length < this.answerSize)
            this.buffers[this.turn] = Buffer.allocUnsafeSlow(this.answerSize);
          this.answer = this.buffers[this.turn]!;
          this.turn ^= 1;
        }
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
