import { generateChunks } from '@uniqstream/generator';
import { closedPort, roundRobin, TestKafka, uniqueName } from '@uniqstream/kafka-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, hasStackTrace, run, start, type Finished, type Running } from './cli-process.js';
import { expectFinalsMatch, latestByKey, linesOf, referenceCounts } from './reference.js';

const T0 = 1468244340;
let kafka: TestKafka;
let frames: Buffer[];
/** Started first, checked last: it spends its time waiting for a broker that is not there. */
let unreachable: { port: number; running: Running };

beforeAll(async () => {
  kafka = new TestKafka();
  const port = await closedPort();
  unreachable = {
    port,
    running: start(BIN, ['count', '--from', `kafka://127.0.0.1:${port}/stream`, '--until-idle', '1']),
  };
  // Out of order within the maximum delay, with damaged frames and string timestamps,
  // over several minutes. ~1 KB frames at 200 a second: the first fetch of one partition
  // (1 MiB) spans ~20 s of event time, less than the distance to the first window's end,
  // so no window closes before every partition has been heard from.
  frames = linesOf(
    generateChunks({
      seed: 11,
      users: 4000,
      rate: 200,
      start: T0 + 17,
      frames: 30_000,
      frameBytes: 1000,
      lateFraction: 0.3,
      maxDelay: 5,
      malformedFraction: 0.01,
      tsStringFraction: 0.05,
    }),
  );
});

afterAll(async () => {
  unreachable.running.child.kill();
  await kafka.close();
});

async function countKafkaToKafka(
  partitions: number,
  extra: readonly string[] = [],
): Promise<{ result: Finished; input: string; output: string; group: string }> {
  const input = uniqueName(`cli-in-${partitions}p`);
  const output = uniqueName('cli-out');
  const group = uniqueName('cli-group');
  await kafka.createTopic(input, partitions);
  kafka.track({ topics: [output] });
  await kafka.produce(input, roundRobin(frames, partitions));
  const result = await run(BIN, [
    'count',
    '--from',
    `kafka://${kafka.bootstrap}/${input}`,
    '--to',
    `kafka://${kafka.bootstrap}/${output}`,
    '--group',
    group,
    '--from-beginning',
    '--until-idle',
    '3',
    ...extra,
  ]);
  return { result, input, output, group };
}

describe('uniqstream count, Kafka to Kafka', () => {
  for (const partitions of [1, 4]) {
    it(
      `counts a ${partitions}-partition topic exactly: the latest result of every window matches a ` +
        `JSON.parse + Set reference`,
      async () => {
        const { result, input, output, group } = await countKafkaToKafka(partitions);
        expect(result.stderr).not.toMatch(/error/i);
        expect(result.code).toBe(0);
        expect(result.stderr).toMatch(/read 30,000 frames/);
        expect(result.stderr).toMatch(/stopped: idle/);
        expectFinalsMatch(latestByKey(await kafka.read(output)), referenceCounts(frames));
        // Everything read was committed at the end: a rerun of the group reads nothing again.
        expect(await kafka.committed(group, input)).toEqual(await kafka.endOffsets(input));
      },
    );
  }

  it('sends dropped frames to a dead-letter topic, keyed by where they were', async () => {
    const letters = uniqueName('cli-dead');
    kafka.track({ topics: [letters] });
    const { result, input } = await countKafkaToKafka(1, ['--dead-letter', `kafka://${kafka.bootstrap}/${letters}`]);
    expect(result.code).toBe(0);
    const malformed = Number(/malformed ([\d,]+)/.exec(result.stderr)![1]!.replace(/,/g, ''));
    expect(malformed).toBeGreaterThan(0);
    const records = await kafka.read(letters);
    expect(records).toHaveLength(malformed);
    for (const record of records) {
      const letter = JSON.parse(record.value!.toString()) as {
        reason: string;
        origin: string;
        partition: number;
        position: number;
      };
      expect(letter.reason).toBe('malformed');
      expect(letter.origin).toBe(input);
      expect(record.key).toBe(`${input}:${letter.partition}:${letter.position}`);
      // The position is the frame's offset: the dead letter points at the very record.
      expect(referenceCounts([frames[letter.position]!]).size).toBe(0);
    }
  });

  it('says in one line, without a stack trace, that a topic does not exist', async () => {
    const result = await run(BIN, [
      'count',
      '--from',
      `kafka://${kafka.bootstrap}/${uniqueName('nope')}`,
      '--until-idle',
      '1',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^uniqstream: error: topic nope-\S+ does not exist on Kafka at /);
  });

  it('gives up on an unreachable broker after its connect timeout, in one line, without a stack trace', async () => {
    const result = await unreachable.running.done;
    expect(result.code).toBe(1);
    expect(hasStackTrace(result.stderr)).toBe(false);
    const lines = result.stderr.trim().split('\n');
    expect(lines[lines.length - 1]).toMatch(
      new RegExp(`^uniqstream: error: cannot reach Kafka at 127\\.0\\.0\\.1:${unreachable.port}: .*ECONNREFUSED`),
    );
    // One line saying it waits, one saying it gave up.
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^uniqstream: kafka: waiting for Kafka at /);
  });
});
