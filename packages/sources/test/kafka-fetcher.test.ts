import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { KafkaSecurity } from '@uniqstream/kafka';
import type { Admin } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { DirectFetcher, type FetcherEvents } from '../src/kafka-fetcher.js';
import type { FoundRecords } from '../src/kafka-record-batch.js';
import { encodeBatch, Encoder } from './support/kafkajs-protocol.js';

/*
 * The direct fetch path against a stand-in broker on 127.0.0.1 that serves
 * a log of 40 records per partition (value `p:offset`), at most 4 records
 * per partition and answer, and a stand-in admin client (committed
 * offsets, log bounds, leaders).
 */

const TOPIC = 't';
const RECORDS = 40;
const PER_ANSWER = 4;
const NOT_LEADER = 6;
const CONNECT_TIMEOUT_MS = 5_000;

const servers: Server[] = [];
const sockets = new Set<Socket>();
const fetchers: DirectFetcher[] = [];

afterEach(async () => {
  await Promise.all(fetchers.splice(0).map((f) => f.stop()));
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

/** Partition -> fetch offset, read from a Fetch v4 request (after its size prefix and header v1). */
function askedOffsets(request: Buffer): Map<number, number> {
  let at = 4 + 2 + 2 + 4;
  at += 2 + request.readInt16BE(at); // client id
  at += 4 + 4 + 4 + 4 + 1; // replica id, max wait, min bytes, max bytes, isolation level
  const out = new Map<number, number>();
  const topics = request.readInt32BE(at);
  at += 4;
  for (let t = 0; t < topics; t++) {
    at += 2 + request.readInt16BE(at);
    const partitions = request.readInt32BE(at);
    at += 4;
    for (let i = 0; i < partitions; i++) {
      out.set(request.readInt32BE(at), Number(request.readBigInt64BE(at + 4)));
      at += 4 + 8 + 4;
    }
  }
  return out;
}

/** Up to PER_ANSWER records of `partition` from `from`, as one record batch. */
async function recordsFrom(partition: number, from: number): Promise<Buffer | null> {
  const count = Math.min(PER_ANSWER, RECORDS - from);
  if (count <= 0) return null;
  return encodeBatch({
    baseOffset: from,
    records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`${partition}:${from + i}`) })),
  });
}

/**
 * A broker that answers each Fetch request with the records asked for, or
 * with `errorFor(partition)` when that gives an error code. Returns its port
 * and every request's asked offsets.
 */
async function startBroker(
  errorFor: (partition: number) => number = () => 0,
): Promise<{ port: number; asked: Map<number, number>[] }> {
  const asked: Map<number, number>[] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const request = buffered.subarray(0, 4 + buffered.readInt32BE(0));
        buffered = buffered.subarray(request.length);
        const offsets = askedOffsets(request);
        asked.push(offsets);
        void answer(socket, request.readInt32BE(8), offsets);
      }
    });
  });
  const answer = async (socket: Socket, correlationId: number, offsets: Map<number, number>): Promise<void> => {
    const body = new Encoder().writeInt32(0).writeInt32(1).writeString(TOPIC).writeInt32(offsets.size);
    for (const [partition, from] of offsets) {
      const error = errorFor(partition);
      body.writeInt32(partition).writeInt16(error).writeInt64(RECORDS).writeInt64(RECORDS).writeInt32(0);
      body.writeBytes(error === 0 ? await recordsFrom(partition, from) : null);
    }
    const bytes = Buffer.from(body.buffer);
    const framed = Buffer.alloc(8 + bytes.length);
    framed.writeInt32BE(4 + bytes.length, 0);
    framed.writeInt32BE(correlationId, 4);
    bytes.copy(framed, 8);
    if (!socket.destroyed) socket.write(framed);
  };
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, asked };
}

