import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultMaxBytesPerPartition, openKafkaSource, openKafkaSourceOn } from '../src/kafka-source.js';
import { SourceError } from '../src/errors.js';

/*
 * The source against stand-in reader threads that speak its protocol (no
 * broker, no kafkajs); the real thread runs the built script, and its
 * cases are in test/integration.
 */

const dir = mkdtempSync(join(tmpdir(), 'uniqstream-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): URL {
  const path = join(dir, `${name}.mjs`);
  writeFileSync(path, `import { parentPort, workerData } from 'node:worker_threads';\n${body}`);
  return pathToFileURL(path);
}

const BASE = { brokers: ['127.0.0.1:9092'], topic: 't', group: 'g', fromBeginning: false, log: () => undefined };

describe('openKafkaSource', () => {
  it('refuses empty brokers, topic or group, and bad buffer or heap settings', () => {
    for (const bad of [{ ...BASE, brokers: [] }, { ...BASE, topic: '' }, { ...BASE, group: '' }, { ...BASE, workerBufferBytes: 1024 }]) {
      expect(() => openKafkaSource(bad)).toThrow(SourceError);
    }
    for (const readerOldSpaceMb of [-1, 1.5, Number.NaN, 1e9]) {
      expect(() => openKafkaSource({ ...BASE, readerOldSpaceMb })).toThrow(/readerOldSpaceMb must be an integer from 0 to 65536/);
    }
    expect(openKafkaSource({ ...BASE, readerOldSpaceMb: 0 }).name).toBe('kafka://127.0.0.1:9092/t');
    expect(openKafkaSource(BASE).name).toBe('kafka://127.0.0.1:9092/t');
  });

  it('can be iterated only once', async () => {
    const unavailable = script('unavailable', `parentPort.on('message', (m) => { if (m.kind === 'close') parentPort.postMessage({ kind: 'closed' }); });
parentPort.postMessage({ kind: 'failed', code: 'KAFKA_UNAVAILABLE', message: 'cannot reach Kafka at 127.0.0.1:9092: no', cause: '' });`);
    const source = openKafkaSourceOn(BASE, unavailable);
    await expect(source.batches()[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'KAFKA_UNAVAILABLE' });
    await expect(source.batches()[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'BAD_STATE' });
    await source.close();
  });
});

describe('defaultMaxBytesPerPartition', () => {
  it('splits a 4 MiB fetch over the partitions, never below 1 MiB each', () => {
    const MIB = 1024 * 1024;
    expect([1, 2, 3, 4, 8, 64].map(defaultMaxBytesPerPartition)).toEqual([4 * MIB, 2 * MIB, Math.floor((4 * MIB) / 3), MIB, MIB, MIB]);
  });
});
