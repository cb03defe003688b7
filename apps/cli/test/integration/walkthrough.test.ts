import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateChunks } from '@uniqstream/generator';
import { TestKafka } from '@uniqstream/kafka-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasStackTrace, run, type Finished } from './cli-process.js';
import { expectFinalsMatch, latestByKey, linesOf, referenceCounts } from './reference.js';

/*
 * The Kafka walkthrough of the README, as a new user runs it, one command
 * after the other from the repository root. Its topic names are fixed
 * (`stream`, `processed`) and so is the group (the default, `uniqstream`):
 * the test removes what an earlier run left of them first, as a fresh
 * broker would have nothing.
 */

const T0 = 1468244340;
const SAMPLE_FRAMES = 6_000;
let kafka: TestKafka;
let dir: string;
let sample: Buffer[];

beforeAll(async () => {
  kafka = new TestKafka({ bootstrap: '127.0.0.1:9092' });
  await kafka.deleteTopics(['stream', 'processed']);
  await kafka.deleteGroup('uniqstream');
  dir = mkdtempSync(join(tmpdir(), 'uniqstream-walkthrough-'));
  // About 2 KB frames over four minutes, late within the maximum delay, some damaged.
  const chunks = [
    ...generateChunks({
      seed: 2016,
      users: 2000,
      rate: 25,
      start: T0 + 25,
      frames: SAMPLE_FRAMES,
      lateFraction: 0.2,
      maxDelay: 5,
      malformedFraction: 0.01,
      tsStringFraction: 0.05,
    }),
  ];
  sample = linesOf(chunks);
  writeFileSync(join(dir, 'sample.jsonl.gz'), gzipSync(Buffer.concat(chunks)));
});

afterAll(async () => {
  await kafka.close();
});

function sh(command: string): Promise<Finished> {
  return run('sh', ['-c', command]);
}

function expectSuccess(step: string, result: Finished): void {
  expect({ step, code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({
    step,
    code: 0,
    stderr: '',
  });
}

describe('the Kafka walkthrough', () => {
  it(
    'starts Kafka, creates a topic, sends sample frames, counts them into another topic and reads ' + 'the results',
    async () => {
      // 1. Start Kafka (it may already run: that is fine too).
      const started = await sh('sh tools/kafka/bin/kafka-local start');
      expectSuccess('kafka-local start', started);
      expect(started.stderr + started.stdout).toMatch(
        /Kafka \S+ (is )?(already )?running on 127\.0\.0\.1:9092|started/i,
      );

      // 2. Create the input topic.
      const created = await sh(
        'tools/kafka/bin/kafka-topics --bootstrap-server 127.0.0.1:9092 --create --topic stream --partitions 1',
      );
      expectSuccess('kafka-topics --create', created);
      expect(created.stdout).toMatch(/Created topic stream/);

      // 3. Send the sample with Kafka's own console producer.
      const produced = await sh(
        `zcat ${join(dir, 'sample.jsonl.gz')} | tools/kafka/bin/kafka-console-producer ` +
          `--bootstrap-server 127.0.0.1:9092 --topic stream`,
      );
      expectSuccess('kafka-console-producer', produced);

      // 4. Count, Kafka to Kafka, until the input has been idle for 5 s.
      const counted = await sh(
        './apps/cli/bin/uniqstream count --from kafka://127.0.0.1:9092/stream --to ' +
          'kafka://127.0.0.1:9092/processed --from-beginning --until-idle 5',
      );
      expectSuccess('uniqstream count', counted);
      expect(hasStackTrace(counted.stderr)).toBe(false);
      expect(counted.stderr).toMatch(new RegExp(`read ${SAMPLE_FRAMES.toLocaleString('en-US')} frames`));

      // 5. Read the results with Kafka's own console consumer: key, a tab, the JSON.
      const consumed = await sh(
        'tools/kafka/bin/kafka-console-consumer --bootstrap-server 127.0.0.1:9092 --topic processed ' +
          '--from-beginning --property print.key=true --timeout-ms 10000',
      );
      expect(consumed.code).toBe(0);
      const lines = consumed.stdout.split('\n').filter((line) => line !== '');
      expect(lines.length).toBeGreaterThan(0);
      const records = lines.map((line, offset) => {
        const [key, value, ...rest] = line.split('\t');
        expect(rest).toEqual([]);
        return { partition: 0, offset, key: key!, value: Buffer.from(value!) };
      });

      // The console producer sent one record per line (it reads text: the
      // reference is computed from what the topic holds, as read back by the test).
      const held = (await kafka.read('stream')).map((r) => r.value ?? Buffer.alloc(0));
      expect(held).toHaveLength(sample.length);
      expectFinalsMatch(latestByKey(records), referenceCounts(held));
    },
  );
});