/** The admin calls the fetcher makes: the group's committed offsets, the log's bounds, the leaders. */
function admin(port: number, committed: ReadonlyMap<number, number>): Admin {
  const partitions = [0, 1];
  const stand: Pick<Admin, 'fetchOffsets' | 'fetchTopicOffsets' | 'fetchTopicMetadata' | 'describeCluster'> = {
    fetchOffsets: async () => [
      {
        topic: TOPIC,
        partitions: partitions.map((p) => ({ partition: p, offset: String(committed.get(p) ?? -1), metadata: null })),
      },
    ],
    fetchTopicOffsets: async () =>
      partitions.map((p) => ({ partition: p, offset: String(RECORDS), high: String(RECORDS), low: '0' })),
    fetchTopicMetadata: async () => ({
      topics: [
        {
          name: TOPIC,
          partitions: partitions.map((p) => ({
            partitionId: p,
            leader: 1,
            partitionErrorCode: 0,
            replicas: [1],
            isr: [1],
            offlineReplicas: [],
          })),
        },
      ],
    }),
    describeCluster: async () => ({ brokers: [{ nodeId: 1, host: '127.0.0.1', port }], controller: 1, clusterId: 'c' }),
  };
  return stand as Admin;
}

interface Delivered {
  readonly partition: number;
  readonly session: number;
  readonly values: string[];
}

function fetcher(
  port: number,
  committed: ReadonlyMap<number, number>,
  deliver: FetcherEvents['deliver'],
  lines: string[] = [],
  security?: KafkaSecurity,
): DirectFetcher {
  const f = new DirectFetcher(
    {
      topic: TOPIC,
      group: 'g',
      fromBeginning: true,
      clientId: 'test',
      maxBytesPerPartition: 1 << 20,
      maxBytes: 1 << 20,
      minBytes: 1,
      maxWaitMs: 50,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      security,
    },
    admin(port, committed),
    (level, line) => lines.push(`${level} ${line}`),
    { deliver, fetched: () => undefined, failed: (error) => lines.push(`failed ${error.code} ${error.message}`) },
  );
  fetchers.push(f);
  return f;
}

function valuesOf(found: FoundRecords): string[] {
  return Array.from({ length: found.count }, (_, i) => {
    const from = found.start[i]!;
    return Buffer.from(found.source[i]!.subarray(from, from + found.length[i]!)).toString();
  });
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const range = (partition: number, from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, i) => `${partition}:${from + i}`);

