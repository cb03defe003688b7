import type { FrameBatch } from '@uniqstream/core';
import { TestKafka, uniqueName } from '@uniqstream/kafka-local';
import { CompressionTypes } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { openKafkaSource, type KafkaSource, type KafkaSourceOptions } from '../../src/kafka-source.js';
import { SourceError } from '../../src/errors.js';

const quiet = (): void => undefined;
const kafka = new TestKafka();

afterAll(() => kafka.close());

function source(topic: string, options: Partial<KafkaSourceOptions> = {}): KafkaSource {
  return openKafkaSource({
    brokers: [kafka.bootstrap],
    topic,
    group: uniqueName('g'),
    fromBeginning: true,
    log: quiet,
    ...options,
  });
}

/** Deterministic record values: text, binary with invalid UTF-8, and now and then a null (a tombstone). */
function recordValue(i: number): Buffer | null {
  if (i % 97 === 13) return null;
  if (i % 31 === 7) return Buffer.from([0xff, 0xfe, i & 0xff, 0x0a, 0x00, 0x22]);
  return Buffer.from(
    `{"uid":"${(i * 7919).toString(16).padStart(19, '0')}","ts":${1468244340 + (i >> 4)},"n":"${'x'.repeat(i % 300)}"}`,
  );
}

interface Read {
  readonly partition: number;
  readonly offset: number;
  readonly bytes: Buffer;
}

/** Iterates until `count` frames came and then `ticks` empty batches in a row, checking every batch's shape. */
async function readAll(
  src: KafkaSource,
  topic: string,
  count: number,
  ticks = 2,
): Promise<{ reads: Read[]; tickGaps: number[]; last: Map<number, number> }> {
  const reads: Read[] = [];
  const tickGaps: number[] = [];
  const last = new Map<number, number>();
  let idle = 0;
  let lastTickAt: number | undefined;
  for await (const batch of src.batches() as AsyncIterable<FrameBatch>) {
    if (batch.frames.length === 0) {
      const at = performance.now();
      if (lastTickAt !== undefined) tickGaps.push(at - lastTickAt);
      lastTickAt = at;
      if (reads.length >= count && ++idle >= ticks) break;
      continue;
    }
    idle = 0;
    lastTickAt = undefined;
    expect(batch.origin).toBe(topic);
    expect(batch.frames.length).toBe(batch.positions.length);
    for (let i = 0; i < batch.frames.length; i++) {
      if (i > 0) expect(batch.positions[i]!).toBeGreaterThan(batch.positions[i - 1]!);
      reads.push({ partition: batch.partition, offset: batch.positions[i]!, bytes: Buffer.from(batch.frames[i]!) });
    }
    expect(batch.next).toBe(batch.positions[batch.positions.length - 1]! + 1);
    last.set(batch.partition, batch.next);
  }
  return { reads, tickGaps, last };
}

