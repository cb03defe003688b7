import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { KafkaSecurityError } from '@uniqstream/kafka';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { FoundRecords, findRecords, type AbortedTransaction } from '../src/kafka-record-batch.js';
import {
  BrokerConnection,
  ConnectionLost,
  decodeFetch,
  encodeFetch,
  FETCH_API_KEY,
  FETCH_API_VERSION,
  READ_COMMITTED,
  REAUTHENTICATE_AT,
  type BrokerConnectionOptions,
  type FetchRequest,
} from '../src/kafka-wire.js';
import {
  ApiKeys,
  encodeBatch,
  Encoder,
  encodeKafkajsRequest,
  fetchV4Request,
  patterned,
} from './support/kafkajs-protocol.js';
import {
  parseRequest,
  refusal,
  SASL_AUTHENTICATE,
  SASL_HANDSHAKE,
  SaslBrokerSession,
  type SaslBrokerSettings,
} from './support/sasl-broker.js';
import { brokerTls, fixture } from './support/tls.js';

/*
 * The Fetch v4 request checked byte for byte against kafkajs's own
 * encoder; the response decoded from bodies built field by field after
 * https://kafka.apache.org/protocol#The_Messages_Fetch; and the broker
 * connection against a local stand-in broker that cuts its answers up as
 * TCP may.
 */

/** What kafkajs sends as a consumer's replica id. */
const CONSUMER_REPLICA_ID = -1;
const READ_UNCOMMITTED = 0;
const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);
/** Offsets past 2^32, so both halves of an int64 count. */
const HIGH_OFFSET = 2 ** 40 + 3;
/** Kafka's OFFSET_OUT_OF_RANGE error code. */
const OFFSET_OUT_OF_RANGE = 1;
const CONNECT_TIMEOUT_MS = 5_000;
const ANSWER_TIMEOUT_MS = 5_000;
/** Short, for the one test that waits for a timeout to pass. */
const SHORT_TIMEOUT_MS = 200;

/** The same request as kafkajs writes it: size, header v1, Fetch v4 body. */
async function kafkajsFetch(correlationId: number, clientId: string, request: FetchRequest): Promise<Buffer> {
  const fetch = fetchV4Request({
    replicaId: CONSUMER_REPLICA_ID,
    maxWaitTime: request.maxWaitMs,
    minBytes: request.minBytes,
    maxBytes: request.maxBytes,
    isolationLevel: request.isolationLevel,
    topics: [{ topic: request.topic, partitions: request.partitions.map((p) => ({ ...p })) }],
  });
  return Buffer.from((await encodeKafkajsRequest({ correlationId, clientId, request: fetch })).buffer);
}

describe('encodeFetch', () => {
  it('uses the Fetch api key and version 4', () => {
    expect(FETCH_API_KEY).toBe(ApiKeys.Fetch);
    expect(FETCH_API_VERSION).toBe(4);
  });

  it('writes the bytes kafkajs writes for the same Fetch v4 request', async () => {
    const request: FetchRequest = {
      topic: 'clicks',
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 52_428_800,
      isolationLevel: READ_COMMITTED,
      partitions: [
        { partition: 0, fetchOffset: 0, maxBytes: 1_048_576 },
        { partition: 3, fetchOffset: HIGH_OFFSET, maxBytes: 65_536 },
      ],
    };
    const bytes = encodeFetch(42, 'uniqstream', request);
    expect(bytes.toString('hex')).toBe((await kafkajsFetch(42, 'uniqstream', request)).toString('hex'));
    // The size prefix counts the bytes after it.
    expect(bytes.readInt32BE(0)).toBe(bytes.length - 4);
  });

  it('matches kafkajs for any request (UTF-8 names, int32 extremes, offsets up to 2^53)', async () => {
    const int32 = fc.integer({ min: INT32_MIN, max: INT32_MAX });
    await fc.assert(
      fc.asyncProperty(
        int32,
        fc.string({ unit: 'grapheme', maxLength: 20 }),
        fc.record({
          topic: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
          maxWaitMs: fc.nat({ max: INT32_MAX }),
          minBytes: fc.nat({ max: INT32_MAX }),
          maxBytes: fc.nat({ max: INT32_MAX }),
          isolationLevel: fc.constantFrom(READ_UNCOMMITTED, READ_COMMITTED),
          partitions: fc.array(
            fc.record({
              partition: fc.nat({ max: INT32_MAX }),
              fetchOffset: fc.maxSafeNat(),
              maxBytes: fc.nat({ max: INT32_MAX }),
            }),
            { maxLength: 8 },
          ),
        }),
        async (correlationId, clientId, request) => {
          const bytes = encodeFetch(correlationId, clientId, request);
          expect(bytes.toString('hex')).toBe((await kafkajsFetch(correlationId, clientId, request)).toString('hex'));
        },
      ),
    );
  });
});