describe('DirectFetcher', () => {
  it(
    'reads a partition only once started, from the offset given or the committed one, each delivery ' +
      'with its session',
    async () => {
      const { port, asked } = await startBroker();
      const got: Delivered[] = [];
      const f = fetcher(
        port,
        new Map([[1, 30]]),
        async (partition, found, session) => void got.push({ partition, session, values: valuesOf(found) }),
      );
      f.joined([0, 1]);
      await new Promise((r) => setTimeout(r, 200));
      expect(asked).toEqual([]);
      f.start([
        { partition: 0, offset: 25, session: 7 },
        { partition: 1, offset: undefined, session: 8 },
      ]);
      await until(() => got.flatMap((d) => d.values).length === 2 * 15 - 5);
      expect(got.filter((d) => d.partition === 0).flatMap((d) => d.values)).toEqual(range(0, 25, RECORDS));
      expect(got.filter((d) => d.partition === 1).flatMap((d) => d.values)).toEqual(range(1, 30, RECORDS));
      expect(new Set(got.map((d) => `${d.partition}#${d.session}`))).toEqual(new Set(['0#7', '1#8']));
    },
  );

  it(
    'keeps a kept partition where it was across a join, forgets a lost one, and ignores a start for ' +
      'a partition not held',
    async () => {
      const { port } = await startBroker();
      const got: Delivered[] = [];
      let gate: Promise<void> = Promise.resolve();
      const f = fetcher(port, new Map(), async (partition, found, session) => {
        got.push({ partition, session, values: valuesOf(found) });
        await gate;
      });
      f.joined([0, 1]);
      let open: () => void = () => undefined;
      gate = new Promise<void>((resolve) => (open = resolve));
      f.start([
        { partition: 0, offset: 0, session: 1 },
        { partition: 1, offset: 0, session: 2 },
      ]);
      await until(() => got.length >= 1);
      // Partition 1 goes to another member while the first part is handed on; a start for 5 (not ours) is ignored.
      f.joined([0]);
      f.start([{ partition: 5, offset: 0, session: 3 }]);
      open();
      gate = Promise.resolve();
      await until(() => got.filter((d) => d.partition === 0).flatMap((d) => d.values).length === RECORDS);
      const zero = got.filter((d) => d.partition === 0).flatMap((d) => d.values);
      expect(zero).toEqual(range(0, 0, RECORDS));
      // At most the part of partition 1 already being handed on when it was lost.
      expect(got.filter((d) => d.partition === 1).length).toBeLessThanOrEqual(1);
      expect(got.some((d) => d.partition === 5)).toBe(false);
    },
  );

  it(
    'hands on a part read in the old session no more once the partition is started again, and reads ' +
      'it from the new offset',
    async () => {
      const { port } = await startBroker();
      const got: Delivered[] = [];
      let hold: (() => void) | undefined;
      const f = fetcher(port, new Map(), async (partition, found, session) => {
        got.push({ partition, session, values: valuesOf(found) });
        // The first part of the first answer is held until the test has started partition 1 again.
        if (got.length === 1) await new Promise<void>((resolve) => (hold = resolve));
      });
      f.joined([0, 1]);
      f.start([
        { partition: 0, offset: 0, session: 1 },
        { partition: 1, offset: 0, session: 2 },
      ]);
      await until(() => hold !== undefined);
      f.start([{ partition: 1, offset: 20, session: 3 }]);
      hold!();
      await until(
        () => got.filter((d) => d.partition === 1 && d.session === 3).flatMap((d) => d.values).length === RECORDS - 20,
      );
      await until(() => got.filter((d) => d.partition === 0).flatMap((d) => d.values).length === RECORDS);
      // Session 2's part of that answer (offsets 0-3 of partition 1, after partition 0's) was not handed on.
      expect(got[0]!.partition).toBe(0);
      expect(got.filter((d) => d.session === 2)).toEqual([]);
      expect(got.filter((d) => d.session === 3).flatMap((d) => d.values)).toEqual(range(1, 20, RECORDS));
      expect(got.filter((d) => d.partition === 0).flatMap((d) => d.values)).toEqual(range(0, 0, RECORDS));
    },
  );

  it(
    'hands on the other parts of an answer in which one partition failed, then retries that one ' + 'from where it was',
    async () => {
      let failures = 3;
      const { port } = await startBroker((partition) => (partition === 1 && failures-- > 0 ? NOT_LEADER : 0));
      const got: Delivered[] = [];
      const lines: string[] = [];
      const f = fetcher(
        port,
        new Map(),
        async (partition, found, session) => void got.push({ partition, session, values: valuesOf(found) }),
        lines,
      );
      f.joined([0, 1]);
      f.start([
        { partition: 0, offset: 0, session: 1 },
        { partition: 1, offset: 0, session: 2 },
      ]);
      await until(() => got.flatMap((d) => d.values).length === 2 * RECORDS);
      expect(got.filter((d) => d.partition === 0).flatMap((d) => d.values)).toEqual(range(0, 0, RECORDS));
      expect(got.filter((d) => d.partition === 1).flatMap((d) => d.values)).toEqual(range(1, 0, RECORDS));
      expect(lines.filter((l) => l.startsWith('warn fetching t failed'))).toHaveLength(1);
      expect(lines).toContain('info fetching t again');
    },
  );

  it('stops at once, with KAFKA_SECURITY and one line, when TLS or the login cannot work: no retry', async () => {
    // What a Kafka plaintext port does with a TLS ClientHello (an oversized request): it hangs up. Retrying cannot
    // help.
    let connections = 0;
    const plaintext = createServer((socket) => {
      connections++;
      socket.once('data', () => socket.destroy());
    });
    servers.push(plaintext);
    await new Promise<void>((resolve) => plaintext.listen(0, '127.0.0.1', resolve));
    const port = (plaintext.address() as AddressInfo).port;
    const lines: string[] = [];
    const f = fetcher(port, new Map(), async () => undefined, lines, {
      tls: {},
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'pw-never-shown' },
    });
    f.joined([0]);
    f.start([{ partition: 0, offset: 0, session: 1 }]);
    await until(() => lines.length > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(lines).toEqual([
      `failed KAFKA_SECURITY 127.0.0.1:${port} does not speak TLS (it closed the connection during ` +
        `the TLS handshake): a plaintext port? Turn TLS off for it, or use the broker's TLS port`,
    ]);
    expect(connections).toBe(1);
  });
});
