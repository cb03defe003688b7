import { TestKafka, uniqueName } from '@uniqstream/kafka-local';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaTopicWriter } from '../../src/topic-writer.js';
import { packageClient } from './clients.js';

const kafka = new TestKafka();

afterAll(() => kafka.close());

/** Keyed records with values of varied sizes (multi-byte text too), in the order a caller writes them. */
function records(count: number): { key: string; value: string }[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `key-${i % 11}`,
    value: `${i}:${'ж'.repeat((i * 37) % 500)}`,
  }));
}

describe('KafkaTopicWriter against a real broker', () => {
  it(
    'with clients of its own: creates the topic as asked, and after flush() every record is there, ' +
      'each key in write order',
    async () => {
      const topic = uniqueName('writer-own');
      kafka.track({ topics: [topic] });
      const lines: string[] = [];
      const writer = new KafkaTopicWriter({
        brokers: [kafka.bootstrap],
        topic,
        what: 'test records',
        partitions: 3,
        topicConfig: { 'cleanup.policy': 'compact' },
        batchMessages: 9,
        batchBytes: 4 * 1024,
        log: (level, line) => lines.push(`${level} ${line}`),
      });
      await writer.ready();
      expect(lines).toContain(`info created topic ${topic} for test records (3 partitions, cleanup.policy=compact)`);
      const written = records(400);
      for (let i = 0; i < written.length; i += 31) await writer.write(written.slice(i, i + 31));
      await writer.flush();
      expect(await kafka.partitions(topic)).toBe(3);
      expect(await kafka.topicConfig(topic, 'cleanup.policy')).toBe('compact');
      const read = await kafka.read(topic);
      expect(read).toHaveLength(written.length);
      // One key lives in one partition, read in offset order: its values come as written.
      for (let k = 0; k < 11; k++) {
        const key = `key-${k}`;
        expect(read.filter((r) => r.key === key).map((r) => r.value?.toString())).toEqual(
          written.filter((r) => r.key === key).map((r) => r.value),
        );
      }
      await writer.close();
    },
  );

  it("with the caller's client: writes to the caller's topic, and close() sends what is still queued", async () => {
    const topic = await kafka.createTopic(uniqueName('writer-shared'), 1);
    const client = packageClient(kafka.bootstrap);
    try {
      const writer = new KafkaTopicWriter({
        kafka: client.kafka,
        topic,
        what: 'test records',
        unavailableTimeoutMs: 0,
      });
      await writer.ready();
      const written = records(50);
      await writer.write(written);
      await writer.close();
      await expect(writer.write(written)).rejects.toMatchObject({ code: 'CLOSED' });
      expect((await kafka.read(topic)).map((r) => r.value?.toString())).toEqual(written.map((r) => r.value));
    } finally {
      client.end();
    }
  });
});