describe('Kafka source against a real broker', () => {
  it(
    'hands on every record of a 4-partition topic once, as the bytes produced, with its offset; ' + 'then idle ticks',
    async () => {
      const topic = await kafka.createTopic(uniqueName('src-all'), 4);
      const total = 6000;
      const records = Array.from({ length: total }, (_, i) => ({
        partition: ((i * 2654435761) % 4) >>> 0,
        value: recordValue(i),
      }));
      await kafka.produce(topic, records);
      // Small fetches: many batches per partition, interleaved.
      const group = uniqueName('g');
      const src = source(topic, { group, maxBytesPerPartition: 16 * 1024 });
      const { reads, tickGaps, last } = await readAll(src, topic, total);

      const expected = new Map<number, Read[]>();
      for (const r of records) {
        const list = expected.get(r.partition) ?? [];
        list.push({ partition: r.partition, offset: list.length, bytes: r.value ?? Buffer.alloc(0) });
        expected.set(r.partition, list);
      }
      expect(reads).toHaveLength(total);
      for (const [partition, list] of expected) {
        expect(reads.filter((r) => r.partition === partition)).toEqual(list);
      }
      // About one empty batch per IDLE_TICK_MS (500 ms) once the topic is drained.
      for (const gap of tickGaps) expect(gap).toBeGreaterThanOrEqual(450);
      expect(src.assigned()).toEqual([0, 1, 2, 3]);
      expect([...(await src.lag())].sort()).toEqual([
        [0, 0],
        [1, 0],
        [2, 0],
        [3, 0],
      ]);

      await src.commit(last);
      expect(await kafka.committed(group, topic)).toEqual(last);
      await src.close();
    },
  );

  it('resumes at the committed offsets; a group without any starts at the latest unless fromBeginning', async () => {
    const topic = await kafka.createTopic(uniqueName('src-resume'), 1);
    const values = Array.from({ length: 130 }, (_, i) => ({ partition: 0, value: Buffer.from(`frame ${i}`) }));
    await kafka.produce(topic, values.slice(0, 100));
    const group = uniqueName('g');

    const first = source(topic, { group });
    const all = await readAll(first, topic, 100, 1);
    expect(all.reads.map((r) => r.offset)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    await first.commit(new Map([[0, 60]]));
    await first.close();

    await kafka.produce(topic, values.slice(100, 120));
    const again = source(topic, { group });
    const resumed = await readAll(again, topic, 60, 1);
    await again.close();
    expect(resumed.reads.map((r) => r.offset)).toEqual(Array.from({ length: 60 }, (_, i) => 60 + i));
    expect(resumed.reads.map((r) => r.bytes.toString())).toEqual(values.slice(60, 120).map((v) => v.value.toString()));

    // A new group, latest: only what is produced once it is reading.
    const latest = source(topic, { fromBeginning: false });
    const offsets: number[] = [];
    let produced = false;
    let ticksAfter = 0;
    for await (const batch of latest.batches()) {
      if (batch.frames.length === 0) {
        if (!produced) {
          produced = true;
          await kafka.produce(topic, values.slice(120, 125));
        } else if (offsets.length >= 5 && ++ticksAfter >= 1) break;
        continue;
      }
      offsets.push(...Array.from(batch.positions));
    }
    await latest.close();
    expect(offsets).toEqual([120, 121, 122, 123, 124]);
  });

  it(
    'starts over at the earliest offset when the committed one was deleted (retention), and reads ' + 'on from there',
    async () => {
      const topic = await kafka.createTopic(uniqueName('src-deleted'), 1);
      await kafka.produce(
        topic,
        Array.from({ length: 100 }, (_, i) => ({ partition: 0, value: Buffer.from(`frame ${i}`) })),
      );
      const group = uniqueName('g');
      const first = source(topic, { group });
      await readAll(first, topic, 100, 1);
      await first.commit(new Map([[0, 10]]));
      await first.close();
      // What retention does: records below 50 are gone, the group's offset 10 with them.
      const admin = kafka.kafka.admin();
      await admin.connect();
      try {
        // kafkajs's deleteTopicRecords finds leaders in metadata it does not load itself.
        await admin.fetchTopicMetadata({ topics: [topic] });
        await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '50' }] });
      } finally {
        await admin.disconnect();
      }
      const again = source(topic, { group });
      const { reads } = await readAll(again, topic, 50, 1);
      await again.close();
      expect(reads.map((r) => r.offset)).toEqual(Array.from({ length: 50 }, (_, i) => 50 + i));
      expect(reads.map((r) => r.bytes.toString())).toEqual(Array.from({ length: 50 }, (_, i) => `frame ${50 + i}`));
    },
  );

  it('starts over at the earliest offset when retention deletes what it was about to read, mid-run', async () => {
    const topic = await kafka.createTopic(uniqueName('src-range'), 1);
    const total = 200;
    const deletedBelow = 150;
    const valueAt = (i: number): Buffer => Buffer.from(`${i} `.padEnd(2000, 'x'));
    // A produce call per 5 records: record batches of ~10 KB, so that a 16 KiB fetch takes one or two.
    for (let i = 0; i < total; i += 5)
      await kafka.produce(
        topic,
        Array.from({ length: 5 }, (_, j) => ({ partition: 0, value: valueAt(i + j) })),
      );
    // Small fetches and the smallest buffer between the threads: the reader is held back a few dozen records in.
    const lines: string[] = [];
    const src = source(topic, {
      maxBytesPerPartition: 16 * 1024,
      workerBufferBytes: 64 * 1024,
      log: (level, line) => lines.push(`${level} ${line}`),
    });
    const iterator = src.batches()[Symbol.asyncIterator]();
    const offsets: number[] = [];
    const take = (batch: FrameBatch): void => {
      for (let i = 0; i < batch.frames.length; i++) {
        expect(Buffer.from(batch.frames[i]!).equals(valueAt(batch.positions[i]!))).toBe(true);
        offsets.push(batch.positions[i]!);
      }
    };
    let first = await iterator.next();
    while (!first.done && first.value.frames.length === 0) first = await iterator.next();
    if (first.done) throw new Error('the source ended before its first batch');
    take(first.value);
    // While the pipeline holds the reader back, retention removes everything below 150.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const admin = kafka.kafka.admin();
    await admin.connect();
    try {
      await admin.fetchTopicMetadata({ topics: [topic] });
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: String(deletedBelow) }] });
    } finally {
      await admin.disconnect();
    }
    while (offsets[offsets.length - 1] !== total - 1) {
      const next = await iterator.next();
      if (next.done) break;
      take(next.value);
    }
    await src.close();
    expect(offsets[0]).toBe(0);
    expect(offsets[offsets.length - 1]).toBe(total - 1);
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]!).toBeGreaterThan(offsets[i - 1]!);
    // Read before the deletion, or from 150 on: nothing deleted was waited for, nothing after it skipped.
    expect(offsets.filter((o) => o >= deletedBelow)).toEqual(
      Array.from({ length: total - deletedBelow }, (_, i) => deletedBelow + i),
    );
    expect(offsets.length).toBeLessThan(total);
    expect(
      lines.filter((l) =>
        /^warn offset \d+ of \S+ partition 0 is out of range; reading from the earliest offset$/.test(l),
      ),
    ).toHaveLength(1);
  });

  it('reports the partitions it holds, on joining and when a second member takes some', async () => {
    const topic = await kafka.createTopic(uniqueName('src-rebalance'), 4);
    const group = uniqueName('g');
    const changes: { who: string; assigned: readonly number[]; revoked: readonly number[] }[] = [];
    const stop = new AbortController();
    const open = (who: string): { src: KafkaSource; done: Promise<void> } => {
      const src = source(topic, {
        group,
        onAssignment: (assigned, revoked) => changes.push({ who, assigned, revoked }),
      });
      const done = (async () => {
        for await (const _ of src.batches(stop.signal)) {
          // Ticks only: the topic stays empty.
        }
      })();
      return { src, done };
    };
    const a = open('a');
    await until(() => a.src.assigned().length === 4);
    const b = open('b');
    await until(
      () =>
        a.src.assigned().length > 0 &&
        b.src.assigned().length > 0 &&
        a.src.assigned().length + b.src.assigned().length === 4,
    );
    stop.abort();
    await Promise.all([a.done, b.done]);
    const held = [...a.src.assigned(), ...b.src.assigned()].sort();
    expect(held).toEqual([0, 1, 2, 3]);
    expect(changes[0]).toEqual({ who: 'a', assigned: [0, 1, 2, 3], revoked: [] });
    const aLost = changes.filter((c) => c.who === 'a').flatMap((c) => c.revoked);
    expect([...aLost].sort()).toEqual(b.src.assigned());
    const bGot = changes.filter((c) => c.who === 'b').flatMap((c) => c.assigned);
    expect([...bGot].sort()).toEqual(b.src.assigned());
    await Promise.all([a.src.close(), b.src.close()]);
  });

  it('never hands on a record of a kept partition twice across a rejoin, though nothing was committed', async () => {
    const topic = await kafka.createTopic(uniqueName('src-redeliver'), 2);
    await kafka.produce(
      topic,
      Array.from({ length: 400 }, (_, i) => ({ partition: i % 2, value: Buffer.from(`r${i}`) })),
    );
    const group = uniqueName('g');
    const stop = new AbortController();
    const a = source(topic, { group });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const batch of a.batches(stop.signal)) {
        for (const position of Array.from(batch.positions)) seen.push(`${batch.partition}:${position}`);
      }
    })();
    await until(() => seen.length === 400);
    // Nothing is committed. A second member makes the group rebalance: the
    // first rejoins and keeps one partition, whose committed offset is still
    // the beginning.
    const b = source(topic, { group });
    const bStop = new AbortController();
    const bReading = (async () => {
      for await (const _ of b.batches(bStop.signal)) {
        // B reads its partition from the beginning too: another member, its own duty.
      }
    })();
    await until(() => a.assigned().length === 1 && b.assigned().length === 1);
    // Time to fetch the kept partition again, were it read from the committed offset.
    await new Promise((r) => setTimeout(r, 3000));
    stop.abort();
    bStop.abort();
    await Promise.all([reading, bReading]);
    await Promise.all([a.close(), b.close()]);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(400);
  });

  it('reads gzip batches, and of transactions only the committed ones, like a plain kafkajs consumer', async () => {
    const topic = await kafka.createTopic(uniqueName('src-txn'), 1);
    const value = (tag: string, i: number): Buffer => Buffer.from(`{"uid":"${tag}-${i}","ts":${1468244340 + i}}`);
    await kafka.produce(
      topic,
      Array.from({ length: 50 }, (_, i) => ({ partition: 0, value: value('plain', i) })),
    );
    const producer = kafka.kafka.producer({
      transactionalId: uniqueName('txn'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    try {
      await producer.send({
        topic,
        compression: CompressionTypes.GZIP,
        messages: Array.from({ length: 40 }, (_, i) => ({ partition: 0, value: value('gzip', i) })),
      });
      const aborted = await producer.transaction();
      await aborted.send({
        topic,
        messages: Array.from({ length: 30 }, (_, i) => ({ partition: 0, value: value('aborted', i) })),
      });
      await aborted.abort();
      const committed = await producer.transaction();
      await committed.send({
        topic,
        compression: CompressionTypes.GZIP,
        messages: Array.from({ length: 20 }, (_, i) => ({ partition: 0, value: value('committed', i) })),
      });
      await committed.commit();
    } finally {
      await producer.disconnect();
    }
    await kafka.produce(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: value('after', i) })),
    );
    // The reference: kafkajs's own consumer (read committed, its default), none of uniqstream's code.
    const reference = (await kafka.read(topic)).map((r) => ({ offset: r.offset, bytes: r.value ?? Buffer.alloc(0) }));
    expect(reference.map((r) => r.bytes.toString('utf8')).filter((v) => v.includes('aborted'))).toEqual([]);
    expect(reference).toHaveLength(50 + 40 + 20 + 10);

    const src = source(topic);
    const { reads } = await readAll(src, topic, reference.length);
    await src.close();
    expect(reads.map((r) => ({ offset: r.offset, bytes: r.bytes }))).toEqual(reference);
  });

  it('says in one line that a topic does not exist', async () => {
    const src = source(uniqueName('missing'));
    const failure = await src
      .batches()
      [Symbol.asyncIterator]()
      .next()
      .catch((e: unknown) => e);
    await src.close();
    expect(failure).toBeInstanceOf(SourceError);
    expect((failure as SourceError).code).toBe('KAFKA_TOPIC_NOT_FOUND');
    expect((failure as SourceError).message).toMatch(
      /^topic missing-\S+ does not exist on Kafka at 127\.0\.0\.1:\d+ \(create it/,
    );
  });
});

