import { describe, expect, it } from 'vitest';
import { BOOTSTRAP_ENV, roundRobin, TestKafka, testBootstrap, uniqueName } from '../src/test-kafka.js';

describe('roundRobin', () => {
  it('gives value i to partition (first + i) mod partitions, in order', () => {
    const values = Array.from({ length: 10 }, (_, i) => Buffer.from(`v${i}`));
    const spread = roundRobin(values, 3, 4);
    expect(spread.map((r) => r.value)).toEqual(values);
    for (const [i, record] of spread.entries()) expect(record.partition).toBe((4 + i) % 3);
  });
});

describe('uniqueName', () => {
  it('keeps the prefix and differs from call to call', () => {
    const names = new Set(Array.from({ length: 200 }, () => uniqueName('topic')));
    expect(names.size).toBe(200);
    for (const name of names) expect(name).toMatch(/^topic-[0-9a-z]+-[0-9a-f]{6}$/);
  });
});

describe('testBootstrap', () => {
  it('is what the globalSetup put in the environment, else the local default', () => {
    const before = process.env[BOOTSTRAP_ENV];
    try {
      process.env[BOOTSTRAP_ENV] = '127.0.0.1:29092';
      expect(testBootstrap()).toBe('127.0.0.1:29092');
      expect(new TestKafka().bootstrap).toBe('127.0.0.1:29092');
      delete process.env[BOOTSTRAP_ENV];
      expect(testBootstrap()).toBe('127.0.0.1:9092');
      expect(new TestKafka({ bootstrap: 'h:1' }).bootstrap).toBe('h:1');
    } finally {
      if (before === undefined) delete process.env[BOOTSTRAP_ENV];
      else process.env[BOOTSTRAP_ENV] = before;
    }
  });
});
