import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KafkaSecurity } from '@uniqstream/kafka';
import { TestKafka, uniqueName } from '@uniqstream/kafka-local';
import { afterAll, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/errors.js';
import { openKafkaSource, type KafkaSource } from '../../src/kafka-source.js';
import { secureTestBroker, type Login } from './secure-broker.js';

/*
 * The Kafka source over the test broker's SASL_SSL listener, logged in
 * with SCRAM-SHA-512 and holding only the ACLs it needs (READ on the topic
 * and on the group): kafkajs's connections and the reader thread's own
 * fetch connections both go through TLS and the login. Then each way a
 * login goes wrong, in one line, without the password. Input is written,
 * and results are checked, over the plaintext listener with
 * @uniqstream/kafka-local's own client.
 */

const broker = secureTestBroker();
const kafka = new TestKafka();

afterAll(async () => {
  await kafka.close();
  if (typeof broker !== 'string') await broker.admin.close();
});

/** A password kafka-local takes (printable ASCII, no quotes, commas or '='), different every run. */
function newPassword(): string {
  return `pw-${randomBytes(9).toString('hex')}`;
}

function securityOf(login: Login, ca: string): KafkaSecurity {
  return { tls: { ca }, sasl: { mechanism: 'scram-sha-512', username: login.user, password: login.password } };
}

interface Run {
  readonly values: Map<number, string[]>;
  readonly lines: string[];
}

/** Reads until `count` frames came and one idle tick after them. */
async function readAll(source: KafkaSource, count: number, lines: string[]): Promise<Run> {
  const values = new Map<number, string[]>();
  let read = 0;
  for await (const batch of source.batches()) {
    if (batch.frames.length === 0) {
      if (read >= count) break;
      continue;
    }
    const list = values.get(batch.partition) ?? [];
    for (const frame of batch.frames) list.push(Buffer.from(frame).toString());
    values.set(batch.partition, list);
    read += batch.frames.length;
    await source.commit(new Map([[batch.partition, batch.next]]));
  }
  return { values, lines };
}

/** The SourceError the first batch fails with, how long that took, and the lines logged meanwhile. */
async function failure(
  security: KafkaSecurity,
  brokers: readonly string[],
  topic = 'any',
  group = 'any',
): Promise<{ error: SourceError; ms: number; lines: string[] }> {
  const lines: string[] = [];
  const source = openKafkaSource({
    brokers,
    topic,
    group,
    fromBeginning: true,
    security,
    connectTimeoutMs: 30_000,
    log: (level, line) => lines.push(`${level} ${line}`),
  });
  const started = performance.now();
  const error = await source
    .batches()
    [Symbol.asyncIterator]()
    .next()
    .catch((e: unknown) => e);
  const ms = performance.now() - started;
  await source.close();
  expect(error).toBeInstanceOf(SourceError);
  expect((error as SourceError).message).not.toContain('\n');
  return { error: error as SourceError, ms, lines };
}

describe.skipIf(typeof broker === 'string')(
  `Kafka source over SASL_SSL with SCRAM-SHA-512${typeof broker === 'string' ? ` (skipped: ${broker})` : ''}`,
  () => {
    const { listener, admin } = broker as Exclude<typeof broker, string>;
    const ca = typeof broker === 'string' ? '' : readFileSync(listener.caFile, 'utf8');

    it(
      'reads every record of a 3-partition topic through openKafkaSource with READ on the topic and ' +
        'the group only, and commits',
      async () => {
        const topic = await kafka.createTopic(uniqueName('sec-in'), 3);
        const group = uniqueName('sec-g');
        const user = uniqueName('reader');
        const login = await admin.createUser(user, newPassword(), 'SCRAM-SHA-512');
        await admin.grant(user, [
          { resource: 'topic', name: topic, operations: ['read'] },
          { resource: 'group', name: group, operations: ['read'] },
        ]);
        const total = 6000;
        const records = Array.from({ length: total }, (_, i) => ({
          partition: i % 3,
          value: Buffer.from(`{"uid":"u${i}","ts":${1_700_000_000 + i}}`),
        }));
        await kafka.produce(topic, records);

        const lines: string[] = [];
        // Small fetches: many of them, each through TLS on the reader thread's own connection.
        const source = openKafkaSource({
          brokers: [listener.bootstrap],
          topic,
          group,
          fromBeginning: true,
          security: securityOf(login, ca),
          maxBytesPerPartition: 16 * 1024,
          log: (level, line) => lines.push(`${level} ${line}`),
        });
        const run = await readAll(source, total, lines);
        await source.close();

        for (let partition = 0; partition < 3; partition++) {
          expect(run.values.get(partition), `partition ${partition}`).toEqual(
            records.filter((r) => r.partition === partition).map((r) => r.value.toString()),
          );
        }
        expect(await kafka.committed(group, topic)).toEqual(await kafka.endOffsets(topic));
        for (const line of lines) expect(line).not.toContain(login.password);
      },
    );

    it('says in one line, quickly and without the password, that the login was refused', async () => {
      const user = uniqueName('wrong');
      const login = await admin.createUser(user, newPassword(), 'SCRAM-SHA-512');
      const wrong = { ...login, password: newPassword() };
      const { error, ms, lines } = await failure(securityOf(wrong, ca), [listener.bootstrap]);
      expect(error.code).toBe('KAFKA_SECURITY');
      expect(error.message).toMatch(
        new RegExp(
          `^cannot connect to Kafka at ${listener.bootstrap}: ${listener.bootstrap} refused the SASL ` +
            `login \\(SCRAM-SHA-512 as ${user}\\): `,
        ),
      );
      expect(ms).toBeLessThan(10_000);
      for (const text of [error.message, ...lines]) {
        expect(text).not.toContain(wrong.password);
        expect(text).not.toContain(login.password);
      }
    });

    it(
      'says in one line that the certificate is not trusted, that a plaintext client reached the TLS ' +
        'port, and TLS the plaintext one',
      async () => {
        const user = uniqueName('tls');
        const login = await admin.createUser(user, newPassword(), 'SCRAM-SHA-512');
        const untrusted = await failure({ tls: {}, sasl: securityOf(login, ca).sasl! }, [listener.bootstrap]);
        expect(untrusted.error.code).toBe('KAFKA_SECURITY');
        expect(untrusted.error.message).toContain(`the TLS certificate of ${listener.bootstrap} is not trusted`);
        const plaintext = await failure({ sasl: securityOf(login, ca).sasl! }, [listener.bootstrap]);
        expect(plaintext.error.message).toContain(`${listener.bootstrap} answered in TLS: turn TLS on for it`);
        const tlsToPlaintext = await failure(securityOf(login, ca), [kafka.bootstrap]);
        expect(tlsToPlaintext.error.message).toContain(`${kafka.bootstrap} does not speak TLS`);
        for (const run of [untrusted, plaintext, tlsToPlaintext]) expect(run.ms).toBeLessThan(10_000);
      },
    );

    it('names the topic or the group a missing ACL keeps it from', async () => {
      const topic = await kafka.createTopic(uniqueName('sec-acl'), 1);
      await kafka.produce(topic, [{ partition: 0, value: Buffer.from('x') }]);
      const group = uniqueName('sec-g');
      const user = uniqueName('acl');
      const login = await admin.createUser(user, newPassword(), 'SCRAM-SHA-512');
      const noTopic = await failure(securityOf(login, ca), [listener.bootstrap], topic, group);
      expect(noTopic.error.code).toBe('KAFKA_TOPIC_NOT_FOUND');
      expect(noTopic.error.message).toContain(
        `or user ${user} may not see it (an ACL for READ on topic ${topic} is missing)`,
      );
      await admin.grant(user, [{ resource: 'topic', name: topic, operations: ['read'] }]);
      const noGroup = await failure(securityOf(login, ca), [listener.bootstrap], topic, group);
      expect(noGroup.error.message).toContain(`is user ${user} allowed to READ group ${group}?`);
    });
  },
);
