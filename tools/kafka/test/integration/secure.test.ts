import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueCertificate } from '../../src/certificates.js';
import { isPortFree } from '../../src/ports.js';
import {
  brokerStatus,
  ensureBroker,
  KafkaLocalError,
  restartBroker,
  SecureAdmin,
  secureKafkaConfig,
  startBroker,
  stopBroker,
  testSecureListener,
  TestKafka,
  uniqueName,
  type AclRule,
  type Login,
  type SecureListener,
} from '../../src/index.js';
import { bootstrap, eventually, testPort, testVersion } from './helpers.js';

const port = testPort();
const quiet = { log: () => {} };
/** Negative cases fail at once instead of retrying for half a minute. */
const NO_RETRY = { retries: 0 };

/** Whether the broker's authorizer logged a denial for the user on the resource (e.g. 'Group:LITERAL:g'). */
async function deniedInLog(user: string, resource: string): Promise<boolean> {
  const info = await brokerStatus({ port });
  const text = readFileSync(info?.logFile ?? '', 'utf8');
  return text
    .split('\n')
    .some((line) => line.includes(`Principal = User:${user} is Denied`) && line.includes(`on resource = ${resource} `));
}

function client(listener: SecureListener, login: Login, extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: 'kafka-local-secure-it',
    logLevel: logLevel.NOTHING,
    ...secureKafkaConfig(listener, login),
    ...extra,
  });
}

interface KafkaJSFailure {
  readonly name?: string;
  readonly type?: string;
  readonly cause?: unknown;
}

/**
 * What a kafkajs call threw (or 'resolved'): the error's name, or for one
 * that wraps a broker's answer (KafkaJSNonRetriableError and friends), the
 * name and type of that answer, e.g. 'KafkaJSProtocolError TOPIC_AUTHORIZATION_FAILED'.
 */
async function failureOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    let failure = error as KafkaJSFailure;
    while (failure.type === undefined && typeof failure.cause === 'object' && failure.cause !== null)
      failure = failure.cause as KafkaJSFailure;
    if (failure.type === undefined) failure = error as KafkaJSFailure;
    return `${failure.name ?? 'Error'}${failure.type === undefined ? '' : ` ${failure.type}`}`;
  }
}

async function clusterAs(listener: SecureListener, login: Login, extra: Partial<KafkaConfig> = {}): Promise<string> {
  const admin = client(listener, login, { retry: NO_RETRY, ...extra }).admin();
  try {
    await admin.connect();
    const { brokers } = await admin.describeCluster();
    return brokers.map((b) => `${b.host}:${b.port}`).join(',');
  } finally {
    await admin.disconnect();
  }
}

/** Produces `values` as `login`, then reads them back as `login` in group `group`. */
async function roundTrip(
  listener: SecureListener,
  login: Login,
  topic: string,
  group: string,
  values: readonly string[],
): Promise<string[]> {
  const kafka = client(listener, login);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100 });
  const got: string[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      // A crash kafkajs recovers from (the group coordinator still loading on a fresh broker) is not a failure.
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) reject(payload.error);
      });
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push(String(message.value));
          if (got.length >= values.length) resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

