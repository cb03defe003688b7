import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateChunks } from '@uniqstream/generator';
import {
  SecureAdmin,
  TestKafka,
  secureListenerOrWhyNot,
  uniqueName,
  type SecureListener,
} from '@uniqstream/kafka-local';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, hasStackTrace, run, type Finished } from './cli-process.js';
import { expectFinalsMatch, latestByKey, linesOf, referenceCounts } from './reference.js';

/*
 * `uniqstream count` Kafka to Kafka over the test broker's SASL_SSL
 * listener, logged in with SCRAM-SHA-512 and holding the least ACLs the
 * README lists for it: READ on the input topic and the group, WRITE on the
 * results topic (created beforehand: no CREATE). Input is written, and
 * results read, over the plaintext listener by the tests' own client.
 * Skipped when the broker runs without `--secure`.
 */

const listener = secureListenerOrWhyNot();
const secured = typeof listener !== 'string';
const T0 = 1468244340;
const kafka = new TestKafka();
let admin: SecureAdmin | undefined;

afterAll(async () => {
  await admin?.close();
  await kafka.close();
});

/** A password kafka-local takes, different every run, and distinctive enough to grep for. */
function newPassword(): string {
  return `pw-${randomBytes(9).toString('hex')}`;
}

interface Setup {
  readonly input: string;
  readonly output: string;
  readonly group: string;
  readonly user: string;
  readonly password: string;
}

async function setUp(
  frames: readonly Buffer[],
  grant: { readonly group?: boolean; readonly write?: boolean } = {},
): Promise<Setup> {
  admin ??= new SecureAdmin(listener as SecureListener);
  const input = await kafka.createTopic(uniqueName('cli-sec-in'), 2);
  const output = await kafka.createTopic(uniqueName('cli-sec-out'), 1);
  const group = uniqueName('cli-sec-g');
  const user = uniqueName('cli');
  const password = newPassword();
  await admin.createUser(user, password, 'SCRAM-SHA-512');
  await admin.grant(user, [
    { resource: 'topic', name: input, operations: ['read'] },
    ...(grant.group === false ? [] : [{ resource: 'group' as const, name: group, operations: ['read' as const] }]),
    ...(grant.write === false ? [] : [{ resource: 'topic' as const, name: output, operations: ['write' as const] }]),
  ]);
  await kafka.produce(
    input,
    frames.map((value, i) => ({ partition: i % 2, value })),
  );
  return { input, output, group, user, password };
}

function count(setup: Setup, extra: readonly string[] = []): Promise<Finished> {
  const { bootstrap, caFile } = listener as SecureListener;
  return run(
    BIN,
    [
      'count',
      ...[
        '--from',
        `kafka://${bootstrap}/${setup.input}`,
        '--to',
        `kafka://${bootstrap}/${setup.output}`,
        '--group',
        setup.group,
      ],
      ...[
        '--from-beginning',
        '--until-idle',
        '2',
        '--kafka-ca',
        caFile,
        '--kafka-user',
        setup.user,
        '--kafka-sasl-mechanism',
        'SCRAM-SHA-512',
      ],
      ...extra,
    ],
    { env: { UNIQSTREAM_KAFKA_PASSWORD: setup.password } },
  );
}