/**
 * A member of a consumer group that keeps state per partition, as the
 * consumer service does: the next offset of each partition it handed on
 * (`delivered`), saved to `saved` (the stand-in for checkpoints) only when
 * the group rebalances, and adopted from there. It writes down every hook
 * call and every record, and whether a hook ran while it handled a batch.
 */
class Member {
  readonly journal: string[] = [];
  /** Every record handed on, as `partition:offset`, with its bytes. */
  readonly reads: { readonly partition: number; readonly offset: number; readonly text: string }[] = [];
  readonly delivered = new Map<number, number>();
  /** Per partition, when its latest `assigned` resolved, and the first record handed on after it. */
  readonly adoptedAt = new Map<number, number>();
  readonly first = new Map<number, { readonly offset: number; readonly at: number }>();
  /** When `assigned` was called, and when `rebalancing` resolved. */
  readonly assignedCalledAt: number[] = [];
  readonly savedAt: number[] = [];
  /** Partitions whose state at `revoked` was not what `rebalancing` saved: something was handed on between. */
  readonly changedAfterSave: number[] = [];
  readonly violations: string[] = [];
  readonly source: KafkaSource;
  private handling = false;
  private readonly stop = new AbortController();
  readonly done: Promise<void>;

  constructor(
    readonly name: string,
    topic: string,
    group: string,
    saved: Map<number, number>,
    startOf: (partition: number) => number | undefined,
    hookMs: number,
  ) {
    const mark = (what: string): void => {
      if (this.handling) this.violations.push(`${what} while a batch was being handled`);
      this.journal.push(what);
    };
    this.source = source(topic, {
      group,
      partitions: {
        assigned: async (partitions) => {
          mark(`assigned ${partitions.join(',')}`);
          this.assignedCalledAt.push(performance.now());
          await sleep(hookMs);
          const at = performance.now();
          for (const p of partitions) {
            this.adoptedAt.set(p, at);
            this.first.delete(p);
          }
          return new Map(partitions.map((p) => [p, startOf(p)]));
        },
        revoked: async (partitions) => {
          mark(`revoked ${partitions.join(',')}`);
          for (const p of partitions) if (saved.get(p) !== this.delivered.get(p)) this.changedAfterSave.push(p);
        },
        rebalancing: async (partitions) => {
          mark(`rebalancing ${partitions.join(',')}`);
          await sleep(hookMs);
          for (const p of partitions) {
            const at = this.delivered.get(p);
            if (at !== undefined) saved.set(p, at);
          }
          this.savedAt.push(performance.now());
        },
      },
    });
    this.done = this.consume();
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.done;
    await this.source.close();
  }

