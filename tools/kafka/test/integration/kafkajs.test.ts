import { ConfigResourceTypes, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freshTopic, kafka, readAll, testVersion } from './helpers.js';

/** About the size of a real frame. */
const FRAME_BYTES = 2048;
const RECORDS = 2000;
const USERS = 97;
const SEND_BATCH = 250;

function frame(i: number): string {
  const head = `{"uid":"user-${i % USERS}","ts":${1468244384 + i},"i":${i},"pad":"`;
  return `${head + 'x'.repeat(FRAME_BYTES - head.length - 2)}"}`;
}

describe(`kafkajs clients on Kafka ${testVersion()}`, () => {
  let admin: Admin;
  beforeAll(async () => {
    admin = kafka().admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it(
    'creates a 4-partition topic, produces idempotently with acks=-1, and a group reads it all back ' + 'and commits',
    async () => {
      const topic = freshTopic('roundtrip');
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true })).toBe(true);
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(metadata.topics[0]?.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3]);

      const producer: Producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const sent = Array.from({ length: RECORDS }, (_, i) => ({ key: `user-${i % USERS}`, value: frame(i) }));
      for (let i = 0; i < sent.length; i += SEND_BATCH) {
        await producer.send({ topic, acks: -1, messages: sent.slice(i, i + SEND_BATCH) });
      }
      await producer.disconnect();

      const groupId = freshTopic('group');
      const consumer = kafka().consumer({ groupId });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const got: Array<{ partition: number; offset: number; key: string; value: string }> = [];
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachBatchAutoResolve: false,
            autoCommit: false,
            eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
              for (const m of batch.messages) {
                got.push({
                  partition: batch.partition,
                  offset: Number(m.offset),
                  key: String(m.key),
                  value: String(m.value),
                });
                resolveOffset(m.offset);
              }
              // Commit the way the pipeline does: explicitly, once a batch is handled.
              const next = String(Number(batch.lastOffset()) + 1);
              await consumer.commitOffsets([{ topic, partition: batch.partition, offset: next }]);
              await heartbeat();
              if (got.length >= RECORDS) resolve();
            },
          })
          .catch(reject);
      });
      await consumer.disconnect();

      // Every record exactly once.
      expect(got.map((r) => r.value).sort()).toEqual(sent.map((r) => r.value).sort());
      // One key, one partition, in the order it was sent.
      const byKey = new Map<string, typeof got>();
      for (const r of got) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
      expect(new Set(got.map((r) => r.partition)).size).toBeGreaterThan(1);
      for (const [key, records] of byKey) {
        expect(new Set(records.map((r) => r.partition)).size, key).toBe(1);
        const sentOrder = sent.filter((r) => r.key === key).map((r) => r.value);
        expect(
          [...records].sort((a, b) => a.offset - b.offset).map((r) => r.value),
          key,
        ).toEqual(sentOrder);
      }
      // The group's committed positions are the partitions' ends.
      const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      for (const p of committed[0]?.partitions ?? [])
        expect(p.offset, `partition ${p.partition}`).toBe(ends.get(p.partition));
      expect([...ends.values()].reduce((sum, high) => sum + Number(high), 0)).toBe(RECORDS);
    },
  );

  it('keeps a compacted topic: keys required, the cleaner keeps the last value per key', async () => {
    const topic = freshTopic('compacted');
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            // Roll segments fast: the cleaner never touches the active one.
            { name: 'segment.ms', value: '100' },
            { name: 'min.cleanable.dirty.ratio', value: '0.01' },
            { name: 'delete.retention.ms', value: '100' },
          ],
        },
      ],
      waitForLeaders: true,
    });
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }],
    });
    expect(described.resources[0]?.configEntries[0]?.configValue).toBe('compact');

    // Not idempotent: an idempotent producer refuses to run without retries.
    const keyless = kafka().producer({ retry: { retries: 0 } });
    await keyless.connect();
    await expect(keyless.send({ topic, acks: -1, messages: [{ value: 'no key' }] })).rejects.toThrow();
    await keyless.disconnect();

    const producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();

    const writes: Array<{ key: string; value: string }> = [];
    for (let round = 0; round < 5; round++) {
      for (let k = 0; k < 10; k++) writes.push({ key: `k${k}`, value: `k${k}-v${round}` });
    }
    await producer.send({ topic, acks: -1, messages: writes });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Arrives after segment.ms, so it rolls the segment and leaves the writes cleanable.
    await producer.send({ topic, acks: -1, messages: [{ key: 'roll', value: 'roll' }] });
    await producer.disconnect();

    const latest = new Map<string, string>();
    for (const w of [...writes, { key: 'roll', value: 'roll' }]) latest.set(w.key, w.value);
    let last: Awaited<ReturnType<typeof readAll>> = [];
    // The cleaner wakes every 15 s (log.cleaner.backoff.ms) on an idle broker.
    const compacted = await eventually(
      async () => {
        last = await readAll(topic);
        return last.length === latest.size;
      },
      120_000,
      3000,
    );
    expect(compacted, `still ${last.length} records`).toBe(true);
    expect(new Map(last.map((r) => [r.key ?? '', r.value ?? '']))).toEqual(latest);
  });

  it('runs transactions: committed writes and offsets are visible, aborted ones are not', async () => {
    const topic = freshTopic('txn');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const producer = kafka().producer({
      transactionalId: freshTopic('txid'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const groupId = freshTopic('txgroup');

    const committed = await producer.transaction();
    await committed.send({
      topic,
      messages: [
        { key: 'a', value: 'kept-1' },
        { key: 'b', value: 'kept-2' },
      ],
    });
    await committed.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic, partitions: [{ partition: 0, offset: '7' }] }],
    });
    await committed.commit();

    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ key: 'a', value: 'dropped' }] });
    await aborted.abort();
    await producer.disconnect();

    const readCommitted = await readAll(topic);
    expect(readCommitted.map((r) => r.value).sort()).toEqual(['kept-1', 'kept-2']);
    const readUncommitted = await readAll(topic, { readUncommitted: true });
    expect(readUncommitted.map((r) => r.value).sort()).toEqual(['dropped', 'kept-1', 'kept-2']);
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(offsets[0]?.partitions.find((p) => p.partition === 0)?.offset).toBe('7');
  });
});
