import { statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addScramArgs,
  adminStampMatches,
  checkPassword,
  checkUserName,
  ensureAdminPassword,
  readClusterId,
  renderClientConfig,
  scramCredentialConfig,
  writeAdminStamp,
} from '../src/credentials.js';
import { secureLayout, type SecureLayout } from '../src/paths.js';
import { readProperties } from './properties.js';
import { codeOf } from './error-code.js';

describe('user names and passwords', () => {
  it('takes names that need no escaping in SCRAM or an ACL principal', () => {
    for (const name of ['alice', 'svc.cli-1', 'A_B', 'x'.repeat(64)])
      expect(
        codeOf(() => checkUserName(name)),
        name,
      ).toBe('accepted');
    for (const name of ['', 'a b', 'a,b', 'a=b', 'User:x', 'é', 'x'.repeat(65)])
      expect(
        codeOf(() => checkUserName(name)),
        name,
      ).toBe('BAD_USER');
  });

  it(
    'takes printable passwords kafka-configs can read inside [password=...], and never repeats one ' + 'in the error',
    () => {
      for (const password of ['s3cret', 'a!#$%&()*+-./:;<>?@^_`{|}~z'])
        expect(
          codeOf(() => checkPassword('u', password)),
          password,
        ).toBe('accepted');
      for (const password of ['', 'a b', 'a,b', 'a]b', 'a[b', 'a=b', 'a"b', "a'b", 'a\\b', 'tab\there', 'ü']) {
        expect(
          codeOf(() => checkPassword('u', password)),
          password,
        ).toBe('BAD_USER');
      }
      try {
        checkPassword('u', 'leaky password');
      } catch (error) {
        expect((error as Error).message).not.toContain('leaky');
      }
    },
  );

  it('writes SCRAM settings as kafka-storage and kafka-configs read them', () => {
    expect(addScramArgs('admin', 'pw')).toEqual([
      '--add-scram',
      'SCRAM-SHA-256=[name=admin,password=pw]',
      '--add-scram',
      'SCRAM-SHA-512=[name=admin,password=pw]',
    ]);
    expect(scramCredentialConfig('SCRAM-SHA-512', 'pw')).toBe('SCRAM-SHA-512=[password=pw]');
  });

  it('writes client settings for Kafka tools that log in over SASL_SSL and trust the CA', () => {
    const props = readProperties(
      renderClientConfig({ user: 'admin', password: 'p-w', mechanism: 'SCRAM-SHA-512', caFile: '/d/secure/ca.pem' }),
    );
    expect(Object.fromEntries(props)).toEqual({
      'security.protocol': 'SASL_SSL',
      'sasl.mechanism': 'SCRAM-SHA-512',
      'sasl.jaas.config':
        'org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="p-w";',
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': '/d/secure/ca.pem',
    });
  });
});

describe('the admin password and its stamp', () => {
  let dir: string;
  let layout: SecureLayout;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kafka-local-credentials-'));
    layout = secureLayout(join(dir, 'secure'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is made once, random, in a file only the owner reads, and then kept', async () => {
    const password = await ensureAdminPassword(layout);
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(statSync(layout.adminPassword).mode & 0o777).toBe(0o600);
    expect(await readFile(layout.adminPassword, 'utf8')).toBe(`${password}\n`);
    expect(await ensureAdminPassword(layout)).toBe(password);
    const other = secureLayout(join(dir, 'other'));
    expect(await ensureAdminPassword(other)).not.toBe(password);
  });

  it(
    'is stamped for one storage and one password: another of either means the credentials must be ' + 'written again',
    async () => {
      expect(await adminStampMatches(layout, 'cluster-a', 'pw1')).toBe(false);
      await ensureAdminPassword(layout);
      await writeAdminStamp(layout, 'cluster-a', 'pw1');
      expect(await adminStampMatches(layout, 'cluster-a', 'pw1')).toBe(true);
      expect(await adminStampMatches(layout, 'cluster-b', 'pw1')).toBe(false);
      expect(await adminStampMatches(layout, 'cluster-a', 'pw2')).toBe(false);
      expect(await readFile(layout.adminStamp, 'utf8')).not.toContain('pw1');
    },
  );

  it('reads the cluster id from meta.properties', async () => {
    const meta = join(dir, 'meta.properties');
    await writeFile(
      meta,
      '#\n#Mon Dec 07\nnode.id=1\ndirectory.id=abc\nversion=1\ncluster.id=K2yRYN0aRhqNnz4-u9t1dA\n',
    );
    expect(await readClusterId(meta)).toBe('K2yRYN0aRhqNnz4-u9t1dA');
  });
});
