import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SecureAdmin,
  TestKafka,
  secureListenerOrWhyNot,
  uniqueName,
  type SecureListener,
} from '@uniqstream/kafka-local';
import { afterAll, describe, expect, it } from 'vitest';
import { sim } from '../support/bin.js';
import { splitLines } from '../support/reference.js';

/*
 * uniqstream-sim producing over the test broker's SASL_SSL listener,
 * logged in with SCRAM-SHA-512 and holding only WRITE on its topic
 * (created beforehand). Skipped when the broker runs without `--secure`.
 */

const listener = secureListenerOrWhyNot();
const secured = typeof listener !== 'string';
const kafka = new TestKafka({ clientId: 'uniqstream-sim-test' });
let admin: SecureAdmin | undefined;

afterAll(async () => {
  await admin?.close();
  await kafka.close();
});

describe.skipIf(!secured)(
  `uniqstream-sim over SASL_SSL with SCRAM-SHA-512${secured ? '' : ` (skipped: ${String(listener)})`}`,
  () => {
    const common = ['--seed', '3', '--frames', '3000', '--realistic', '--quiet'];

    it(
      'writes every frame with WRITE on its topic only, ' + 'the password from a file and nowhere in its output',
      async () => {
        const { bootstrap, caFile } = listener as SecureListener;
        admin ??= new SecureAdmin(listener as SecureListener);
        const topic = await kafka.createTopic(uniqueName('sim-sec'), 2);
        const denied = await kafka.createTopic(uniqueName('sim-sec-denied'), 1);
        const user = uniqueName('sim');
        const password = `pw-${randomBytes(9).toString('hex')}`;
        await admin.createUser(user, password, 'SCRAM-SHA-512');
        await admin.grant(user, [{ resource: 'topic', name: topic, operations: ['write'] }]);
        const passwordFile = join(mkdtempSync(join(tmpdir(), 'uniqstream-sim-')), 'password');
        writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
        const login = ['--kafka-ca', caFile, '--kafka-user', user, '--kafka-password-file', passwordFile];

        const result = sim([...common, '--to', `kafka://${bootstrap}/${topic}`, '--key', 'none', ...login]);
        expect(result.stderr).toBe('');
        expect(result.status).toBe(0);
        const lines = splitLines(sim(common).stdout);
        const received = (await kafka.read(topic)).map((r) => (r.value ?? Buffer.alloc(0)).toString('hex')).sort();
        expect(received).toEqual(lines.map((l) => l.toString('hex')).sort());

        // A topic it may not write to: one line, exit 1.
        const refused = sim([...common, '--to', `kafka://${bootstrap}/${denied}`, ...login]);
        expect(refused.status).toBe(1);
        expect(refused.stderr).toBe(
          `uniqstream-sim: cannot set up topic ${denied} on Kafka at ${bootstrap}: user ${user} may not ` +
            `write to it (an ACL for WRITE on topic ${denied} is missing; CREATE too, if it does not exist yet)\n`,
        );
        // The wrong password: one line, exit 1; neither password shown.
        const wrong = `pw-${randomBytes(9).toString('hex')}`;
        const badLogin = sim(
          [...common, '--to', `kafka://${bootstrap}/${topic}`, '--kafka-ca', caFile, '--kafka-user', user],
          { env: { UNIQSTREAM_KAFKA_PASSWORD: wrong } },
        );
        expect(badLogin.status).toBe(1);
        expect(badLogin.stderr).toMatch(/refused the SASL login/);
        expect(badLogin.stderr.trim().split('\n')).toHaveLength(1);
        for (const shown of [result.stderr, refused.stderr, badLogin.stderr]) {
          expect(shown).not.toContain(password);
          expect(shown).not.toContain(wrong);
        }
      },
    );
  },
);
