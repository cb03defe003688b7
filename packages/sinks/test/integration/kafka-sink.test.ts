import { isUtf8 } from 'node:buffer';
import type { DeadLetter, WindowResult } from '@uniqstream/core';
import { TestKafka, uniqueName } from '@uniqstream/kafka-local';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaDeadLetterSink, createKafkaResultSink } from '../../src/kafka-sink.js';

const quiet = (): void => undefined;
const kafka = new TestKafka();

afterAll(() => kafka.close());

/** Every record of the topic, by partition and offset, its value as text. */
async function readText(topic: string): Promise<{ key: string | null; value: string | null }[]> {
  return (await kafka.read(topic)).map((r) => ({ key: r.key, value: r.value?.toString() ?? null }));
}

const GRANULARITY_SECONDS = { minute: 60, hour: 3600 } as const;

/** Results as the engine emits them: per window, revisions 0, 1, 2... in order, windows interleaved. */
function results(count: number): WindowResult[] {
  const out: WindowResult[] = [];
  const revisions = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const window = i % 5 === 0 ? 'hour' : 'minute';
    const size = GRANULARITY_SECONDS[window];
    const start = 1468242000 + size * ((i * 7) % 13);
    const key = `${window}:${start}`;
    const revision = revisions.get(key) ?? 0;
    revisions.set(key, revision + 1);
    out.push({
      window,
      start,
      end: start + size,
      users: 100 + i,
      frames: 1000 + 3 * i,
      revision,
      final: i % 3 === 0,
      method: i % 4 === 0 ? 'hll' : 'exact',
      ...(i % 4 === 0 ? { error: 0.0081 } : {}),
    });
  }
  return out;
}

describe('Kafka result sink against a real broker', () => {
  it(
    'creates a compacted topic and writes one record per result: key window:start, value the JSON ' +
      'line, revisions in order',
    async () => {
      const topic = uniqueName('results');
      kafka.track({ topics: [topic] });
      const sink = createKafkaResultSink(
        { brokers: [kafka.bootstrap], topic },
        { partitions: 3, batchMessages: 7, log: quiet },
      );
      await sink.ready();
      const written = results(200);
      // In pieces, as the pipeline writes after each batch; several sends per piece.
      for (let i = 0; i < written.length; i += 23) await sink.write(written.slice(i, i + 23));
      await sink.flush();
      // flush() waited for every ack: all of it is readable now.
      expect([...(await kafka.endOffsets(topic)).values()].reduce((sum, end) => sum + end, 0)).toBe(written.length);
      expect(await kafka.partitions(topic)).toBe(3);
      expect(await kafka.topicConfig(topic, 'cleanup.policy')).toBe('compact');

      const records = await readText(topic);
      expect(records).toHaveLength(written.length);
      const byKey = new Map<string, WindowResult[]>();
      for (const record of records) {
        expect(record.value).not.toContain('\n');
        const value = JSON.parse(record.value!) as WindowResult;
        expect(record.key).toBe(`${value.window}:${value.start}`);
        // The same text as stdout: JSON.stringify of the result, keys in the documented order.
        const { window, start, end, users, frames, revision, final, method, error } = value;
        expect(record.value).toBe(
          JSON.stringify({
            window,
            start,
            end,
            users,
            frames,
            revision,
            final,
            method,
            ...(error === undefined ? {} : { error }),
          }),
        );
        byKey.set(record.key!, [...(byKey.get(record.key!) ?? []), value]);
      }
      // One key lives in one partition, so read in offset order its revisions must come as written.
      for (const [key, values] of byKey) {
        expect(values).toEqual(written.filter((r) => `${r.window}:${r.start}` === key));
      }
      await sink.close();
    },
  );

  it('writes into an existing topic as it is, and close() sends what is still queued', async () => {
    const topic = uniqueName('existing');
    await kafka.createTopic(topic, 2);
    const sink = createKafkaResultSink({ brokers: [kafka.bootstrap], topic }, { partitions: 5, log: quiet });
    const written = results(30);
    await sink.write(written);
    await sink.close();
    expect(await kafka.partitions(topic)).toBe(2);
    expect(await kafka.topicConfig(topic, 'cleanup.policy')).toBe('delete');
    const values = (await readText(topic)).map((r) => JSON.parse(r.value!) as WindowResult);
    expect(values.sort((a, b) => a.users - b.users)).toEqual(written.map((r) => ({ ...r })));
  });
});

describe('Kafka dead-letter sink against a real broker', () => {
  it(
    'writes every letter keyed origin:partition:position, large frames and invalid UTF-8 included, ' +
      'in batches under the broker limit',
    async () => {
      const topic = uniqueName('dead');
      kafka.track({ topics: [topic] });
      const sink = createKafkaDeadLetterSink(
        { brokers: [kafka.bootstrap], topic },
        { log: quiet, maxFrameBytes: 8 * 1024 },
      );
      // 600 letters of ~8 KB of CJK text (3 bytes a character): about 5 MB, far over one 1 MB record batch.
      const letters: DeadLetter[] = Array.from({ length: 600 }, (_, i) => ({
        reason: i % 2 === 0 ? 'malformed' : 'late',
        detail: i % 2 === 0 ? 'truncated' : 'window closed',
        origin: 'stream',
        partition: i % 4,
        position: 1000 + i,
        ...(i % 2 === 1 ? { ts: 1468244340 + i } : {}),
        frame:
          i % 10 === 3
            ? Uint8Array.from([0x7b, 0xff, 0xfe, i & 0xff])
            : Buffer.from(`{"uid":"${i}","text":"${'語'.repeat(4000)}"}`),
      }));
      for (let i = 0; i < letters.length; i += 300) await sink.write(letters.slice(i, i + 300));
      await sink.flush();
      const records = await readText(topic);
      expect(records).toHaveLength(letters.length);
      const byKey = new Map(records.map((r) => [r.key, r.value]));
      for (const letter of letters) {
        const value = byKey.get(`stream:${letter.partition}:${letter.position}`);
        expect(value).toBeDefined();
        const parsed = JSON.parse(value!) as {
          reason: string;
          detail: string;
          position: number;
          ts?: number;
          frame?: string;
          frameBase64?: string;
          frameTruncated?: boolean;
        };
        expect(parsed).toMatchObject({ reason: letter.reason, detail: letter.detail, position: letter.position });
        expect(parsed.ts).toBe(letter.ts);
        const bytes = Buffer.from(letter.frame);
        if (isUtf8(bytes)) {
          // Cut at 8 KiB on a character boundary.
          expect(parsed.frameTruncated).toBe(true);
          expect(bytes.toString().startsWith(parsed.frame!)).toBe(true);
          expect(Buffer.byteLength(parsed.frame!)).toBeGreaterThan(8 * 1024 - 4);
        } else {
          expect(Buffer.from(parsed.frameBase64!, 'base64')).toEqual(bytes);
        }
      }
      await sink.close();
    },
  );
});