/* Fetch v4 response bodies, written field by field with kafkajs's Encoder. */

interface PartitionAnswer {
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  /** null: the broker sent a null array (read uncommitted). */
  readonly aborted: readonly AbortedTransaction[] | null;
  /** null: null records (int32 length -1). */
  readonly records: Buffer | null;
}

interface TopicAnswer {
  readonly name: string;
  readonly partitions: readonly PartitionAnswer[];
}

/**
 * A Fetch v4 response body after the correlation id:
 * throttle_time_ms int32, then [topic string, [partition int32, error_code
 * int16, high_watermark int64, last_stable_offset int64,
 * aborted_transactions nullable [producer_id int64, first_offset int64],
 * records nullable bytes]].
 */
function fetchResponseBody(throttleMs: number, topics: readonly TopicAnswer[]): Buffer {
  const body = new Encoder().writeInt32(throttleMs).writeInt32(topics.length);
  for (const topic of topics) {
    body.writeString(topic.name).writeInt32(topic.partitions.length);
    for (const p of topic.partitions) {
      body.writeInt32(p.partition).writeInt16(p.errorCode).writeInt64(p.highWatermark).writeInt64(p.lastStableOffset);
      if (p.aborted === null) body.writeInt32(-1);
      else {
        body.writeInt32(p.aborted.length);
        for (const a of p.aborted) body.writeInt64(a.producerId).writeInt64(a.firstOffset);
      }
      body.writeBytes(p.records);
    }
  }
  return Buffer.from(body.buffer);
}

/** `body` where BrokerConnection hands it over: after a correlation id, at an offset of its buffer. */
function asAnswered(body: Buffer): Buffer {
  const answer = Buffer.alloc(4 + body.length);
  answer.writeInt32BE(99, 0);
  body.copy(answer, 4);
  return answer.subarray(4);
}

/** What decodeFetch should report for `partitions`, their records' bytes in place of their position. */
function expectedPartitions(partitions: readonly PartitionAnswer[]): unknown[] {
  return partitions.map((p) => ({
    partition: p.partition,
    errorCode: p.errorCode,
    highWatermark: p.highWatermark,
    aborted: p.aborted,
    records: (p.records ?? Buffer.alloc(0)).toString('hex'),
  }));
}

function decoded(body: Buffer, topic: string): unknown[] {
  return decodeFetch(body, topic).map(({ recordsFrom, recordsTo, ...rest }) => ({
    ...rest,
    records: body.subarray(recordsFrom, recordsTo).toString('hex'),
  }));
}