describe(`the SASL_SSL listener (Kafka ${testVersion()}, port ${port + 2})`, () => {
  let listener: SecureListener;
  let admin: SecureAdmin;
  let plain: TestKafka;

  beforeAll(async () => {
    // Another suite may have left the broker running without the listener.
    const running = await brokerStatus({ port });
    if (running?.secure == null) await restartBroker({ port, secure: true, ...quiet });
    listener = testSecureListener();
    admin = new SecureAdmin(listener);
    plain = new TestKafka({ bootstrap: bootstrap() });
  });
  afterAll(async () => {
    await admin?.close();
    await plain?.close();
  });

  it(
    'is published by the global setup and reported by status, which names the password file but ' +
      'never the password',
    async () => {
      const info = await brokerStatus({ port });
      expect(info?.secure).toEqual(listener);
      expect(listener.bootstrap).toBe(`127.0.0.1:${port + 2}`);
      const password = (await admin.adminLogin()).password;
      expect(statSync(listener.adminPasswordFile).mode & 0o777).toBe(0o600);
      const cli = fileURLToPath(new URL('../../bin/kafka-local', import.meta.url));
      const json = spawnSync(cli, ['status', '--json', '--port', String(port)], { encoding: 'utf8' });
      expect(JSON.parse(json.stdout)).toEqual(JSON.parse(JSON.stringify(info)));
      const text = spawnSync(cli, ['status', '--port', String(port)], { encoding: 'utf8' });
      expect(text.stdout).toMatch(new RegExp(`SASL_SSL: +${listener.bootstrap} `));
      expect(text.stdout).toMatch(new RegExp(`mutual TLS: +${listener.mutualTlsBootstrap} `));
      expect(text.stdout).toContain(`password in ${listener.adminPasswordFile}`);
      for (const out of [json.stdout, json.stderr, text.stdout, text.stderr]) expect(out).not.toContain(password);
      // Nor does the broker log it (PLAIN's JAAS entry holds it: Kafka hides password settings).
      expect(readFileSync(info?.logFile ?? '', 'utf8')).not.toContain(password);
    },
  );

  it('lets the admin in with SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN, and advertises itself', async () => {
    for (const mechanism of ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'] as const) {
      expect(await clusterAs(listener, await admin.adminLogin(mechanism)), mechanism).toBe(listener.bootstrap);
    }
  });

  for (const mechanism of ['SCRAM-SHA-512', 'SCRAM-SHA-256'] as const) {
    it(`lets a ${mechanism} user produce and consume what the ACLs grant`, async () => {
      const user = uniqueName('rw');
      const login = await admin.createUser(user, `${user}-secret`, mechanism);
      const topic = await plain.createTopic(uniqueName('secure-rw'), 2);
      const group = uniqueName('secure-group');
      plain.track({ groups: [group] });
      await admin.grant(user, [
        { resource: 'topic', name: topic, operations: ['write', 'read', 'describe'] },
        { resource: 'group', name: group, operations: ['read'] },
      ]);
      expect((await admin.acls(user)).map((b) => `${b.resource}:${b.operation}`).sort()).toEqual(
        ['group:read', 'topic:describe', 'topic:read', 'topic:write'].sort(),
      );
      const values = Array.from({ length: 20 }, (_, i) => `${mechanism} record ${i}`);
      expect((await roundTrip(listener, login, topic, group, values)).sort()).toEqual([...values].sort());
      // The plaintext listener, as a test's independent witness, sees the same records.
      expect((await plain.read(topic)).map((r) => String(r.value)).sort()).toEqual([...values].sort());
    });
  }

  it('refuses a wrong password, and an unknown user, with kafkajs authentication errors', async () => {
    const right = await admin.adminLogin();
    expect(await failureOf(clusterAs(listener, { ...right, password: `${right.password}x` }))).toBe(
      'KafkaJSSASLAuthenticationError',
    );
    expect(await failureOf(clusterAs(listener, { ...right, user: uniqueName('nobody') }))).toBe(
      'KafkaJSSASLAuthenticationError',
    );
    expect(await failureOf(clusterAs(listener, { ...right, mechanism: 'PLAIN', password: 'wrong' }))).toBe(
      'KafkaJSSASLAuthenticationError',
    );
  });

  it(
    'gives a user without ACLs TOPIC_AUTHORIZATION_FAILED, and keeps one without the group ACL out ' + 'of the group',
    async () => {
      const user = uniqueName('none');
      const login = await admin.createUser(user, 'no-acl-secret');
      const topic = await plain.createTopic(uniqueName('secure-denied'), 1);
      await plain.produce(topic, [{ value: 'x' }]);
      const kafka = client(listener, login, { retry: NO_RETRY });
      const producer = kafka.producer();
      await producer.connect();
      expect(await failureOf(producer.send({ topic, messages: [{ value: 'denied' }] }))).toBe(
        'KafkaJSProtocolError TOPIC_AUTHORIZATION_FAILED',
      );
      await producer.disconnect();
      expect(await deniedInLog(user, `Topic:LITERAL:${topic}`)).toBe(true);

      // Read on the topic, but not on the group.
      const topicRules: AclRule[] = [{ resource: 'topic', name: topic, operations: ['read', 'describe'] }];
      await admin.grant(user, topicRules);
      const group = uniqueName('secure-no-group');
      const consumer = kafka.consumer({ groupId: group, retry: { retries: 0, restartOnFailure: async () => false } });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const crash = new Promise<string>((resolve) =>
        consumer.on(consumer.events.CRASH, ({ payload }) => resolve(payload.error.name)),
      );
      void consumer.run({ eachMessage: async () => {} });
      // kafkajs drops the broker's GROUP_AUTHORIZATION_FAILED (FindCoordinator) and says this;
      // the broker's log says why.
      expect(await crash).toBe('KafkaJSGroupCoordinatorNotFound');
      await consumer.disconnect();
      expect(await deniedInLog(user, `Group:LITERAL:${group}`)).toBe(true);
      // The group ACL is all that was missing.
      await admin.grant(user, [{ resource: 'group', name: group, operations: ['read'] }]);
      plain.track({ groups: [group] });
      const reader = client(listener, login).consumer({ groupId: group, maxWaitTimeInMs: 100 });
      await reader.connect();
      await reader.subscribe({ topic, fromBeginning: true });
      const first = await new Promise<string>(
        (resolve) => void reader.run({ eachMessage: async ({ message }) => resolve(String(message.value)) }),
      );
      await reader.disconnect();
      expect(first).toBe('x');

      // Revoked: the topic is closed again.
      await admin.revoke(user, [...topicRules, { resource: 'group', name: group, operations: ['read'] }]);
      expect(await admin.acls(user)).toEqual([]);
      const again = client(listener, login, { retry: NO_RETRY }).admin();
      await again.connect();
      expect(await failureOf(again.fetchTopicOffsets(topic))).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
      await again.disconnect();
    },
  );

  it(
    'lets an idempotent producer write with write on the topic, and a transactional one only with ' +
      'its transactional id granted',
    async () => {
      const user = uniqueName('idem');
      const login = await admin.createUser(user, 'idem-secret');
      const topic = await plain.createTopic(uniqueName('secure-idem'), 1);
      await admin.grant(user, [{ resource: 'topic', name: topic, operations: ['write', 'describe'] }]);
      // Write on a topic implies idempotent writes (KIP-679, Kafka 3.0).
      const idempotent = client(listener, login).producer({ idempotent: true, maxInFlightRequests: 1 });
      await idempotent.connect();
      await idempotent.send({ topic, acks: -1, messages: [{ value: 'once' }] });
      await idempotent.disconnect();

      const transactionalId = uniqueName('secure-tx');
      // Retries on (an idempotent producer must have them): the authorization error is not retriable anyway.
      const transactional = (): ReturnType<Kafka['producer']> =>
        client(listener, login).producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
      const refused = transactional();
      await refused.connect();
      // kafkajs drops the broker's TRANSACTIONAL_ID_AUTHORIZATION_FAILED (FindCoordinator) and says this; the log
      // says why.
      expect(await failureOf(refused.transaction())).toBe('KafkaJSGroupCoordinatorNotFound');
      await refused.disconnect();
      expect(await deniedInLog(user, `TransactionalId:LITERAL:${transactionalId}`)).toBe(true);
      await admin.grant(user, [
        { resource: 'transactional-id', name: transactionalId, operations: ['write', 'describe'] },
        { resource: 'cluster', operations: ['idempotent-write'] },
      ]);
      expect((await admin.acls(user)).map((b) => `${b.resource}:${b.name}:${b.operation}`).sort()).toEqual(
        [
          `cluster:kafka-cluster:idempotent-write`,
          `topic:${topic}:describe`,
          `topic:${topic}:write`,
          `transactional-id:${transactionalId}:describe`,
          `transactional-id:${transactionalId}:write`,
        ].sort(),
      );
      const producer = transactional();
      await producer.connect();
      const transaction = await producer.transaction();
      await transaction.send({ topic, messages: [{ value: 'in a transaction' }] });
      await transaction.commit();
      await producer.disconnect();
      // The commit returns before its marker reaches the partition; a read_committed reader sees the record once
      // it has.
      let values: string[] = [];
      await eventually(
        async () => (values = (await plain.read(topic)).map((r) => String(r.value))).length === 2,
        30_000,
        200,
      );
      expect(values).toEqual(['once', 'in a transaction']);
    },
  );

  it('refuses TLS clients that do not trust the CA', async () => {
    const login = await admin.adminLogin();
    // The system's CAs only.
    expect(await failureOf(clusterAs(listener, login, { ssl: true }))).toMatch(/^KafkaJS/);
    const untrusting = client(listener, login, { ssl: true, retry: NO_RETRY }).admin();
    const message = await untrusting.connect().then(
      () => 'connected',
      (error: Error) => error.message,
    );
    await untrusting.disconnect();
    expect(message).toMatch(/self[- ]signed certificate in certificate chain/);
  });

  it(
    'requires a client certificate from the CA on the mutual TLS listener, and refuses none or one ' +
      'from another CA',
    async () => {
      const login = await admin.adminLogin();
      const issued = await admin.clientCertificate(uniqueName('mtls'));
      const withIssued = secureKafkaConfig(listener, login, { clientCertificate: issued });
      expect(withIssued.brokers).toEqual([listener.mutualTlsBootstrap]);
      expect(await clusterAs(listener, login, withIssued)).toBe(listener.mutualTlsBootstrap);
      expect(await failureOf(clusterAs(listener, login, { brokers: [listener.mutualTlsBootstrap] }))).toMatch(
        /^KafkaJS/,
      );
      const dir = await mkdtemp(join(tmpdir(), 'kafka-local-foreign-ca-'));
      try {
        const foreign = await issueCertificate(
          await createCertificateAuthority(dir, 'foreign CA'),
          dir,
          'intruder',
          'client',
        );
        expect(
          await failureOf(
            clusterAs(listener, login, secureKafkaConfig(listener, login, { clientCertificate: foreign })),
          ),
        ).toMatch(/^KafkaJS/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      // The other listener asks for none.
      expect(await clusterAs(listener, login)).toBe(listener.bootstrap);
    },
  );

  it('keeps the plaintext listener open to everything, ACLs or not', async () => {
    const topic = await plain.createTopic(uniqueName('secure-plain'), 1);
    await plain.produce(topic, [{ value: 'open' }]);
    expect((await plain.read(topic)).map((r) => String(r.value))).toEqual(['open']);
  });

  it('deletes a user: their password no longer logs in', async () => {
    const user = uniqueName('gone');
    const login = await admin.createUser(user, 'gone-secret', 'SCRAM-SHA-256');
    expect(await clusterAs(listener, login)).toBe(listener.bootstrap);
    await admin.deleteUser(user, 'SCRAM-SHA-256');
    expect(await failureOf(clusterAs(listener, login))).toBe('KafkaJSSASLAuthenticationError');
  });

  it(
    'starts without the listener unless asked, and restart --secure adds it on the same data, ' +
      'writing a lost admin password again',
    async () => {
      const keeper = new TestKafka({ bootstrap: bootstrap(), keep: true });
      const topic = await keeper.createTopic(uniqueName('secure-kept'), 1);
      await keeper.produce(topic, [{ value: 'kept' }]);
      await keeper.close();
      const user = uniqueName('kept');
      const login = await admin.createUser(user, 'kept-secret');
      await admin.close();
      await plain.close();

      await stopBroker({ port, ...quiet });
      const plainInfo = await startBroker({ port, secure: false, ...quiet });
      expect(plainInfo.secure).toBeNull();
      expect(await isPortFree(port + 2)).toBe(true);
      expect(await isPortFree(port + 3)).toBe(true);
      let refused: unknown;
      await ensureBroker({ port, secure: true, ...quiet }).catch((error: unknown) => (refused = error));
      expect(refused).toBeInstanceOf(KafkaLocalError);
      expect((refused as KafkaLocalError).code).toBe('NOT_SECURE');

      // As if the storage had been formatted by a kafka-local that wrote no admin credentials.
      const oldPassword = readFileSync(listener.adminPasswordFile, 'utf8').trim();
      rmSync(listener.adminPasswordFile);
      rmSync(join(listener.dir, 'admin.stamp'));
      const lines: string[] = [];
      const info = await restartBroker({ port, secure: true, log: (line) => lines.push(line) });
      expect(info.pid).not.toBe(plainInfo.pid);
      expect(info.secure).toEqual(listener);
      expect(lines.join('\n')).toMatch(/wrote the admin's SCRAM credentials with kafka-configs/);

      admin = new SecureAdmin(listener);
      plain = new TestKafka({ bootstrap: bootstrap() });
      const newLogin = await admin.adminLogin();
      expect(newLogin.password).not.toBe(oldPassword);
      expect(await clusterAs(listener, newLogin)).toBe(listener.bootstrap);
      expect(await clusterAs(listener, { ...newLogin, mechanism: 'SCRAM-SHA-256' })).toBe(listener.bootstrap);
      expect(await failureOf(clusterAs(listener, { ...newLogin, password: oldPassword }))).toBe(
        'KafkaJSSASLAuthenticationError',
      );
      // Users and records survive.
      expect(await clusterAs(listener, login)).toBe(listener.bootstrap);
      expect((await plain.read(topic)).map((r) => String(r.value))).toEqual(['kept']);
      plain.track({ topics: [topic] });
    },
  );
});
