import { closedPort } from '@uniqstream/kafka-local';
import {
  CompressionTypes,
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  type Kafka,
  type Message,
  type ProducerRecord,
} from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createKafka, PROBE_RETRY } from '../src/client.js';
import type { KafkaError } from '../src/errors.js';
import { SocketTracker } from '../src/sockets.js';
import { KafkaTopicWriter } from '../src/topic-writer.js';

class CallerError extends Error {
  constructor(readonly from: KafkaError) {
    super(from.message);
  }
}

describe('KafkaTopicWriter', () => {
  it('refuses options that cannot work with BAD_OPTION, or with what errorOf makes of it', () => {
    const base = { brokers: ['127.0.0.1:9092'], topic: 't', what: 'results' };
    const bad = [
      { ...base, brokers: [] },
      { ...base, partitions: 0 },
      { ...base, partitions: 1.5 },
      { ...base, batchBytes: 0 },
      { ...base, batchMessages: -1 },
    ];
    for (const options of bad) {
      expect(() => new KafkaTopicWriter(options)).toThrow(
        expect.objectContaining({ name: 'KafkaError', code: 'BAD_OPTION' }) as Error,
      );
      expect(() => new KafkaTopicWriter({ ...options, errorOf: (e) => new CallerError(e) })).toThrow(CallerError);
    }
    expect(() => new KafkaTopicWriter({ ...base, partitions: -1 })).toThrow(
      'partitions must be a positive integer, got -1',
    );
  });

  it('closes quickly while it still waits for an absent broker; then ready() and write() fail', async () => {
    const port = await closedPort();
    const lines: string[] = [];
    const writer = new KafkaTopicWriter({
      brokers: [`127.0.0.1:${port}`],
      topic: 't',
      what: 'results',
      connectTimeoutMs: 60_000,
      log: (level, line) => lines.push(`${level} ${line}`),
    });
    expect(writer.name).toBe(`kafka://127.0.0.1:${port}/t`);
    const started = performance.now();
    await writer.close();
    expect(performance.now() - started).toBeLessThan(10_000);
    await expect(writer.ready()).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(new RegExp(`^cannot reach Kafka at 127\\.0\\.0\\.1:${port}: `)) as string,
    });
    await expect(writer.write([{ value: 'x' }])).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('hands its failures through errorOf: a flush that cannot connect rejects with the caller’s error', async () => {
    const port = await closedPort();
    const writer = new KafkaTopicWriter({
      brokers: [`127.0.0.1:${port}`],
      topic: 't',
      what: 'results',
      connectTimeoutMs: 300,
      log: () => undefined,
      errorOf: (e) => new CallerError(e),
    });
    const failure = await writer.flush().catch((e: unknown) => e);
    await writer.close();
    expect(failure).toBeInstanceOf(CallerError);
    expect((failure as CallerError).from.code).toBe('UNAVAILABLE');
  });

  it(
    "with a caller's client, only connects a producer: FAILED when it cannot, and close() leaves the " +
      "client's sockets alone",
    async () => {
      const port = await closedPort();
      const sockets = new SocketTracker();
      const kafka = createKafka({
        brokers: [`127.0.0.1:${port}`],
        clientId: 'test',
        log: () => undefined,
        verbose: false,
        retry: PROBE_RETRY,
        now: () => performance.now(),
        sockets,
      });
      const writer = new KafkaTopicWriter({ kafka, topic: 'state', what: 'checkpoints' });
      expect(writer.name).toBe('kafka:state');
      await expect(writer.ready()).rejects.toMatchObject({
        code: 'FAILED',
        message: expect.stringMatching(/^cannot connect the producer of checkpoints \(state\): /) as string,
      });
      await writer.close({ flush: false });
      expect(sockets.closing).toBe(false);
      sockets.destroyAll();
    },
  );
});

/** A kafkajs client of the caller's whose producer answers each send as `answer` says (resolve, or throw). */
function scriptedClient(answer: (call: number) => Promise<void>): { kafka: Kafka; sends: ProducerRecord[] } {
  const sends: ProducerRecord[] = [];
  const producer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    send: async (record: ProducerRecord) => {
      sends.push(record);
      await answer(sends.length);
      return [];
    },
  };
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({
      topics: topics.map((name) => ({ name, partitions: [{}, {}, {}] })),
    }),
  };
  return { kafka: { producer: () => producer, admin: () => admin } as unknown as Kafka, sends };
}

/** What kafkajs throws once its own retries of an absent broker run out. */
function brokerAway(): Error {
  return new KafkaJSNumberOfRetriesExceeded(
    new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'),
    { retryCount: 8, retryTime: 10_000 },
  );
}

const records = (count: number): Message[] =>
  Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));

