import { closedPort } from '@uniqstream/kafka-local';
import { describe, expect, it } from 'vitest';
import { createKafka, PROBE_RETRY } from '../src/client.js';
import { KafkaError } from '../src/errors.js';
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
    const bad = [{ ...base, brokers: [] }, { ...base, partitions: 0 }, { ...base, partitions: 1.5 }, { ...base, batchBytes: 0 }, { ...base, batchMessages: -1 }];
    for (const options of bad) {
      expect(() => new KafkaTopicWriter(options)).toThrow(expect.objectContaining({ name: 'KafkaError', code: 'BAD_OPTION' }) as Error);
      expect(() => new KafkaTopicWriter({ ...options, errorOf: (e) => new CallerError(e) })).toThrow(CallerError);
    }
    expect(() => new KafkaTopicWriter({ ...base, partitions: -1 })).toThrow('partitions must be a positive integer, got -1');
  });

  it('closes quickly while it still waits for an absent broker; then ready() and write() fail', async () => {
    const port = await closedPort();
    const lines: string[] = [];
    const writer = new KafkaTopicWriter({ brokers: [`127.0.0.1:${port}`], topic: 't', what: 'results', connectTimeoutMs: 60_000, log: (level, line) => lines.push(`${level} ${line}`) });
    expect(writer.name).toBe(`kafka://127.0.0.1:${port}/t`);
    const started = performance.now();
    await writer.close();
    expect(performance.now() - started).toBeLessThan(10_000);
    await expect(writer.ready()).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(new RegExp(`^cannot reach Kafka at 127\\.0\\.0\\.1:${port}: `)) as string });
    await expect(writer.write([{ value: 'x' }])).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('hands its failures through errorOf: a flush that cannot connect rejects with the caller’s error', async () => {
    const port = await closedPort();
    const writer = new KafkaTopicWriter({ brokers: [`127.0.0.1:${port}`], topic: 't', what: 'results', connectTimeoutMs: 300, log: () => undefined, errorOf: (e) => new CallerError(e) });
    const failure = await writer.flush().catch((e: unknown) => e);
    await writer.close();
    expect(failure).toBeInstanceOf(CallerError);
    expect((failure as CallerError).from.code).toBe('UNAVAILABLE');
  });

  it("with a caller's client, only connects a producer: FAILED when it cannot, and close() leaves the client's sockets alone", async () => {
    const port = await closedPort();
    const sockets = new SocketTracker();
    const kafka = createKafka({ brokers: [`127.0.0.1:${port}`], clientId: 'test', log: () => undefined, verbose: false, retry: PROBE_RETRY, now: () => performance.now(), sockets });
    const writer = new KafkaTopicWriter({ kafka, topic: 'state', what: 'checkpoints' });
    expect(writer.name).toBe('kafka:state');
    await expect(writer.ready()).rejects.toMatchObject({ code: 'FAILED', message: expect.stringMatching(/^cannot connect the producer of checkpoints \(state\): /) as string });
    await writer.close({ flush: false });
    expect(sockets.closing).toBe(false);
    sockets.destroyAll();
  });
});
