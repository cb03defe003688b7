import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestKafka, type ReadRecord } from '@uniqstream/kafka-local';
import { afterAll, describe, expect, it } from 'vitest';
import { sim } from '../support/bin.js';
import { splitLines, validFrame } from '../support/reference.js';

const kafka = new TestKafka({ clientId: 'uniqstream-sim-test' });
const bootstrap = kafka.bootstrap;
const run = `${Date.now().toString(36)}-${process.pid}`;

/** Everything in `topic` now, each partition in offset order; the simulator has exited, so that is all it wrote. */
async function readTopic(topic: string): Promise<Map<number, ReadRecord[]>> {
  kafka.track({ topics: [topic] });
  const byPartition = new Map<number, ReadRecord[]>();
  for (const record of await kafka.read(topic))
    byPartition.set(record.partition, [...(byPartition.get(record.partition) ?? []), record]);
  return byPartition;
}

const bytesOf = (record: ReadRecord): Buffer => record.value ?? Buffer.alloc(0);

/** True when `sub` appears in `all` in the same order (not necessarily next to each other). */
function isSubsequence(sub: readonly Buffer[], all: readonly Buffer[]): boolean {
  let i = 0;
  for (const line of all) if (i < sub.length && line.equals(sub[i]!)) i++;
  return i === sub.length;
}

const sortedHex = (values: readonly Buffer[]) => values.map((v) => v.toString('hex')).sort();

afterAll(async () => {
  await kafka.close();
});

describe('uniqstream-sim --to kafka://', () => {
  const common = [
    '--seed',
    '11',
    '--frames',
    '6000',
    '--frame-bytes',
    '600',
    '--realistic',
    '--malformed-fraction',
    '0.02',
    '--quiet',
  ];
  const lines = splitLines(sim(common).stdout);

  it(
    'keyed by uid: the topic holds the stdout lines, each partition in stdout order, each user in ' + 'one partition',
    async () => {
      const topic = `sim-uid-${run}`;
      const result = sim([
        ...common,
        '--to',
        `kafka://${bootstrap}/${topic}`,
        '--partitions',
        '3',
        '--key',
        'uid',
        '--compression',
        'gzip',
        '--batch-bytes',
        '200000',
      ]);
      expect(result.status).toBe(0);
      expect(await kafka.partitions(topic)).toBe(3);

      const received = await readTopic(topic);
      const all = [...received.values()].flat();
      expect(all).toHaveLength(lines.length);
      expect(sortedHex(all.map(bytesOf))).toEqual(sortedHex(lines));
      for (const list of received.values()) expect(isSubsequence(list.map(bytesOf), lines)).toBe(true);
      expect(received.size).toBe(3);

      const partitionOfKey = new Map<string, number>();
      let wrongKey = 0;
      let split = 0;
      for (const m of all) {
        const frame = validFrame(bytesOf(m));
        if (frame !== null && m.key !== frame.uid) wrongKey++;
        if (m.key === null) continue;
        const seen = partitionOfKey.get(m.key);
        if (seen !== undefined && seen !== m.partition) split++;
        partitionOfKey.set(m.key, m.partition);
      }
      expect(wrongKey).toBe(0);
      expect(split).toBe(0);
    },
  );

  it('without keys: frames go round-robin, so partition p holds lines p, p+4, p+8, ... in order', async () => {
    const topic = `sim-none-${run}`;
    const result = sim([...common, '--to', `kafka://${bootstrap}/${topic}`, '--partitions', '4', '--key', 'none']);
    expect(result.status).toBe(0);
    const received = await readTopic(topic);
    for (let p = 0; p < 4; p++) {
      const expected = lines.filter((_line, i) => i % 4 === p);
      const got = (received.get(p) ?? []).map(bytesOf);
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
    const received = await readTopic(topic);
    const all = [...received.values()].flat();
    expect(sortedHex(all.map(bytesOf))).toEqual(sortedHex(lines));
    for (const list of received.values()) expect(isSubsequence(list.map(bytesOf), lines)).toBe(true);
  });

  it('leaves an existing topic as it is and says so', async () => {
    const topic = `sim-exists-${run}`;
    await kafka.createTopic(topic, 2);
    const result = sim([
      '--frames',
      '10',
      '--frame-bytes',
      '50',
      '--to',
      `kafka://${bootstrap}/${topic}`,
      '--partitions',
      '5',
    ]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`topic ${topic} already exists with 2 partition(s)`);
    expect(await kafka.partitions(topic)).toBe(2);
  });
});