describe('decodeFetch', () => {
  it(
    'finds the partitions of the topic asked for, with their records, high watermark and aborted ' + 'transactions',
    async () => {
      const clicks0 = Buffer.concat([
        await encodeBatch({
          baseOffset: 10,
          records: [
            { key: null, value: Buffer.from('c10') },
            { key: null, value: Buffer.from('c11') },
          ],
        }),
        await encodeBatch({ baseOffset: 12, records: [{ key: null, value: Buffer.from('c12') }] }),
      ]);
      const views0 = await encodeBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from('v0') }] });
      const clicks: TopicAnswer = {
        name: 'clicks',
        partitions: [
          // Last stable offset differs from the high watermark, so swapping them shows.
          {
            partition: 0,
            errorCode: 0,
            highWatermark: 13,
            lastStableOffset: 11,
            aborted: [{ producerId: HIGH_OFFSET, firstOffset: 4 }],
            records: clicks0,
          },
          {
            partition: 1,
            errorCode: OFFSET_OUT_OF_RANGE,
            highWatermark: -1,
            lastStableOffset: -1,
            aborted: null,
            records: null,
          },
          {
            partition: 2,
            errorCode: 0,
            highWatermark: HIGH_OFFSET,
            lastStableOffset: HIGH_OFFSET - 1,
            aborted: [],
            records: Buffer.alloc(0),
          },
        ],
      };
      const views: TopicAnswer = {
        name: 'views',
        partitions: [
          { partition: 0, errorCode: 0, highWatermark: 1, lastStableOffset: 1, aborted: null, records: views0 },
        ],
      };
      const body = asAnswered(fetchResponseBody(0, [views, clicks]));

      expect(decoded(body, 'clicks')).toEqual(expectedPartitions(clicks.partitions));
      expect(decoded(body, 'views')).toEqual(expectedPartitions(views.partitions));
      expect(decodeFetch(body, 'absent')).toEqual([]);

      // The slice is a partition's record batches as they came: findRecords reads them in place.
      const [first] = decodeFetch(body, 'clicks');
      const found = new FoundRecords();
      found.reset(10);
      findRecords(body, first!.recordsFrom, first!.recordsTo, 10, first!.aborted, found);
      const values = Array.from({ length: found.count }, (_, i) =>
        Buffer.from(found.source[i]!.subarray(found.start[i]!, found.start[i]! + found.length[i]!)).toString(),
      );
      expect(values).toEqual(['c10', 'c11', 'c12']);
      expect(found.next).toBe(13);
    },
  );

  it('reads a topic name in UTF-8', () => {
    const topic: TopicAnswer = {
      name: 'événements-日本',
      partitions: [
        {
          partition: 4,
          errorCode: 0,
          highWatermark: 0,
          lastStableOffset: 0,
          aborted: null,
          records: Buffer.from([1, 2, 3]),
        },
      ],
    };
    const body = asAnswered(fetchResponseBody(0, [{ name: 'evenements', partitions: [] }, topic]));
    expect(decoded(body, 'événements-日本')).toEqual(expectedPartitions(topic.partitions));
    expect(decoded(body, 'evenements')).toEqual([]);
  });

  it('throws a RangeError for an answer that ends inside a partition’s records', () => {
    const body = fetchResponseBody(0, [
      {
        name: 't',
        partitions: [
          {
            partition: 0,
            errorCode: 0,
            highWatermark: 0,
            lastStableOffset: 0,
            aborted: null,
            records: Buffer.alloc(100),
          },
        ],
      },
    ]);
    expect(() => decodeFetch(asAnswered(body.subarray(0, body.length - 1)), 't')).toThrow(RangeError);
  });

  it('decodes any answer: the partitions of the asked topic, in order, wherever it appears', () => {
    const int64 = fc.oneof(fc.constant(-1), fc.maxSafeNat());
    const partitionArb: fc.Arbitrary<PartitionAnswer> = fc.record({
      partition: fc.nat({ max: INT32_MAX }),
      errorCode: fc.integer({ min: -1, max: 120 }),
      highWatermark: int64,
      lastStableOffset: int64,
      aborted: fc.option(
        fc.array(fc.record({ producerId: fc.maxSafeNat(), firstOffset: fc.maxSafeNat() }), { maxLength: 4 }),
        { nil: null },
      ),
      records: fc.option(
        fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
        { nil: null },
      ),
    });
    // Few names, so that the asked one often appears, sometimes twice.
    const nameArb = fc.constantFrom('a', 'b', 'clicks', 'ü');
    fc.assert(
      fc.property(
        fc.nat({ max: INT32_MAX }),
        fc.array(fc.record({ name: nameArb, partitions: fc.array(partitionArb, { maxLength: 5 }) }), { maxLength: 5 }),
        nameArb,
        (throttleMs, topics, asked) => {
          const body = asAnswered(fetchResponseBody(throttleMs, topics));
          const wanted = topics.filter((t) => t.name === asked).flatMap((t) => t.partitions);
          expect(decoded(body, asked)).toEqual(expectedPartitions(wanted));
        },
      ),
    );
  });
});

/* BrokerConnection against a local stand-in broker. */

const servers: Server[] = [];
const serverSockets = new Set<Socket>();
const connections: BrokerConnection[] = [];

afterEach(async () => {
  for (const connection of connections.splice(0)) connection.close();
  for (const socket of serverSockets) socket.destroy();
  serverSockets.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

/** A request as the stand-in broker got it: its bytes with the size prefix, and its correlation id. */
interface Received {
  readonly bytes: Buffer;
  readonly correlationId: number;
}

type Answer = (socket: Socket, request: Received) => void | Promise<void>;

interface StandInOptions {
  /** Serve TLS with the test broker certificate (for localhost and 127.0.0.1, from ca.pem). */
  readonly tls?: boolean;
  /** Take SASL logins (SaslHandshake, SaslAuthenticate) before anything else, as a SASL port does. */
  readonly sasl?: SaslBrokerSettings;
  /** Told of each connection's login state. */
  readonly onSession?: (session: SaslBrokerSession) => void;
}

/**
 * A broker on 127.0.0.1 that splits the byte stream into size-prefixed
 * requests and answers each with `answer`; with `sasl`, it answers the
 * login itself and closes a connection whose first request is not one.
 */
async function startBroker(
  answer: Answer,
  onConnection?: (socket: Socket) => void,
  options: StandInOptions = {},
): Promise<number> {
  const onSocket = (socket: Socket): void => {
    serverSockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    const session = options.sasl === undefined ? undefined : new SaslBrokerSession(options.sasl);
    if (session !== undefined) options.onSession?.(session);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const bytes = buffered.subarray(0, 4 + buffered.readInt32BE(0));
        buffered = buffered.subarray(bytes.length);
        // Header v1: size, api key int16, api version int16, correlation id int32.
        const { apiKey, body, correlationId } = parseRequest(bytes);
        const login = session?.answer(apiKey, body);
        if (login !== undefined) socket.write(frame(correlationId, login));
        else if (session !== undefined && session.logins === 0) socket.destroy();
        else void answer(socket, { bytes, correlationId });
      }
    });
    onConnection?.(socket);
  };
  const server = options.tls === true ? createTlsServer(brokerTls(), onSocket) : createServer(onSocket);
  server.on('tlsClientError', () => undefined);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function connect(port: number, options: Partial<BrokerConnectionOptions> = {}, host = '127.0.0.1'): BrokerConnection {
  const connection = new BrokerConnection(host, port, {
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    clientId: 'test',
    ...options,
  });
  connections.push(connection);
  return connection;
}