  private async consume(): Promise<void> {
    for await (const batch of this.source.batches(this.stop.signal)) {
      if (batch.frames.length === 0) continue;
      this.handling = true;
      const p = batch.partition;
      if (!this.first.has(p)) this.first.set(p, { offset: batch.positions[0]!, at: performance.now() });
      for (let i = 0; i < batch.frames.length; i++)
        this.reads.push({ partition: p, offset: batch.positions[i]!, text: Buffer.from(batch.frames[i]!).toString() });
      this.delivered.set(p, batch.next);
      // The caller's own awaited work on the batch (a sink write, say): no hook may run meanwhile.
      await sleep(1);
      this.handling = false;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('Kafka source partition lifecycle hooks against a real broker', () => {
  it(
    'hands every record on once over the lifetime of its owners, as a second member takes partitions ' +
      'from the first mid-stream',
    async () => {
      const PARTITIONS = 4;
      const HALF = 600;
      const topic = await kafka.createTopic(uniqueName('src-hooks'), PARTITIONS);
      const group = uniqueName('g');
      const text = (p: number, i: number): string => `${p}:${i} ${'x'.repeat(200)}`;
      const records = (from: number, to: number): { partition: number; value: Buffer }[] =>
        Array.from({ length: (to - from) * PARTITIONS }, (_, j) => ({
          partition: j % PARTITIONS,
          value: Buffer.from(text(j % PARTITIONS, from + Math.floor(j / PARTITIONS))),
        }));
      await kafka.produce(topic, records(0, HALF));
      // The group committed 100 on partition 0 and 200 on partition 1; the first member starts 0 at 125 (committed
      // + 25)
      // and leaves the others to the committed offsets (the beginning for 2 and 3).
      const admin = kafka.kafka.admin();
      await admin.connect();
      try {
        await admin.setOffsets({
          groupId: group,
          topic,
          partitions: [
            { partition: 0, offset: '100' },
            { partition: 1, offset: '200' },
          ],
        });
      } finally {
        await admin.disconnect();
      }
      const starts = new Map([
        [0, 125],
        [1, 200],
        [2, 0],
        [3, 0],
      ]);
      const saved = new Map<number, number>();
      const HOOK_MS = 1000;
      const a = new Member('a', topic, group, saved, (p) => (p === 0 ? 125 : undefined), HOOK_MS);
      try {
        await until(() => [0, 1, 2, 3].every((p) => a.delivered.get(p) === HALF));
        // The second half arrives over ~3 s, while the second member joins and the group rebalances.
        const producing = (async () => {
          for (let i = HALF; i < 2 * HALF; i += 30) {
            await kafka.produce(topic, records(i, i + 30));
            await sleep(150);
          }
        })();
        const b = new Member('b', topic, group, saved, (p) => saved.get(p), HOOK_MS);
        try {
          await producing;
          await until(() =>
            [0, 1, 2, 3].every((p) => (a.delivered.get(p) ?? 0) === 2 * HALF || (b.delivered.get(p) ?? 0) === 2 * HALF),
          );
          await sleep(1000);
          expect([...a.source.assigned(), ...b.source.assigned()].sort()).toEqual([0, 1, 2, 3]);
          const moved = b.source.assigned();
          expect(moved.length).toBeGreaterThan(0);
          expect(a.source.assigned().length).toBeGreaterThan(0);

          // The hooks: the first member adopted all, saved them when the group rebalanced, and lost what the
          // second got.
          expect(a.journal).toEqual(['assigned 0,1,2,3', 'rebalancing 0,1,2,3', `revoked ${moved.join(',')}`]);
          expect(b.journal).toEqual([`assigned ${moved.join(',')}`]);
          expect([...a.violations, ...b.violations]).toEqual([]);
          // The first member's rejoin waited for its save: the second was given the partitions only after it.
          expect(b.assignedCalledAt[0]!).toBeGreaterThan(a.savedAt[0]!);
          // Nothing was handed on between the save and the loss.
          expect(a.changedAfterSave).toEqual([]);

          // Reading starts where assigned says, and only once it resolved.
          for (const p of [0, 1, 2, 3]) {
            expect(a.first.has(p) || moved.includes(p)).toBe(true);
          }
          for (const [p, { offset, at }] of [...a.first].filter(([p]) => !moved.includes(p))) {
            expect(offset).toBe(starts.get(p));
            expect(at).toBeGreaterThanOrEqual(a.adoptedAt.get(p)!);
          }
          for (const p of moved) {
            expect(b.first.get(p)!.offset).toBe(saved.get(p));
            expect(b.first.get(p)!.at).toBeGreaterThanOrEqual(b.adoptedAt.get(p)!);
          }

          // Every record once, over both owners; kept partitions went on without a gap or a repeat.
          for (const p of [0, 1, 2, 3]) {
            const got = [...a.reads, ...b.reads].filter((r) => r.partition === p);
            const from = starts.get(p)!;
            expect(got.map((r) => r.offset).sort((x, y) => x - y)).toEqual(
              Array.from({ length: 2 * HALF - from }, (_, i) => from + i),
            );
            for (const r of got) expect(r.text).toBe(text(p, r.offset));
          }

          // Commits: each member commits only what it holds now.
          const ends = new Map([0, 1, 2, 3].map((p) => [p, 2 * HALF]));
          await b.source.commit(ends);
          await a.source.commit(new Map([0, 1, 2, 3].map((p) => [p, 7])));
          const committed = await kafka.committed(group, topic);
          for (const p of [0, 1, 2, 3]) expect(committed.get(p)).toBe(moved.includes(p) ? 2 * HALF : 7);
          expect([...(await a.source.lag()).keys()].sort()).toEqual(a.source.assigned());
          expect(a.source.fetchesUnansweredForMs()).toBe(0);
          expect(b.source.fetchesUnansweredForMs()).toBe(0);
        } finally {
          await b.close();
        }
      } finally {
        await a.close();
      }
    },
  );
});

async function until(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}
