import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { FoundRecords, findRecords, type AbortedTransaction } from '../src/kafka-record-batch.js';
import { BrokerConnection, ConnectionLost, decodeFetch, encodeFetch, FETCH_API_KEY, FETCH_API_VERSION, READ_COMMITTED, type FetchRequest } from '../src/kafka-wire.js';
import { ApiKeys, encodeBatch, Encoder, encodeKafkajsRequest, fetchV4Request, patterned } from './support/kafkajs-protocol.js';

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
            fc.record({ partition: fc.nat({ max: INT32_MAX }), fetchOffset: fc.maxSafeNat(), maxBytes: fc.nat({ max: INT32_MAX }) }),
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
  return decodeFetch(body, topic).map(({ recordsFrom, recordsTo, ...rest }) => ({ ...rest, records: body.subarray(recordsFrom, recordsTo).toString('hex') }));
}

describe('decodeFetch', () => {
  it('finds the partitions of the topic asked for, with their records, high watermark and aborted transactions', async () => {
    const clicks0 = Buffer.concat([
      await encodeBatch({ baseOffset: 10, records: [{ key: null, value: Buffer.from('c10') }, { key: null, value: Buffer.from('c11') }] }),
      await encodeBatch({ baseOffset: 12, records: [{ key: null, value: Buffer.from('c12') }] }),
    ]);
    const views0 = await encodeBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from('v0') }] });
    const clicks: TopicAnswer = {
      name: 'clicks',
      partitions: [
        // Last stable offset differs from the high watermark, so swapping them shows.
        { partition: 0, errorCode: 0, highWatermark: 13, lastStableOffset: 11, aborted: [{ producerId: HIGH_OFFSET, firstOffset: 4 }], records: clicks0 },
        { partition: 1, errorCode: OFFSET_OUT_OF_RANGE, highWatermark: -1, lastStableOffset: -1, aborted: null, records: null },
        { partition: 2, errorCode: 0, highWatermark: HIGH_OFFSET, lastStableOffset: HIGH_OFFSET - 1, aborted: [], records: Buffer.alloc(0) },
      ],
    };
    const views: TopicAnswer = { name: 'views', partitions: [{ partition: 0, errorCode: 0, highWatermark: 1, lastStableOffset: 1, aborted: null, records: views0 }] };
    const body = asAnswered(fetchResponseBody(0, [views, clicks]));

    expect(decoded(body, 'clicks')).toEqual(expectedPartitions(clicks.partitions));
    expect(decoded(body, 'views')).toEqual(expectedPartitions(views.partitions));
    expect(decodeFetch(body, 'absent')).toEqual([]);

    // The slice is a partition's record batches as they came: findRecords reads them in place.
    const [first] = decodeFetch(body, 'clicks');
    const found = new FoundRecords();
    found.reset(10);
    findRecords(body, first!.recordsFrom, first!.recordsTo, 10, first!.aborted, found);
    const values = Array.from({ length: found.count }, (_, i) => Buffer.from(found.source[i]!.subarray(found.start[i]!, found.start[i]! + found.length[i]!)).toString());
    expect(values).toEqual(['c10', 'c11', 'c12']);
    expect(found.next).toBe(13);
  });

  it('reads a topic name in UTF-8', () => {
    const topic: TopicAnswer = { name: 'événements-日本', partitions: [{ partition: 4, errorCode: 0, highWatermark: 0, lastStableOffset: 0, aborted: null, records: Buffer.from([1, 2, 3]) }] };
    const body = asAnswered(fetchResponseBody(0, [{ name: 'evenements', partitions: [] }, topic]));
    expect(decoded(body, 'événements-日本')).toEqual(expectedPartitions(topic.partitions));
    expect(decoded(body, 'evenements')).toEqual([]);
  });

  it('throws a RangeError for an answer that ends inside a partition’s records', () => {
    const body = fetchResponseBody(0, [{ name: 't', partitions: [{ partition: 0, errorCode: 0, highWatermark: 0, lastStableOffset: 0, aborted: null, records: Buffer.alloc(100) }] }]);
    expect(() => decodeFetch(asAnswered(body.subarray(0, body.length - 1)), 't')).toThrow(RangeError);
  });

  it('decodes any answer: the partitions of the asked topic, in order, wherever it appears', () => {
    const int64 = fc.oneof(fc.constant(-1), fc.maxSafeNat());
    const partitionArb: fc.Arbitrary<PartitionAnswer> = fc.record({
      partition: fc.nat({ max: INT32_MAX }),
      errorCode: fc.integer({ min: -1, max: 120 }),
      highWatermark: int64,
      lastStableOffset: int64,
      aborted: fc.option(fc.array(fc.record({ producerId: fc.maxSafeNat(), firstOffset: fc.maxSafeNat() }), { maxLength: 4 }), { nil: null }),
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

/** A broker on 127.0.0.1 that splits the byte stream into size-prefixed requests and answers each with `answer`. */
async function startBroker(answer: Answer, onConnection?: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    serverSockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const bytes = buffered.subarray(0, 4 + buffered.readInt32BE(0));
        buffered = buffered.subarray(bytes.length);
        // Header v1: size, api key int16, api version int16, correlation id int32.
        void answer(socket, { bytes, correlationId: bytes.readInt32BE(8) });
      }
    });
    onConnection?.(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function connect(port: number): BrokerConnection {
  const connection = new BrokerConnection('127.0.0.1', port, CONNECT_TIMEOUT_MS);
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
  return { topic, maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20, isolationLevel: READ_COMMITTED, partitions: [{ partition: 0, fetchOffset: 5, maxBytes: 1 << 20 }] };
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

  it('reads a large answer written at once (it arrives in chunks of the socket’s choosing), then a small one', async () => {
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
  });

  it('keeps an answer intact while the next request is out and answered (two buffers in turn), large ones read straight in', async () => {
    // Large enough for direct reads into the answer's buffer; different sizes so a buffer grows while the other is held.
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
  });

  it('rejects with ConnectionLost when the broker closes the connection, and so does every later request', async () => {
    const port = await startBroker((socket) => {
      socket.destroy();
    });
    const connection = connect(port);
    expect(await rejection(connection.request(encodeFetch(1, 'test', fetchRequest('t')), 1, ANSWER_TIMEOUT_MS))).toBeInstanceOf(ConnectionLost);
    expect(connection.closed).toBe(true);
    expect(await rejection(connection.request(encodeFetch(2, 'test', fetchRequest('t')), 2, ANSWER_TIMEOUT_MS))).toBeInstanceOf(ConnectionLost);
  });

  it('rejects with ConnectionLost when the broker closes in the middle of an answer', async () => {
    const port = await startBroker(async (socket, request) => {
      const answer = frame(request.correlationId, patterned(100, 7));
      await write(socket, answer.subarray(0, 50));
      socket.destroy();
    });
    const connection = connect(port);
    expect(await rejection(connection.request(encodeFetch(1, 'test', fetchRequest('t')), 1, ANSWER_TIMEOUT_MS))).toBeInstanceOf(ConnectionLost);
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
    expect(await rejection(connection.request(encodeFetch(1, 'test', fetchRequest('t')), 1, ANSWER_TIMEOUT_MS))).toBeInstanceOf(ConnectionLost);
  });

  it('hands on the answer asked for intact when an unasked one follows in the same chunk, and then closes', async () => {
    const port = await startBroker((socket, request) => {
      // Same correlation id twice: only the bytes show whether the first answer was overwritten.
      socket.write(Buffer.concat([frame(request.correlationId, Buffer.from('answer one')), frame(request.correlationId, Buffer.from('answer 2'))]));
    });
    const connection = connect(port);
    const body = await connection.request(encodeFetch(3, 'test', fetchRequest('t')), 3, ANSWER_TIMEOUT_MS);
    expect(body.toString('utf8')).toBe('answer one');
    expect(connection.closed).toBe(true);
  });

  it('rejects with ConnectionLost an answer too short to hold a correlation id, and closes the connection', async () => {
    const port = await startBroker((socket) => {
      socket.write(Buffer.from([0, 0, 0, 2, 0, 0]));
    });
    const connection = connect(port);
    const error = await rejection(connection.request(encodeFetch(4, 'test', fetchRequest('t')), 4, ANSWER_TIMEOUT_MS));
    expect(error).toBeInstanceOf(ConnectionLost);
    expect(error.message).toMatch(/too short/);
    expect(connection.closed).toBe(true);
  });

  it('rejects with ConnectionLost when nothing listens', async () => {
    // A port that was just free: listen, note it, stop listening.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const connection = connect(port);
    expect(await rejection(connection.request(encodeFetch(1, 'test', fetchRequest('t')), 1, ANSWER_TIMEOUT_MS))).toBeInstanceOf(ConnectionLost);
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