describe('KafkaTopicWriter while the broker is away', () => {
  it(
    'sends the same records again until they are acknowledged, says so once, and tells each ' +
      'acknowledged send in order',
    async () => {
      const { kafka, sends } = scriptedClient(async (call) => {
        if (call <= 3) throw brokerAway();
      });
      const lines: string[] = [];
      const acknowledged: number[] = [];
      const writer = new KafkaTopicWriter({
        kafka,
        topic: 't',
        what: 'frames',
        batchMessages: 2,
        log: (level, line) => lines.push(`${level} ${line}`),
        onAcknowledged: (n) => acknowledged.push(n),
      });
      await writer.write(records(5));
      await writer.flush();
      await writer.close();
      // Three failed tries of the first batch, then it and the two others.
      expect(sends.map((s) => s.messages.map((m) => m.key).join(','))).toEqual([
        'k0,k1',
        'k0,k1',
        'k0,k1',
        'k0,k1',
        'k2,k3',
        'k4',
      ]);
      expect(acknowledged).toEqual([2, 2, 1]);
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(
        new RegExp(
          '^warn lost Kafka while writing frames \\(.*ECONNREFUSED 127\\.0\\.0\\.1:9092\\); ' +
            'keeping them and retrying for up to 300 s$',
        ),
      );
      expect(lines[1]).toMatch(/^info Kafka acknowledges frames again, after \d+\.\d s$/);
    },
  );

  it('fails with UNAVAILABLE and the last reason once unavailableTimeoutMs has passed', async () => {
    const { kafka, sends } = scriptedClient(async () => {
      throw brokerAway();
    });
    const acknowledged: number[] = [];
    const writer = new KafkaTopicWriter({
      kafka,
      topic: 't',
      what: 'frames',
      unavailableTimeoutMs: 1_000,
      log: () => undefined,
      onAcknowledged: (n) => acknowledged.push(n),
    });
    await writer.write(records(3));
    const failure = await writer.flush().catch((e: unknown) => e);
    await writer.close();
    expect(failure).toMatchObject({
      name: 'KafkaError',
      code: 'UNAVAILABLE',
      message:
        'cannot write frames to Kafka: no acknowledgement for 1 s: Connection error: connect ' +
        'ECONNREFUSED 127.0.0.1:9092',
    });
    expect(sends.length).toBeGreaterThan(1);
    expect(acknowledged).toEqual([]);
  });

  it('fails with UNAVAILABLE when a send hangs past unavailableTimeoutMs', async () => {
    const { kafka } = scriptedClient(() => new Promise(() => undefined));
    const writer = new KafkaTopicWriter({
      kafka,
      topic: 't',
      what: 'frames',
      unavailableTimeoutMs: 300,
      log: () => undefined,
    });
    await writer.write(records(1));
    await expect(writer.flush()).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'cannot write frames to Kafka: no acknowledgement for 0.3 s',
    });
    await writer.close();
  });

  it('fails at once with FAILED for what waiting cannot fix', async () => {
    const tooLarge = Object.assign(
      new KafkaJSProtocolError(
        'The request included a message larger than the max message size the server will accept',
      ),
      { type: 'MESSAGE_TOO_LARGE' },
    );
    const { kafka, sends } = scriptedClient(async () => {
      throw tooLarge;
    });
    const writer = new KafkaTopicWriter({ kafka, topic: 't', what: 'frames', log: () => undefined });
    await writer.write(records(1));
    await expect(writer.flush()).rejects.toMatchObject({
      code: 'FAILED',
      message: expect.stringMatching(
        /^cannot write frames to t on Kafka: The request included a message larger/,
      ) as string,
    });
    expect(sends).toHaveLength(1);
    await writer.close();
  });

  it('stops retrying at close({ flush: false })', async () => {
    const { kafka, sends } = scriptedClient(async () => {
      throw brokerAway();
    });
    const writer = new KafkaTopicWriter({
      kafka,
      topic: 't',
      what: 'frames',
      unavailableTimeoutMs: 0,
      log: () => undefined,
    });
    await writer.write(records(1));
    const flushing = writer.flush().catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await writer.close({ flush: false });
    await flushing;
    const tries = sends.length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(sends.length).toBe(tries);
  });
});

describe('KafkaTopicWriter', () => {
  it('compresses batches as asked and tells the partition count of its topic', async () => {
    const { kafka, sends } = scriptedClient(async () => undefined);
    const writer = new KafkaTopicWriter({ kafka, topic: 't', what: 'frames', compression: 'gzip' });
    await writer.write(records(2));
    await writer.flush();
    expect(sends[0]?.compression).toBe(CompressionTypes.GZIP);
    expect(await writer.partitions()).toBe(3);
    await writer.close();
  });
});

describe('KafkaTopicWriter lingering', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it(
    'sends what is written while nothing is being sent after lingerMs, without a flush; what comes ' +
      'during a send goes right after it',
    async () => {
      vi.useFakeTimers();
      let release: () => void = () => undefined;
      const { kafka, sends } = scriptedClient(async (call) => {
        // The first send stays unacknowledged until released.
        if (call === 1) await new Promise<void>((resolve) => (release = resolve));
      });
      const writer = new KafkaTopicWriter({ kafka, topic: 't', what: 'results', lingerMs: 20 });
      await writer.write(records(2));
      await vi.advanceTimersByTimeAsync(19);
      expect(sends).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(sends.map((s) => s.messages.length)).toEqual([2]);
      // Written while the first send waits: sent once it is done, together, without waiting for the linger again.
      await writer.write(records(3));
      await writer.write(records(1));
      await vi.advanceTimersByTimeAsync(100);
      expect(sends).toHaveLength(1);
      release();
      await vi.advanceTimersByTimeAsync(0);
      expect(sends.map((s) => s.messages.length)).toEqual([2, 4]);
      await writer.close();
    },
  );
});
