import { closedPort } from '@uniqstream/kafka-local';
import { describe, expect, it } from 'vitest';
import { processIo } from '../src/io.js';
import { DEFAULT_KAFKA_SETTINGS, KafkaOutput } from '../src/kafka.js';
import { sim } from './support/bin.js';

describe('KafkaOutput with no broker', () => {
  it('says once that it waits, then gives up with KAFKA_UNREACHABLE in one line that says what to do', async () => {
    const port = await closedPort();
    const log: string[] = [];
    const opening = KafkaOutput.open(
      [`127.0.0.1:${port}`],
      'frames',
      { ...DEFAULT_KAFKA_SETTINGS, waitSeconds: 1 },
      processIo(),
      (line) => log.push(line),
    );
    const error = (await opening.catch((e: unknown) => e)) as Error & { code?: string };
    expect(error.code).toBe('KAFKA_UNREACHABLE');
    expect(error.message).not.toContain('\n');
    expect(error.message).toMatch(
      new RegExp(
        `^cannot reach Kafka at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.* \\(gave up after 1 s, see ` +
          `--kafka-wait; is the broker running\\? try: sh tools/kafka/bin/kafka-local start\\)$`,
      ),
    );
    expect(log).toEqual([
      expect.stringMatching(new RegExp(`^waiting for Kafka at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`)) as string,
    ]);
  });
});

describe('uniqstream-sim --to kafka:// with no broker', () => {
  it('prints one line and exits 1', async () => {
    const port = await closedPort();
    const result = sim(['--frames', '10', '--to', `kafka://127.0.0.1:${port}/frames`, '--kafka-wait', '1']);
    expect(result.status).toBe(1);
    const last = result.stderr.trimEnd().split('\n').at(-1)!;
    expect(last).toMatch(new RegExp(`^uniqstream-sim: cannot reach Kafka at 127\\.0\\.0\\.1:${port}: `));
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('with -q, prints only the error line', async () => {
    const port = await closedPort();
    const result = sim(['--frames', '10', '--to', `kafka://127.0.0.1:${port}/frames`, '--kafka-wait', '0.5', '-q']);
    expect(result.status).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^uniqstream-sim: cannot reach Kafka at /) as string,
    ]);
  });
});
