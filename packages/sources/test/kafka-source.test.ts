import { closedPort } from '@uniqstream/kafka-local';
import { describe, expect, it } from 'vitest';
import { defaultMaxBytesPerPartition, openKafkaSource, toFrameBatch } from '../src/kafka-source.js';
import { SourceError } from '../src/errors.js';

function message(offset: number, value: Buffer | null): { offset: string; value: Buffer | null; key: null; timestamp: string; attributes: number; headers: Record<string, never> } {
  return { offset: String(offset), value, key: null, timestamp: '0', attributes: 0, headers: {} };
}

describe('toFrameBatch', () => {
  it('hands on the value Buffers themselves, offsets as positions, next = last offset + 1', () => {
    const values = [Buffer.from('{"uid":"a","ts":1}'), Buffer.from('x'), Buffer.from('{"uid":"b","ts":2}')];
    const batch = toFrameBatch({ topic: 'stream', partition: 3, messages: [message(40, values[0]!), message(41, values[1]!), message(45, values[2]!)] }, 0)!;
    expect(batch.partition).toBe(3);
    expect(batch.origin).toBe('stream');
    expect(Array.from(batch.positions)).toEqual([40, 41, 45]);
    expect(batch.next).toBe(46);
    for (let i = 0; i < values.length; i++) expect(batch.frames[i]).toBe(values[i]);
  });

  it('turns a null value into an empty frame, so the decoder reports it', () => {
    const batch = toFrameBatch({ topic: 't', partition: 0, messages: [message(0, null)] }, 0)!;
    expect(batch.frames).toHaveLength(1);
    expect(batch.frames[0]!.length).toBe(0);
  });

  it('drops records below `from` (already handed on), and gives nothing when none is left', () => {
    const messages = [10, 11, 12, 13].map((o) => message(o, Buffer.from(String(o))));
    const rest = toFrameBatch({ topic: 't', partition: 1, messages }, 12)!;
    expect(Array.from(rest.positions)).toEqual([12, 13]);
    expect(rest.frames.map((f) => Buffer.from(f).toString())).toEqual(['12', '13']);
    expect(toFrameBatch({ topic: 't', partition: 1, messages }, 14)).toBeUndefined();
    expect(toFrameBatch({ topic: 't', partition: 1, messages: [] }, 0)).toBeUndefined();
  });
});

/*
 * Below, kafkajs runs on the test's thread (worker: false): the worker
 * thread runs the built script, so its cases are in test/integration
 * (which builds first), and the link to it is in kafka-worker-link.test.ts.
 */
describe('openKafkaSource', () => {
  it('refuses empty brokers, topic or group, and bad worker settings', () => {
    const base = { brokers: ['127.0.0.1:9092'], topic: 't', group: 'g', fromBeginning: false };
    for (const bad of [{ ...base, brokers: [] }, { ...base, topic: '' }, { ...base, group: '' }, { ...base, workerBufferBytes: 1024 }]) {
      expect(() => openKafkaSource(bad)).toThrow(SourceError);
    }
    expect(() => openKafkaSource({ ...base, workerHandoff: 'pigeon' as never })).toThrow(/workerHandoff must be 'shared-ring' or 'transfer', got pigeon/);
    for (const readerOldSpaceMb of [-1, 1.5, Number.NaN, 1e9]) {
      expect(() => openKafkaSource({ ...base, readerOldSpaceMb })).toThrow(/readerOldSpaceMb must be an integer from 0 to 65536/);
    }
    expect(openKafkaSource({ ...base, readerOldSpaceMb: 0 }).name).toBe('kafka://127.0.0.1:9092/t');
    expect(openKafkaSource(base).name).toBe('kafka://127.0.0.1:9092/t');
    expect(openKafkaSource({ ...base, worker: false }).name).toBe('kafka://127.0.0.1:9092/t');
  });

  it('fails with one KAFKA_UNAVAILABLE line when no broker answers within the timeout', async () => {
    const port = await closedPort();
    const lines: string[] = [];
    const source = openKafkaSource({
      brokers: [`127.0.0.1:${port}`],
      topic: 'stream',
      group: 'g',
      fromBeginning: true,
      connectTimeoutMs: 800,
      worker: false,
      log: (level, line) => lines.push(`${level} ${line}`),
    });
    const started = performance.now();
    const failure = await (async () => {
      for await (const _ of source.batches()) return undefined;
      return undefined;
    })().catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    await source.close();
    expect(failure).toBeInstanceOf(SourceError);
    expect((failure as SourceError).code).toBe('KAFKA_UNAVAILABLE');
    expect((failure as SourceError).message).toMatch(new RegExp(`^cannot reach Kafka at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
    expect((failure as SourceError).message).not.toContain('\n');
    expect(elapsed).toBeGreaterThanOrEqual(700);
    // Retrying is said once, and kafkajs's own noise about the probe stays at debug.
    expect(lines.filter((l) => l.startsWith('warn waiting for Kafka'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('error'))).toEqual([]);
  });

  it('can be iterated only once', async () => {
    const port = await closedPort();
    const source = openKafkaSource({ brokers: [`127.0.0.1:${port}`], topic: 't', group: 'g', fromBeginning: true, connectTimeoutMs: 1, worker: false, log: () => undefined });
    await expect(source.batches()[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'KAFKA_UNAVAILABLE' });
    await expect(source.batches()[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'BAD_STATE' });
    await source.close();
  });

  it('ends quietly when the signal aborts while it waits for a broker', async () => {
    const port = await closedPort();
    const source = openKafkaSource({ brokers: [`127.0.0.1:${port}`], topic: 't', group: 'g', fromBeginning: true, connectTimeoutMs: 60_000, worker: false, log: () => undefined });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const seen: unknown[] = [];
    for await (const batch of source.batches(controller.signal)) seen.push(batch);
    await source.close();
    expect(seen).toEqual([]);
  });
});

describe('defaultMaxBytesPerPartition', () => {
  it('splits a 4 MiB fetch over the partitions, never below 1 MiB each', () => {
    const MIB = 1024 * 1024;
    expect([1, 2, 3, 4, 8, 64].map(defaultMaxBytesPerPartition)).toEqual([4 * MIB, 2 * MIB, Math.floor((4 * MIB) / 3), MIB, MIB, MIB]);
  });
});