describe.skipIf(!secured)(
  `uniqstream count over SASL_SSL with SCRAM-SHA-512${secured ? '' : ` (skipped: ${String(listener)})`}`,
  () => {
    const frames = linesOf(
      generateChunks({ seed: 5, users: 500, rate: 20, start: T0 + 7, frames: 4000, lateFraction: 0.2, maxDelay: 5 }),
    );

    it(
      'counts Kafka to Kafka with READ on the input and the group and WRITE on the results only: the ' +
        'counts of the reference, the password nowhere',
      async () => {
        const setup = await setUp(frames);
        const result = await count(setup);
        expect(result.stderr).not.toMatch(/error/i);
        expect(result.code).toBe(0);
        expect(result.stderr).toMatch(/read 4,000 frames/);
        expectFinalsMatch(latestByKey(await kafka.read(setup.output)), referenceCounts(frames));
        expect(await kafka.committed(setup.group, setup.input)).toEqual(await kafka.endOffsets(setup.input));
        expect(result.stdout + result.stderr).not.toContain(setup.password);
      },
    );

    it('says in one line which ACL is missing: WRITE on the results topic, READ on the group', async () => {
      const noWrite = await setUp(frames.slice(0, 10), { write: false });
      const refused = await count(noWrite);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `uniqstream: error: cannot set up topic ${noWrite.output} on Kafka at ` +
          `${(listener as SecureListener).bootstrap}: user ${noWrite.user} may not write to it (an ACL for ` +
          `WRITE on topic ${noWrite.output} is missing`,
      );
      const noGroup = await setUp(frames.slice(0, 10), { group: false });
      const lost = await count(noGroup, ['--to', 'stdout']);
      expect(lost.code).toBe(1);
      expect(lost.stderr).toMatch(
        new RegExp(`^uniqstream: error: .*is user ${noGroup.user} allowed to READ group ${noGroup.group}\\?`, 'm'),
      );
      for (const result of [refused, lost]) {
        expect(hasStackTrace(result.stderr)).toBe(false);
        expect(result.stderr).not.toContain(noWrite.password);
        expect(result.stderr).not.toContain(noGroup.password);
      }
    });

    it('says in one line that the password is wrong, and exits 1', async () => {
      const setup = await setUp(frames.slice(0, 10));
      const wrong = newPassword();
      const refused = await count({ ...setup, password: wrong });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^uniqstream: error: .*refused the SASL login/m);
      expect(refused.stderr).not.toContain(wrong);
      expect(hasStackTrace(refused.stderr)).toBe(false);
    });

    it('counts over TLS offering only TLS_AES_128_GCM_SHA256 (--kafka-tls-ciphers)', async () => {
      const setup = await setUp(frames.slice(0, 200));
      const finished = await count(setup, ['--kafka-tls-ciphers', 'TLS_AES_128_GCM_SHA256']);
      expect(finished.code, finished.stderr).toBe(0);
      const results = latestByKey(await kafka.read(setup.output));
      expect(results.size).toBeGreaterThan(0);
    });

    it(
      'says in one line, exit 1 and no hang, when TLS cannot work: a CA that did not sign the ' +
        'broker, a name its certificate lacks, TLS to the plaintext port and plaintext to the TLS port',
      async () => {
        const setup = await setUp(frames.slice(0, 10));
        const { bootstrap, caFile } = listener as SecureListener;
        const dir = mkdtempSync(join(tmpdir(), 'uniqstream-cli-ca-'));
        const otherCa = join(dir, 'other-ca.pem');
        try {
          // A CA of its own, which signed nothing the broker holds.
          execFileSync(
            'openssl',
            [
              'req',
              '-x509',
              '-newkey',
              'rsa:2048',
              '-nodes',
              '-days',
              '1',
              '-subj',
              '/CN=other test CA',
              '-keyout',
              join(dir, 'key.pem'),
              '-out',
              otherCa,
            ],
            { stdio: 'ignore' },
          );
          const attempt = (from: string, flags: readonly string[]): Promise<Finished> =>
            run(
              BIN,
              [
                'count',
                '--from',
                `kafka://${from}/${setup.input}`,
                '--to',
                '-',
                '--group',
                setup.group,
                '--until-idle',
                '2',
                ...flags,
              ],
              {
                // A password without a user is a configuration error of its own (exit 2).
                env: flags.includes('--kafka-user') ? { UNIQSTREAM_KAFKA_PASSWORD: setup.password } : {},
              },
            );
          const login = ['--kafka-user', setup.user];
          const cases: readonly [string, Promise<Finished>, RegExp][] = [
            [
              'untrusted',
              attempt(bootstrap, ['--kafka-ca', otherCa, ...login]),
              /the TLS certificate of .* is not trusted .*: give the CA certificate that signed it$/,
            ],
            [
              'wrong name',
              attempt(bootstrap, ['--kafka-ca', caFile, '--kafka-tls-servername', 'wrong.example', ...login]),
              /the TLS certificate of .* is not for the name connected to .*wrong\.example/,
            ],
            [
              'TLS to plaintext',
              attempt(kafka.bootstrap, ['--kafka-ca', caFile]),
              /does not speak TLS .*: a plaintext port\? Turn TLS off for it, or use the broker's TLS port$/,
            ],
            [
              'plaintext to TLS',
              attempt(bootstrap, []),
              /answered in TLS: turn TLS on for it, or use the broker's plaintext port$/,
            ],
          ];
          for (const [what, finished, line] of cases) {
            const { code, stderr } = await finished;
            expect({ what, code }).toEqual({ what, code: 1 });
            const lines = stderr.trim().split('\n');
            expect(lines, `${what}: ${stderr}`).toHaveLength(1);
            expect(lines[0], what).toMatch(/^uniqstream: error: cannot connect to Kafka at /);
            expect(lines[0], what).toMatch(line);
            expect(stderr).not.toContain(setup.password);
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  },
);