/** An answer on the wire: size, correlation id, body. */
function frame(correlationId: number, body: Buffer): Buffer {
  const out = Buffer.alloc(8 + body.length);
  out.writeInt32BE(4 + body.length, 0);
  out.writeInt32BE(correlationId, 4);
  body.copy(out, 8);
  return out;
}

function write(socket: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.write(bytes, (error) => (error ? reject(error) : resolve())));
}

/** Piece sizes of 1 to 3 bytes, so the size prefix and the correlation id are split too. */
const PIECES = [1, 3, 2, 2, 1, 3, 3, 1];

/**
 * Writes `bytes` a few bytes at a time. Each write waits for the event
 * loop's next turn, so that the client reads (in the poll phase) between
 * two pieces and gets each one on its own: written from the 'data' handler
 * straight away, the first two pieces would reach it together.
 */
async function writeInPieces(socket: Socket, bytes: Buffer): Promise<void> {
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const piece = bytes.subarray(at, at + PIECES[i % PIECES.length]!);
    at += piece.length;
    await new Promise((resolve) => setImmediate(resolve));
    await write(socket, piece);
  }
}

function fetchRequest(topic: string): FetchRequest {
  return {
    topic,
    maxWaitMs: 100,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: READ_COMMITTED,
    partitions: [{ partition: 0, fetchOffset: 5, maxBytes: 1 << 20 }],
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection, the request resolved');
}

describe('BrokerConnection', () => {
  it('sends the request and resolves with the body after the correlation id, however the answer is cut', async () => {
    // Bodies of several sizes: none, tiny, long (the buffer grows), short again (it is reused).
    const bodies = [Buffer.alloc(0), Buffer.from([7]), patterned(300, 1), patterned(5, 2), patterned(1000, 3)];
    const received: Received[] = [];
    const port = await startBroker(async (socket, request) => {
      received.push(request);
      await writeInPieces(socket, frame(request.correlationId, bodies[received.length - 1]!));
    });
    const connection = connect(port);
    for (let i = 0; i < bodies.length; i++) {
      const request = encodeFetch(100 + i, 'test', fetchRequest(`topic-${i}`));
      const body = await connection.request(request, 100 + i, ANSWER_TIMEOUT_MS);
      // The body is only valid until the request after next: compared now.
      expect(body.toString('hex'), `answer ${i}`).toBe(bodies[i]!.toString('hex'));
      expect(received[i]!.bytes.toString('hex')).toBe(request.toString('hex'));
    }
    expect(connection.closed).toBe(false);
  });

  it(
    'reads a large answer written at once ' + '(it arrives in chunks of the socket’s choosing), then a small one',
    async () => {
      const bodies = [patterned(3 << 20, 4), patterned(64, 5), patterned(2 << 20, 6)];
      let answered = 0;
      const port = await startBroker((socket, request) => {
        socket.write(frame(request.correlationId, bodies[answered++]!));
      });
      const connection = connect(port);
      for (let i = 0; i < bodies.length; i++) {
        const body = await connection.request(encodeFetch(i, 'test', fetchRequest('t')), i, ANSWER_TIMEOUT_MS);
        expect(body.equals(bodies[i]!), `answer ${i}`).toBe(true);
      }
    },
  );

  it(
    'keeps an answer intact while the next request is out and answered (two buffers in turn), large ' +
      'ones read straight in',
    async () => {
      // Large enough for direct reads into the answer's buffer; different sizes so a buffer grows while the other is
      // held.
      const bodies = [patterned(1 << 20, 7), patterned(3 << 20, 8), patterned(200 << 10, 9), patterned(2 << 20, 10)];
      let answered = 0;
      const port = await startBroker((socket, request) => {
        socket.write(frame(request.correlationId, bodies[answered++]!));
      });
      const connection = connect(port);
      let held = await connection.request(encodeFetch(0, 'test', fetchRequest('t')), 0, ANSWER_TIMEOUT_MS);
      for (let i = 1; i < bodies.length; i++) {
        const next = await connection.request(encodeFetch(i, 'test', fetchRequest('t')), i, ANSWER_TIMEOUT_MS);
        expect(held.equals(bodies[i - 1]!), `answer ${i - 1} after answer ${i} came`).toBe(true);
        expect(next.equals(bodies[i]!), `answer ${i}`).toBe(true);
        held = next;
      }
    },
  );

  it('rejects with ConnectionLost when the broker closes the connection, and so does every later request', async () => {
    const port = await startBroker((socket) => {
      socket.destroy();
    });
    const connection = connect(port);
    expect(
      await rejection(connection.request(encodeFetch(1, 'test', fetchRequest('t')), 1, ANSWER_TIMEOUT_MS)),
    ).toBeInstanceOf(ConnectionLost);
    expect(connection.closed).toBe(true);
    expect(
      await rejection(connection.request(encodeFetch(2, 'test', fetchRequest('t')), 2, ANSWER_TIMEOUT_MS)),
    ).toBeInstanceOf(ConnectionLost);
  });

  it('rejects with ConnectionLost when the broker closes in the middle of an answer', async () => {
    const port = await startBroker(async (socket, request) => {
      const answer = frame(request.correlationId, patterned(100, 7));
      await write(socket, answer.subarray(0, 50));
      socket.destroy();
    });
    const connection = connect(port);
    expect(
      await rejection(connection.request(encodeFetch(1, 'test', fetchRequest('t')), 1, ANSWER_TIMEOUT_MS)),
    ).toBeInstanceOf(ConnectionLost);
  });

  it('rejects with ConnectionLost when no answer comes within the timeout, and closes the connection', async () => {
    let closedByClient = false;
    const port = await startBroker(
      () => undefined,
      (socket) => socket.on('close', () => (closedByClient = true)),
    );
    const connection = connect(port);
    const error = await rejection(connection.request(encodeFetch(1, 'test', fetchRequest('t')), 1, SHORT_TIMEOUT_MS));
    expect(error).toBeInstanceOf(ConnectionLost);
    expect(error.message).toContain(`${SHORT_TIMEOUT_MS} ms`);
    expect(connection.closed).toBe(true);
    await expect.poll(() => closedByClient).toBe(true);
  });

  it('rejects with ConnectionLost an answer with another correlation id, and closes the connection', async () => {
    const port = await startBroker((socket, request) => {
      socket.write(frame(request.correlationId + 1, Buffer.from('not yours')));
    });
    const connection = connect(port);
    const error = await rejection(connection.request(encodeFetch(7, 'test', fetchRequest('t')), 7, ANSWER_TIMEOUT_MS));
    expect(error).toBeInstanceOf(ConnectionLost);
    expect(error.message).toMatch(/answer 8 .* where 7 was expected/);
    expect(connection.closed).toBe(true);
  });

  it('closes the connection on an answer nobody asked for', async () => {
    const port = await startBroker(
      () => undefined,
      (socket) => socket.write(frame(1, Buffer.from('unasked'))),
    );
    const connection = connect(port);
    await expect.poll(() => connection.closed).toBe(true);
    expect(
      await rejection(connection.request(encodeFetch(1, 'test', fetchRequest('t')), 1, ANSWER_TIMEOUT_MS)),
    ).toBeInstanceOf(ConnectionLost);
  });

  it(
    'hands on the answer asked for intact ' + 'when an unasked one follows in the same chunk, and then closes',
    async () => {
      const port = await startBroker((socket, request) => {
        // Same correlation id twice: only the bytes show whether the first answer was overwritten.
        socket.write(
          Buffer.concat([
            frame(request.correlationId, Buffer.from('answer one')),
            frame(request.correlationId, Buffer.from('answer 2')),
          ]),
        );
      });
      const connection = connect(port);
      const body = await connection.request(encodeFetch(3, 'test', fetchRequest('t')), 3, ANSWER_TIMEOUT_MS);
      expect(body.toString('utf8')).toBe('answer one');
      expect(connection.closed).toBe(true);
    },
  );

  it(
    'rejects with ConnectionLost ' + 'an answer too short to hold a correlation id, and closes the connection',
    async () => {
      const port = await startBroker((socket) => {
        socket.write(Buffer.from([0, 0, 0, 2, 0, 0]));
      });
      const connection = connect(port);
      const error = await rejection(
        connection.request(encodeFetch(4, 'test', fetchRequest('t')), 4, ANSWER_TIMEOUT_MS),
      );
      expect(error).toBeInstanceOf(ConnectionLost);
      expect(error.message).toMatch(/too short/);
      expect(connection.closed).toBe(true);
    },
  );

  it('rejects with ConnectionLost when nothing listens', async () => {
    // A port that was just free: listen, note it, stop listening.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const connection = connect(port);
    expect(
      await rejection(connection.request(encodeFetch(1, 'test', fetchRequest('t')), 1, ANSWER_TIMEOUT_MS)),
    ).toBeInstanceOf(ConnectionLost);
    expect(connection.closed).toBe(true);
  });

  it('takes one request at a time', async () => {
    const port = await startBroker((socket, request) => {
      socket.write(frame(request.correlationId, Buffer.from('first')));
    });
    const connection = connect(port);
    const first = connection.request(encodeFetch(1, 'test', fetchRequest('t')), 1, ANSWER_TIMEOUT_MS);
    const second = connection.request(encodeFetch(2, 'test', fetchRequest('t')), 2, ANSWER_TIMEOUT_MS);
    expect((await rejection(second)).message).toMatch(/one request at a time/);
    expect((await first).toString()).toBe('first');
  });

  it('rejects the waiting request when closed', async () => {
    let received = false;
    const port = await startBroker(() => {
      received = true;
    });
    const connection = connect(port);
    const waiting = connection.request(encodeFetch(1, 'test', fetchRequest('t')), 1, ANSWER_TIMEOUT_MS);
    // Closed while the broker holds the request.
    await expect.poll(() => received).toBe(true);
    connection.close();
    expect(await rejection(waiting)).toBeInstanceOf(ConnectionLost);
    expect(connection.closed).toBe(true);
  });
});

describe('BrokerConnection over TLS', () => {
  const ca = fixture('ca.pem');

  it('reads answers however they are cut, large ones straight into their buffer, through TLS', async () => {
    const bodies = [
      Buffer.alloc(0),
      patterned(300, 1),
      patterned(3 << 20, 2),
      patterned(5, 3),
      patterned(200 << 10, 4),
    ];
    let answered = 0;
    const port = await startBroker(
      async (socket, request) => {
        const body = bodies[answered++]!;
        if (body.length < 1000) await writeInPieces(socket, frame(request.correlationId, body));
        else socket.write(frame(request.correlationId, body));
      },
      undefined,
      { tls: true },
    );
    // By name and by address: the certificate lists both.
    for (const host of ['localhost', '127.0.0.1']) {
      answered = 0;
      const connection = connect(port, { security: { tls: { ca } } }, host);
      let held: Buffer | undefined;
      for (let i = 0; i < bodies.length; i++) {
        const body = await connection.request(encodeFetch(i, 'test', fetchRequest('t')), i, ANSWER_TIMEOUT_MS);
        if (held !== undefined)
          expect(held.equals(bodies[i - 1]!), `${host}: answer ${i - 1} while ${i} came`).toBe(true);
        expect(body.equals(bodies[i]!), `${host}: answer ${i}`).toBe(true);
        held = body;
      }
      connection.close();
    }
  });

  async function failure(connection: BrokerConnection): Promise<KafkaSecurityError> {
    const error = await rejection(connection.request(encodeFetch(1, 'test', fetchRequest('t')), 1, ANSWER_TIMEOUT_MS));
    expect(error).toBeInstanceOf(KafkaSecurityError);
    expect(error.message).not.toContain('\n');
    expect(connection.closed).toBe(true);
    return error as KafkaSecurityError;
  }

  it('fails in one line when the certificate is not trusted, or not for the name connected to', async () => {
    const port = await startBroker(() => undefined, undefined, { tls: true });
    const noCa = await failure(connect(port, { security: { tls: {} } }));
    expect(noCa.failure).toBe('TLS_UNTRUSTED');
    expect(noCa.message).toBe(
      `the TLS certificate of 127.0.0.1:${port} is not trusted (unable to verify the first ` +
        `certificate): give the CA certificate that signed it`,
    );
    expect((await failure(connect(port, { security: { tls: { ca: fixture('other-ca.pem') } } }))).failure).toBe(
      'TLS_UNTRUSTED',
    );
    const mismatch = await failure(connect(port, { security: { tls: { ca, servername: 'kafka.example' } } }));
    expect(mismatch.failure).toBe('TLS_HOSTNAME_MISMATCH');
    expect(mismatch.message).toMatch(
      new RegExp(
        '^the TLS certificate of 127\\.0\\.0\\.1:\\d+ is not for the name connected to \\(.*kafka\\.example.*\\): ' +
          'connect by a name it lists, or set the TLS server name to one$',
      ),
    );
  });

  it(
    'fails in one line for TLS to a plaintext port: one that hangs up, and one that never answers ' +
      '(within the connect timeout)',
    async () => {
      // What Kafka's plaintext port does with a ClientHello: an oversized request, the connection closed.
      const closing = await startBroker(
        () => undefined,
        (socket) => socket.once('data', () => socket.destroy()),
      );
      const closed = await failure(connect(closing, { security: { tls: { ca } } }));
      expect(closed.failure).toBe('TLS_TO_PLAINTEXT_PORT');
      expect(closed.message).toBe(
        `127.0.0.1:${closing} does not speak TLS (it closed the connection during the TLS handshake): a ` +
          `plaintext port? Turn TLS off for it, or use the broker's TLS port`,
      );

      const silent = await startBroker(() => undefined);
      const started = performance.now();
      const timedOut = await failure(
        connect(silent, { security: { tls: { ca } }, connectTimeoutMs: SHORT_TIMEOUT_MS }),
      );
      expect(timedOut.failure).toBe('TLS_TO_PLAINTEXT_PORT');
      expect(timedOut.message).toContain(`does not speak TLS (no TLS handshake within ${SHORT_TIMEOUT_MS} ms)`);
      expect(performance.now() - started).toBeLessThan(SHORT_TIMEOUT_MS + 2_000);
    },
  );

  it('fails in one line for plaintext to a TLS port (it answers with a TLS alert)', async () => {
    // What Kafka's TLS port answers a plaintext request with: a fatal alert (internal_error).
    const port = await startBroker((socket) => {
      socket.end(Buffer.from('15030300020250', 'hex'));
    });
    const error = await failure(connect(port));
    expect(error.failure).toBe('PLAINTEXT_TO_TLS_PORT');
    expect(error.message).toBe(
      `127.0.0.1:${port} answered in TLS: turn TLS on for it, or use the broker's plaintext port`,
    );
  });
});

describe('BrokerConnection with a SASL login', () => {
  const PASSWORD = 'alice-pw-19fe';
  const USERS = { alice: PASSWORD };
  const ALL = ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'];

  /** A stand-in SASL port (TLS too when asked) answering every Fetch with `fetched <correlation id>`, and the api
   * keys it got, in order. */
  async function saslBroker(
    settings: SaslBrokerSettings,
    tls = false,
  ): Promise<{ port: number; apiKeys: number[]; sessions: SaslBrokerSession[] }> {
    const apiKeys: number[] = [];
    const sessions: SaslBrokerSession[] = [];
    const port = await startBroker(
      (socket, request) => {
        apiKeys.push(parseRequest(request.bytes).apiKey);
        socket.write(frame(request.correlationId, Buffer.from(`fetched ${request.correlationId}`)));
      },
      (socket) =>
        socket.on('data', (chunk: Buffer) => {
          // Login requests are not passed to the answer above: note them from the raw bytes (one request per chunk
          // here).
          const apiKey = chunk.length >= 6 ? chunk.readInt16BE(4) : -1;
          if (apiKey === SASL_HANDSHAKE || apiKey === SASL_AUTHENTICATE) apiKeys.push(apiKey);
        }),
      { tls, sasl: settings, onSession: (session) => sessions.push(session) },
    );
    return { port, apiKeys, sessions };
  }

  for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
    it(`logs in with ${mechanism.toUpperCase()} before the first request, over TLS too`, async () => {
      for (const tls of [false, true]) {
        const { port, apiKeys } = await saslBroker({ mechanisms: ALL, users: USERS }, tls);
        const connection = connect(port, {
          security: {
            sasl: { mechanism, username: 'alice', password: PASSWORD },
            ...(tls ? { tls: { ca: fixture('ca.pem') } } : {}),
          },
        });
        expect(
          (await connection.request(encodeFetch(5, 'test', fetchRequest('t')), 5, ANSWER_TIMEOUT_MS)).toString(),
        ).toBe('fetched 5');
        expect(
          (await connection.request(encodeFetch(6, 'test', fetchRequest('t')), 6, ANSWER_TIMEOUT_MS)).toString(),
        ).toBe('fetched 6');
        expect(apiKeys).toEqual(mechanism === 'plain' ? [17, 36, 1, 1] : [17, 36, 36, 1, 1]);
      }
    });
  }

  it(
    'fails in one line, never with the password, when the login is refused or the mechanism is not ' +
      'taken; later requests too',
    async () => {
      const { port } = await saslBroker({ mechanisms: ['SCRAM-SHA-512', 'PLAIN'], users: USERS });
      const wrong = connect(port, {
        security: { sasl: { mechanism: 'scram-sha-512', username: 'alice', password: `not-${PASSWORD}` } },
      });
      const refused = await rejection(wrong.request(encodeFetch(1, 'test', fetchRequest('t')), 1, ANSWER_TIMEOUT_MS));
      expect(refused).toBeInstanceOf(KafkaSecurityError);
      expect((refused as KafkaSecurityError).failure).toBe('AUTHENTICATION_FAILED');
      expect(refused.message).toBe(
        `127.0.0.1:${port} refused the SASL login (SCRAM-SHA-512 as alice): ${refusal('SCRAM-SHA-512')}`,
      );
      expect(refused.message).not.toContain(PASSWORD);
      expect(wrong.closed).toBe(true);
      expect(await rejection(wrong.request(encodeFetch(2, 'test', fetchRequest('t')), 2, ANSWER_TIMEOUT_MS))).toBe(
        refused,
      );

      const other = connect(port, {
        security: { sasl: { mechanism: 'scram-sha-256', username: 'alice', password: PASSWORD } },
      });
      const unsupported = await rejection(
        other.request(encodeFetch(1, 'test', fetchRequest('t')), 1, ANSWER_TIMEOUT_MS),
      );
      expect((unsupported as KafkaSecurityError).failure).toBe('UNSUPPORTED_SASL_MECHANISM');
      expect(unsupported.message).toBe(
        `127.0.0.1:${port} does not take SASL SCRAM-SHA-256; it offers SCRAM-SHA-512, PLAIN`,
      );
    },
  );

  it('says what a port that hangs up before any answer may want (a login, TLS)', async () => {
    const { port } = await saslBroker({ mechanisms: ALL, users: USERS });
    const error = await rejection(
      connect(port).request(encodeFetch(1, 'test', fetchRequest('t')), 1, ANSWER_TIMEOUT_MS),
    );
    expect(error).toBeInstanceOf(ConnectionLost);
    expect(error.message).toBe(
      `connection to 127.0.0.1:${port} closed before any answer (a port that wants TLS or a SASL login?)`,
    );
  });

  it(
    `logs in again once ${REAUTHENTICATE_AT * 100}% of the session's lifetime has passed, between ` +
      `two requests, leaving the answer held intact`,
    async () => {
      const lifetimeMs = 10_000;
      const big = [patterned(100 << 10, 1), patterned(90 << 10, 2), patterned(80 << 10, 3)];
      const apiKeys: number[] = [];
      let answered = 0;
      const sessions: SaslBrokerSession[] = [];
      const port = await startBroker(
        (socket, request) => {
          apiKeys.push(parseRequest(request.bytes).apiKey);
          socket.write(frame(request.correlationId, big[answered++]!));
        },
        undefined,
        { sasl: { mechanisms: ALL, users: USERS, lifetimeMs }, onSession: (session) => sessions.push(session) },
      );
      let now = 1_000;
      const connection = connect(port, {
        security: { sasl: { mechanism: 'scram-sha-512', username: 'alice', password: PASSWORD } },
        now: () => now,
      });
      const first = await connection.request(encodeFetch(1, 'test', fetchRequest('t')), 1, ANSWER_TIMEOUT_MS);
      now += lifetimeMs * REAUTHENTICATE_AT - 1;
      const second = await connection.request(encodeFetch(2, 'test', fetchRequest('t')), 2, ANSWER_TIMEOUT_MS);
      expect(sessions[0]!.logins).toBe(1);
      // Due now: the login's answers go to buffers of their own, so the answer held (second) stays as it came.
      now += 1;
      const third = await connection.request(encodeFetch(3, 'test', fetchRequest('t')), 3, ANSWER_TIMEOUT_MS);
      expect(sessions).toHaveLength(1);
      expect(sessions[0]!.logins).toBe(2);
      expect(second.equals(big[1]!)).toBe(true);
      expect(third.equals(big[2]!)).toBe(true);
      expect(first.length).toBe(big[0]!.length);
      expect(apiKeys).toEqual([1, 1, 1]);
    },
  );

  it('never logs in again when the broker gives the session no end (lifetime 0)', async () => {
    let now = 0;
    const { port, sessions } = await saslBroker({ mechanisms: ALL, users: USERS, lifetimeMs: 0 });
    const connection = connect(port, {
      security: { sasl: { mechanism: 'plain', username: 'alice', password: PASSWORD } },
      now: () => now,
    });
    for (let i = 1; i <= 3; i++) {
      await connection.request(encodeFetch(i, 'test', fetchRequest('t')), i, ANSWER_TIMEOUT_MS);
      now += 365 * 24 * 3_600_000;
    }
    expect(sessions[0]!.logins).toBe(1);
  });
});
