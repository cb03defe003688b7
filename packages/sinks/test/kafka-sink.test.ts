import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { DeadLetter, WindowResult } from '@uniqstream/core';
import { closedPort } from '@uniqstream/kafka-local';
import { createKafkaResultSink, deadLetterKey, resultKey, sinkReady } from '../src/kafka-sink.js';
import { createStdoutSink } from '../src/result-sink.js';
import { SinkError } from '../src/errors.js';

const result: WindowResult = {
  window: 'hour',
  start: 1468242000,
  end: 1468245600,
  users: 7,
  frames: 9,
  revision: 2,
  final: false,
  method: 'exact',
};

describe('Kafka record keys', () => {
  it('keys a result by window and start, so compaction keeps one record per window', () => {
    expect(resultKey(result)).toBe('hour:1468242000');
    expect(resultKey({ ...result, revision: 3, users: 8 })).toBe(resultKey(result));
    expect(resultKey({ ...result, window: 'minute' })).not.toBe(resultKey(result));
  });

  it('keys a dead letter by where the frame was', () => {
    const letter: DeadLetter = {
      reason: 'malformed',
      detail: 'truncated',
      origin: 'stream',
      partition: 3,
      position: 1234,
      frame: new Uint8Array(),
    };
    expect(deadLetterKey(letter)).toBe('stream:3:1234');
  });
});

describe('createKafkaResultSink', () => {
  it('refuses a partition count that is not a positive integer', () => {
    for (const partitions of [0, -1, 1.5]) {
      expect(() => createKafkaResultSink({ brokers: ['127.0.0.1:9092'], topic: 't' }, { partitions })).toThrow(
        SinkError,
      );
    }
  });

  it('closes quickly while it still waits for an absent broker', async () => {
    const port = await closedPort();
    const sink = createKafkaResultSink(
      { brokers: [`127.0.0.1:${port}`], topic: 't' },
      { connectTimeoutMs: 60_000, log: () => undefined },
    );
    const started = performance.now();
    await sink.close();
    expect(performance.now() - started).toBeLessThan(10_000);
    await expect(sinkReady(sink)).rejects.toMatchObject({ code: 'KAFKA_UNAVAILABLE' });
  });
});

describe('sinkReady', () => {
  it('resolves at once for sinks that need no connection', async () => {
    await sinkReady(createStdoutSink({ stream: new PassThrough() }));
  });
});
