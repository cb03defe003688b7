import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { closedPort, TestKafka, uniqueName } from '@uniqstream/kafka-local';
import { afterAll, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/errors.js';
import { openKafkaSource } from '../../src/kafka-source.js';
import { MIN_BUDGET_BYTES } from '../../src/kafka-buffers.js';
import { countThrough, finalCounts, latestByWindow, referenceCounts, SMALL_FETCH, testFrame } from './count-helpers.js';

/*
 * The Kafka source end to end: Kafka -> source -> core's pipeline -> Kafka,
 * with small fetches and the smallest buffer between the threads, so that
 * buffers are recycled and the reader waits for the pipeline again and
 * again.
 */

const FRAMES = 12_000;
const PER_SECOND = 20;
const kafka = new TestKafka();

afterAll(() => kafka.close());

describe.each([1, 4])('Kafka -> source -> count -> Kafka, %i partition(s)', (partitions) => {
  it(
    'counts every window exactly as the reference, ' + 'each record once, and commits the end of every partition',
    async () => {
      const frames = Array.from({ length: FRAMES }, (_, i) => testFrame(i, PER_SECOND));
      const input = await kafka.createTopic(uniqueName('w-in'), partitions);
      const output = await kafka.createTopic(uniqueName('w-out'), 1);
      await kafka.produce(
        input,
        frames.map((value, i) => ({ partition: i % partitions, value })),
      );

      const run = await countThrough(kafka.bootstrap, input, output, FRAMES, {});

      expect(run.extra).toBe(0);
      const reference = referenceCounts(frames);
      expect(reference.size).toBeGreaterThan(5);
      expect(finalCounts(latestByWindow(await kafka.read(output)))).toEqual(reference);
      expect(await kafka.committed(run.group, input)).toEqual(await kafka.endOffsets(input));
      expect(run.lines.filter((l) => l.startsWith('error') || l.startsWith('warn'))).toEqual([]);
    },
  );
});

describe('Kafka source failures and shutdown', () => {
  it('fails with one KAFKA_UNAVAILABLE line from the reader thread when no broker answers', async () => {
    const port = await closedPort();
    const lines: string[] = [];
    const source = openKafkaSource({
      brokers: [`127.0.0.1:${port}`],
      topic: 't',
      group: 'g',
      fromBeginning: true,
      connectTimeoutMs: 800,
      log: (l, m) => lines.push(`${l} ${m}`),
    });
    const failure = await source
      .batches()
      [Symbol.asyncIterator]()
      .next()
      .catch((e: unknown) => e);
    await source.close();
    expect(failure).toBeInstanceOf(SourceError);
    expect(failure).toMatchObject({
      code: 'KAFKA_UNAVAILABLE',
      message: expect.stringMatching(
        new RegExp(`^cannot reach Kafka at 127\\.0\\.0\\.1:${port}: [^\\n]*ECONNREFUSED[^\\n]*$`),
      ),
    });
    expect(lines.filter((l) => l.startsWith('warn waiting for Kafka'))).toHaveLength(1);
  });

  it('ends quietly when the signal aborts while the reader thread waits for a broker', async () => {
    const port = await closedPort();
    const source = openKafkaSource({
      brokers: [`127.0.0.1:${port}`],
      topic: 't',
      group: 'g',
      fromBeginning: true,
      connectTimeoutMs: 60_000,
      log: () => undefined,
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const seen: unknown[] = [];
    for await (const batch of source.batches(controller.signal)) seen.push(batch);
    const closing = performance.now();
    await source.close();
    expect(seen).toEqual([]);
    expect(performance.now() - closing).toBeLessThan(10_000);
  });

  it('lets the process exit by itself after close(), also when the reader was held back by a full buffer', async () => {
    const topic = await kafka.createTopic(uniqueName('w-exit'), 2);
    await kafka.produce(
      topic,
      Array.from({ length: 3000 }, (_, i) => ({ partition: i % 2, value: Buffer.from(`${i} ${'x'.repeat(400)}`) })),
    );
    const entry = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
    // One batch, then the reader is left waiting for room (64 KiB, fetches of 16 KiB) when the caller stops.
    const program = `
      const { openKafkaSource } = await import(${JSON.stringify(entry)});
      const source = openKafkaSource({ brokers: [${JSON.stringify(kafka.bootstrap)}], topic: ${JSON.stringify(topic)},
        group: 'exit-' + Date.now(), fromBeginning: true,
        maxBytesPerPartition: ${SMALL_FETCH}, workerBufferBytes: ${MIN_BUDGET_BYTES}, log: () => {} });
      let frames = 0;
      for await (const batch of source.batches()) { frames += batch.frames.length; if (frames > 0) break; }
      await new Promise((r) => setTimeout(r, 1000));
      await source.close();
      process.stdout.write('closed after ' + frames + ' frames\\n');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', program], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exitCode = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 60_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^closed after \d+ frames\n$/);
    expect(exitCode).toBe(0);
  });
});
