import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataLayout } from '../src/paths.js';
import {
  resolveSecure,
  SECURE_ENV,
  SECURE_LISTENER_ENV,
  secureKafkaConfig,
  secureListenerOf,
  testSecureListener,
  type SecureListener,
} from '../src/secure-listener.js';
import { parseKafkaVersion } from '../src/version.js';
import { codeOf } from './error-code.js';

describe('resolveSecure', () => {
  it('prefers the caller, then $UNIQSTREAM_KAFKA_SECURE, then off', () => {
    expect(resolveSecure(false, { [SECURE_ENV]: '1' })).toBe(false);
    expect(resolveSecure(true, {})).toBe(true);
    for (const yes of ['1', 'true', 'YES', ' on '])
      expect(resolveSecure(undefined, { [SECURE_ENV]: yes }), yes).toBe(true);
    for (const no of ['0', 'false', 'no', 'off', ''])
      expect(resolveSecure(undefined, { [SECURE_ENV]: no }), no).toBe(false);
    expect(resolveSecure(undefined, {})).toBe(false);
    expect(codeOf(() => resolveSecure(undefined, { [SECURE_ENV]: 'tls' }))).toBe('BAD_SECURE');
  });
});

describe('the secure listener of a data directory', () => {
  const version = parseKafkaVersion('3.9.1');
  const listener = secureListenerOf(version, 39092, dataLayout(version, 39092));

  it(
    'is on port + 2 (and + 3 for mutual TLS) of the loopback address, with its files under secure/ ' +
      'and no password',
    () => {
      expect(listener.bootstrap).toBe('127.0.0.1:39094');
      expect(listener.mutualTlsBootstrap).toBe('127.0.0.1:39095');
      expect(listener.version).toBe('3.9.1');
      expect(listener.mechanisms).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN']);
      expect(listener.adminUser).toBe('admin');
      for (const file of [listener.caFile, listener.adminPasswordFile, listener.adminClientConfig]) {
        expect(file.startsWith(`${listener.dir}/`)).toBe(true);
      }
      expect(listener.dir).toBe(join(dataLayout(version, 39092).root, 'secure'));
      expect(Object.keys(listener).some((key) => /password$/i.test(key))).toBe(false);
    },
  );

  it('reaches the test workers through the environment, or is NOT_SECURE', () => {
    expect(testSecureListener({ [SECURE_LISTENER_ENV]: JSON.stringify(listener) })).toEqual(listener);
    expect(codeOf(() => testSecureListener({}))).toBe('NOT_SECURE');
  });
});

describe('secureKafkaConfig', () => {
  let dir: string;
  let listener: SecureListener;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kafka-local-listener-'));
    const version = parseKafkaVersion('4.4.0');
    listener = { ...secureListenerOf(version, 9092, dataLayout(version, 9092)), caFile: join(dir, 'ca.pem') };
    await writeFile(listener.caFile, 'CA PEM');
    await writeFile(join(dir, 'c.pem'), 'CERT PEM');
    await writeFile(join(dir, 'c.key'), 'KEY PEM');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('trusts the CA and logs in with the mechanism kafkajs names in lower case', () => {
    for (const [mechanism, kafkajsName] of [
      ['SCRAM-SHA-256', 'scram-sha-256'],
      ['SCRAM-SHA-512', 'scram-sha-512'],
      ['PLAIN', 'plain'],
    ] as const) {
      expect(secureKafkaConfig(listener, { user: 'u', password: 'p', mechanism })).toEqual({
        brokers: ['127.0.0.1:9094'],
        ssl: { ca: ['CA PEM'] },
        sasl: { mechanism: kafkajsName, username: 'u', password: 'p' },
      });
    }
  });

  it('shows a client certificate, to the mutual TLS listener, when given one', () => {
    const config = secureKafkaConfig(
      listener,
      { user: 'u', password: 'p', mechanism: 'SCRAM-SHA-512' },
      { clientCertificate: { certFile: join(dir, 'c.pem'), keyFile: join(dir, 'c.key') } },
    );
    expect(config.ssl).toEqual({ ca: ['CA PEM'], cert: 'CERT PEM', key: 'KEY PEM' });
    expect(config.brokers).toEqual(['127.0.0.1:9095']);
  });
});
