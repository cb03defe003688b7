import { describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_SETTINGS, KafkaOutput } from '../src/kafka.js';
import { memoryIo } from './support/memory-io.js';

describe('KafkaOutput with no broker', () => {
  it('retries with backoff, one line each, then gives up with KAFKA_UNREACHABLE', async () => {
    const mem = memoryIo();
    const log: string[] = [];
    // Port 1 on localhost: nothing listens, so connecting is refused at once.
    const opening = KafkaOutput.open(['127.0.0.1:1'], 'frames', { ...DEFAULT_KAFKA_SETTINGS, waitSeconds: 3 }, mem.io, (line) => log.push(line));
    await expect(opening).rejects.toMatchObject({ code: 'KAFKA_UNREACHABLE' });
    const error = (await opening.catch((e: unknown) => e)) as Error;
    expect(error.message).not.toContain('\n');
    expect(error.message).toContain('127.0.0.1:1');
    expect(log.length).toBeGreaterThanOrEqual(2);
    for (const line of log) expect(line).toMatch(/^Kafka at 127\.0\.0\.1:1 is not reachable \(.*\); retrying in \d+\.\d s$/);
    // Backoff doubles: 0.5 s, 1 s, then what is left of the 3 s.
    expect(log[0]).toContain('retrying in 0.5 s');
    expect(log[1]).toContain('retrying in 1.0 s');
  });
});

describe('uniqstream-sim --to kafka:// with no broker', () => {
  it('prints one line and exits 1', async () => {
    const { sim } = await import('./support/bin.js');
    const result = sim(['--frames', '10', '--to', 'kafka://127.0.0.1:1/frames', '--kafka-wait', '1']);
    expect(result.status).toBe(1);
    const last = result.stderr.trimEnd().split('\n').at(-1)!;
    expect(last).toMatch(/^uniqstream-sim: cannot reach Kafka at 127\.0\.0\.1:1: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
