import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sim } from '../support/bin.js';
import { splitLines, validFrame } from '../support/reference.js';

const bootstrap = process.env.UNIQSTREAM_KAFKA_BOOTSTRAP ?? '127.0.0.1:9092';
const kafka = new Kafka({ clientId: 'uniqstream-sim-test', brokers: [bootstrap], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const run = `${Date.now().toString(36)}-${process.pid}`;

interface Received {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: Buffer;
}

/** Reads a topic from the beginning until `count` messages have come, then each partition in offset order. */
async function readTopic(topic: string, count: number): Promise<Map<number, Received[]>> {
  const consumer = kafka.consumer({ groupId: `sim-test-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const byPartition = new Map<number, Received[]>();
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${total} of ${count} messages arrived`)), 120_000);
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          const list = byPartition.get(batch.partition) ?? [];
          for (const m of batch.messages) {
            list.push({ partition: batch.partition, offset: Number(m.offset), key: m.key === null ? null : m.key.toString(), value: m.value ?? Buffer.alloc(0) });
          }
          byPartition.set(batch.partition, list);
          total += batch.messages.length;
          if (total >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  for (const list of byPartition.values()) list.sort((a, b) => a.offset - b.offset);
  return byPartition;
}

/** True when `sub` appears in `all` in the same order (not necessarily next to each other). */
function isSubsequence(sub: readonly Buffer[], all: readonly Buffer[]): boolean {
  let i = 0;
  for (const line of all) if (i < sub.length && line.equals(sub[i]!)) i++;
  return i === sub.length;
}

const sortedHex = (values: readonly Buffer[]) => values.map((v) => v.toString('hex')).sort();

beforeAll(async () => {
  await admin.connect();
});
afterAll(async () => {
  await admin.disconnect();
});

describe('uniqstream-sim --to kafka://', () => {
  const common = ['--seed', '11', '--frames', '6000', '--frame-bytes', '600', '--realistic', '--malformed-fraction', '0.02', '--quiet'];
  const lines = splitLines(sim(common).stdout);

  it('keyed by uid: the topic holds the stdout lines, each partition in stdout order, each user in one partition', async () => {
    const topic = `sim-uid-${run}`;
    const result = sim([...common, '--to', `kafka://${bootstrap}/${topic}`, '--partitions', '3', '--key', 'uid', '--compression', 'gzip', '--batch-bytes', '200000']);
    expect(result.status).toBe(0);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]!.partitions).toHaveLength(3);

    const received = await readTopic(topic, lines.length);
    const all = [...received.values()].flat();
    expect(all).toHaveLength(lines.length);
    expect(sortedHex(all.map((m) => m.value))).toEqual(sortedHex(lines));
    for (const list of received.values()) expect(isSubsequence(list.map((m) => m.value), lines)).toBe(true);
    expect(received.size).toBe(3);

    const partitionOfKey = new Map<string, number>();
    let wrongKey = 0;
    let split = 0;
    for (const m of all) {
      const frame = validFrame(m.value);
      if (frame !== null && m.key !== frame.uid) wrongKey++;
      if (m.key === null) continue;
      const seen = partitionOfKey.get(m.key);
      if (seen !== undefined && seen !== m.partition) split++;
      partitionOfKey.set(m.key, m.partition);
    }
    expect(wrongKey).toBe(0);
    expect(split).toBe(0);
  });

  it('without keys: frames go round-robin, so partition p holds lines p, p+4, p+8, ... in order', async () => {
    const topic = `sim-none-${run}`;
    const result = sim([...common, '--to', `kafka://${bootstrap}/${topic}`, '--partitions', '4', '--key', 'none']);
    expect(result.status).toBe(0);
    const received = await readTopic(topic, lines.length);
    for (let p = 0; p < 4; p++) {
      const expected = lines.filter((_line, i) => i % 4 === p);
      const got = (received.get(p) ?? []).map((m) => m.value);
      expect(got.length).toBe(expected.length);
      expect(got.every((v, i) => v.equals(expected[i]!))).toBe(true);
    }
  });

  it('replays a file into a topic', async () => {
    const topic = `sim-replay-${run}`;
    const path = join(mkdtempSync(join(tmpdir(), 'sim-kafka-')), 'stream.jsonl');
    writeFileSync(path, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
    const result = sim(['replay', path, '--to', `kafka://${bootstrap}/${topic}`, '--partitions', '2', '--quiet']);
    expect(result.status).toBe(0);
    const received = await readTopic(topic, lines.length);
    const all = [...received.values()].flat();
    expect(sortedHex(all.map((m) => m.value))).toEqual(sortedHex(lines));
    for (const list of received.values()) expect(isSubsequence(list.map((m) => m.value), lines)).toBe(true);
  });

  it('leaves an existing topic as it is and says so', async () => {
    const topic = `sim-exists-${run}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const result = sim(['--frames', '10', '--frame-bytes', '50', '--to', `kafka://${bootstrap}/${topic}`, '--partitions', '5']);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`topic ${topic} already exists with 2 partition(s)`);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]!.partitions).toHaveLength(2);
  });
});
