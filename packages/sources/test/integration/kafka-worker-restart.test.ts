import { ensureBroker, restartBroker, SuiteBroker, uniqueName } from '@uniqstream/kafka-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countThrough, finalCounts, latestByWindow, referenceCounts, testFrame } from './count-helpers.js';

/**
 * A broker of this suite's own: restarting the shared one on 9092 would
 * break other packages' suites running meanwhile (tools/kafka/README.md).
 * 19092 and 19192 belong to kafka-local's and the CLI's suites.
 */
const PORT = Number(process.env.UNIQSTREAM_SOURCES_RESTART_PORT ?? 19292);
const PARTITIONS = 4;
const HALF = 6_000;
const PER_SECOND = 20;
const broker = new SuiteBroker(PORT);

beforeAll(() => broker.start());
afterAll(() => broker.stop());

async function until(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Kafka source across a broker restart', () => {
  it('reads on after the broker restarts mid-run and still counts every window exactly, each record once', async () => {
    const { kafka } = broker;
    const frames = Array.from({ length: 2 * HALF }, (_, i) => testFrame(i, PER_SECOND));
    const records = frames.map((value, i) => ({ partition: i % PARTITIONS, value }));
    const input = await kafka.createTopic(uniqueName('restart-in'), PARTITIONS);
    const output = await kafka.createTopic(uniqueName('restart-out'), 1);
    await kafka.produce(input, records.slice(0, HALF));

    const run = await countThrough(kafka.bootstrap, input, output, 2 * HALF, {}, async (source) => {
      // The first half is read (and the reader waits for more) when the broker goes away and comes back.
      await until(() => source.seen >= HALF, 'the first half to be read', 120_000);
      const before = (await ensureBroker({ port: PORT, log: () => undefined })).pid;
      const after = (await restartBroker({ port: PORT, log: () => undefined })).pid;
      expect(after).not.toBe(before);
      await kafka.produce(input, records.slice(HALF));
    });

    expect(run.extra).toBe(0);
    expect(finalCounts(latestByWindow(await kafka.read(output)))).toEqual(referenceCounts(frames));
    expect(await kafka.committed(run.group, input)).toEqual(await kafka.endOffsets(input));
    // The reader thread saw the broker go away (kafkajs's own lines, passed on to the source's log; kafkajs
    // usually rides a quick restart out with retries, so "lost Kafka ... reconnecting" is not always said) ...
    expect(
      run.lines.some((l) => /^error connection: Connection error: connect ECONNREFUSED 127\.0\.0\.1:\d+$/.test(l)),
    ).toBe(true);
    // ... and every line is one line, never a stack trace.
    expect(run.lines.filter((l) => l.includes('\n'))).toEqual([]);
  });
});
