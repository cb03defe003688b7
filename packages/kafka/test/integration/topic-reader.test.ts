import { TestKafka, uniqueName, type ReadRecord } from '@uniqstream/kafka-local';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readToEnd } from '../../src/topic-reader.js';
import { packageClient } from './clients.js';

let kafka: TestKafka;
let client: ReturnType<typeof packageClient>;
let admin: Admin;

beforeAll(async () => {
  kafka = new TestKafka();
  client = packageClient(kafka.bootstrap);
  admin = client.kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin.disconnect();
  client.end();
  await kafka.close();
});

type Got = Omit<ReadRecord, 'value'> & { readonly value: string | null };

describe('readToEnd', () => {
  it(
    'reads the partitions asked for, each in offset order, up to the end they had at the start, then ' +
      'deletes its group',
    async () => {
      const topic = await kafka.createTopic(uniqueName('reader'), 3);
      await kafka.produce(
        topic,
        Array.from({ length: 300 }, (_, i) => ({
          partition: i % 3,
          key: `k${i % 17}`,
          value: i % 29 === 5 ? null : `value ${i}`,
        })),
      );
      const groupId = uniqueName('reader-group');
      const got: Got[] = [];
      let producedMore: Promise<void> | undefined;
      const count = await readToEnd({
        kafka: client.kafka,
        admin,
        topic,
        partitions: [0, 2],
        groupId,
        timeoutMs: 60_000,
        onRecord: (partition, offset, key, value) => {
          // Records written after the start are past the end it reads to.
          producedMore ??= kafka.produce(
            topic,
            [0, 1, 2].map((p) => ({ partition: p, value: 'later' })),
          );
          got.push({ partition, offset, key, value: value?.toString() ?? null });
        },
      });
      await producedMore;
      // The reference: the tests' own reader, over what was there before the extra records.
      const expected = (await kafka.read(topic))
        .filter((r) => r.partition !== 1 && r.value?.toString() !== 'later')
        .map((r) => ({ partition: r.partition, offset: r.offset, key: r.key, value: r.value?.toString() ?? null }));
      expect(count).toBe(expected.length);
      const byPartition = (records: readonly Got[], p: number): Got[] => records.filter((r) => r.partition === p);
      for (const p of [0, 2]) expect(byPartition(got, p)).toEqual(byPartition(expected, p));
      expect(got.some((r) => r.value === null)).toBe(true);
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
      expect(groups).not.toContain(groupId);
    },
  );

  it('returns 0 at once for partitions without records', async () => {
    const topic = await kafka.createTopic(uniqueName('reader-empty'), 2);
    await kafka.produce(topic, [{ partition: 1, value: 'x' }]);
    const count = await readToEnd({
      kafka: client.kafka,
      admin,
      topic,
      partitions: [0],
      groupId: uniqueName('reader-group'),
      timeoutMs: 60_000,
      onRecord: () => undefined,
    });
    expect(count).toBe(0);
  });
});
