import { randomBytes } from 'node:crypto';
import {
  closedPort,
  SecureAdmin,
  secureListenerOrWhyNot,
  uniqueName,
  type AclRule,
  type SecureListener,
} from '@uniqstream/kafka-local';
import { afterAll, describe, expect, it } from 'vitest';
import {
  holdsPartitions,
  serviceArgs,
  ServiceProcess,
  testKafka,
  topicsOf,
  waitUntilDone,
  type RunTopics,
} from './service-process.js';
import { expectEachOnce, expectMatchesReference, latestByKey, testStream } from './stream.js';

/*
 * The service over the test broker's SASL_SSL listener, logged in with
 * SCRAM-SHA-512 and holding the least ACLs the README lists for `--role
 * all` (at-least-once): killed with SIGKILL after its first checkpoint and
 * restarted, it ends with the exact counts. Then a missing ACL, in one
 * line. Input is written, and results read, over the plaintext listener.
 * Skipped when the broker runs without `--secure`.
 */

const listener = secureListenerOrWhyNot();
const secured = typeof listener !== 'string';
const PARTITIONS = 2;

/** The README's ACLs of a service in `--role all` with its default topic names. */
function serviceAcls(run: RunTopics): AclRule[] {
  const { partials, checkpoints } = topicsOf(run.group);
  return [
    { resource: 'topic', name: run.input, operations: ['read'] },
    { resource: 'group', name: run.group, operations: ['read'] },
    // The merge's group, and the throwaway groups that read the checkpoint and results topics (deleted after).
    { resource: 'group', name: `${run.group}.`, pattern: 'prefixed', operations: ['read', 'delete'] },
    { resource: 'topic', name: partials, operations: ['read', 'write', 'create', 'describe-configs'] },
    { resource: 'topic', name: checkpoints, operations: ['read', 'write', 'create', 'describe-configs'] },
    { resource: 'topic', name: run.results, operations: ['read', 'write', 'create'] },
  ];
}

describe.skipIf(!secured)(
  `uniqstream-consumer over SASL_SSL with SCRAM-SHA-512${secured ? '' : ` (skipped: ${String(listener)})`}`,
  () => {
    const kafka = testKafka();
    const admin = secured ? new SecureAdmin(listener as SecureListener) : undefined;
    const stream = testStream({ seed: 31, frames: 6000, partitions: PARTITIONS });

    afterAll(async () => {
      await admin?.close();
      await kafka.close();
    });

    async function setUp(
      prefix: string,
      grant: (run: RunTopics) => AclRule[],
    ): Promise<{ run: RunTopics; args: string[]; env: Record<string, string>; password: string; user: string }> {
      const { bootstrap, caFile } = listener as SecureListener;
      const input = await kafka.createTopic(uniqueName(`${prefix}-in`), PARTITIONS);
      const group = uniqueName(prefix);
      const run = { input, results: `${group}.results`, group };
      const { partials, checkpoints } = topicsOf(group);
      kafka.track({ groups: [group, `${group}.merge`], topics: [run.results, partials, checkpoints] });
      const user = uniqueName('svc');
      const password = `pw-${randomBytes(9).toString('hex')}`;
      await admin!.createUser(user, password, 'SCRAM-SHA-512');
      await admin!.grant(user, grant(run));
      // An HTTP port of its own, for /metrics.
      const args = serviceArgs(
        run,
        ['--kafka-ca', caFile, '--kafka-user', user, '--http-port', String(await closedPort())],
        bootstrap,
      );
      return { run, args, env: { UNIQSTREAM_KAFKA_PASSWORD: password }, password, user };
    }

    /**
     * The first half counted by one instance, killed with SIGKILL after its
     * first checkpoint (`beforeKill` runs just before), the rest by a second
     * instance until every result is out; the second stops cleanly.
     */
    async function killedAndRestarted(
      run: RunTopics,
      args: string[],
      env: Record<string, string>,
      beforeKill: (first: ServiceProcess) => Promise<void> = async () => undefined,
    ): Promise<ServiceProcess[]> {
      await kafka.produce(run.input, stream.frames.slice(0, 3000));
      const first = new ServiceProcess(args, run.group, env);
      const instances = [first];
      try {
        await first.waitForLog(holdsPartitions);
        await first.waitForLog((line) => line.msg.startsWith('checkpoint of partition'));
        await beforeKill(first);
        first.kill('SIGKILL');
        expect((await first.exited).signal).toBe('SIGKILL');
        await kafka.produce(run.input, [...stream.frames.slice(3000), ...stream.closing]);
        const second = new ServiceProcess(args, run.group, env);
        instances.push(second);
        await waitUntilDone(kafka, run);
        expect(await second.stop(), second.stderr().slice(-2000)).toEqual({ code: 0, signal: null });
      } finally {
        for (const instance of instances) instance.kill('SIGKILL');
      }
      return instances;
    }

    it(
      'with its least ACLs, killed after a checkpoint and restarted, ends with the exact counts; the ' +
        'password nowhere in its logs or /metrics',
      async () => {
        const { run, args, env, password } = await setUp('svc-sec', serviceAcls);
        const instances = await killedAndRestarted(run, args, env, async (first) => {
          const metrics = await (await fetch(`${await first.httpBase()}/metrics`)).text();
          expect(metrics).toContain('uniqstream');
          expect(metrics).not.toContain(password);
        });
        expect(instances[1]!.logs().some((line) => line.msg.includes('adopted its checkpoint'))).toBe(true);
        expectMatchesReference(latestByKey(await kafka.read(run.results)), stream.reference);
        for (const instance of instances) {
          expect(instance.stderr()).not.toContain(password);
          expect(instance.logs()[0]?.kafka).toMatch(/^TLS \(own CA\), SASL SCRAM-SHA-512 as svc-/);
        }
      },
    );

    it(
      'exactly-once with its least ACLs (WRITE on its transactional ids), killed mid-stream and ' +
        'restarted: each window final once, the exact counts',
      async () => {
        const eos = (r: RunTopics): AclRule[] => [
          ...serviceAcls(r),
          { resource: 'transactional-id', name: `${r.group}.${r.input}.`, pattern: 'prefixed', operations: ['write'] },
          { resource: 'transactional-id', name: `${r.group}.merge`, operations: ['write'] },
        ];
        const { run, args, env, password } = await setUp('svc-sec-eos', eos);
        const instances = await killedAndRestarted(run, [...args, '--guarantee', 'exactly-once'], env);
        expectMatchesReference(expectEachOnce(await kafka.read(run.results)), stream.reference);
        for (const instance of instances) expect(instance.stderr()).not.toContain(password);
      },
    );

    it('says in one line which ACL is missing (CREATE on its checkpoint topic) and exits 1', async () => {
      const { run, args, env, password } = await setUp('svc-acl', (r) =>
        serviceAcls(r).filter((rule) => rule.name !== topicsOf(r.group).checkpoints),
      );
      const instance = new ServiceProcess(args, run.group, env);
      try {
        const exit = await instance.exited;
        expect(exit.code, instance.stderr().slice(-2000)).toBe(1);
      } finally {
        instance.kill('SIGKILL');
      }
      const fatal = instance.logs().filter((line) => line.level >= 60);
      expect(fatal).toHaveLength(1);
      expect(fatal[0]!.msg).toContain(`${topicsOf(run.group).checkpoints}`);
      expect(fatal[0]!.msg).toMatch(/CREATE/);
      expect(instance.stderr()).not.toContain(password);
    });
  },
);
