import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KafkaError } from '../src/errors.js';
import { loadKafkaSecurity } from '../src/security-files.js';
import { fixture, fixturePath } from './support/tls.js';

function failure(load: () => unknown): KafkaError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(KafkaError);
    return error as KafkaError;
  }
  throw new Error('loaded');
}

describe('loadKafkaSecurity', () => {
  it('reads the PEM files and keeps the other settings', () => {
    const sasl = { mechanism: 'scram-sha-256', username: 'alice', password: 'pw' } as const;
    const security = loadKafkaSecurity({
      tls: {
        caFile: fixturePath('ca.pem'),
        certFile: fixturePath('client.pem'),
        keyFile: fixturePath('client-key.pem'),
        servername: 'localhost',
      },
      sasl,
    });
    expect(security).toEqual({
      tls: {
        ca: fixture('ca.pem'),
        cert: fixture('client.pem'),
        key: fixture('client-key.pem'),
        servername: 'localhost',
      },
      sasl,
    });
    expect(loadKafkaSecurity({})).toEqual({});
  });

  it('says in one line which file is missing, unreadable or not PEM', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uniqstream-tls-'));
    const missing = join(dir, 'nope.pem');
    expect(failure(() => loadKafkaSecurity({ tls: { caFile: missing } })).message).toBe(
      `cannot read the TLS CA file ${missing}: no such file`,
    );
    expect(failure(() => loadKafkaSecurity({ tls: { caFile: dir } })).message).toBe(
      `cannot read the TLS CA file ${dir}: it is a directory`,
    );
    const text = join(dir, 'ca.txt');
    writeFileSync(text, 'hello\n');
    const notPem = failure(() => loadKafkaSecurity({ tls: { caFile: text } }));
    expect(notPem.code).toBe('BAD_OPTION');
    expect(notPem.message).toBe(
      `the TLS CA file ${text} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line)`,
    );
    expect(
      failure(() => loadKafkaSecurity({ tls: { certFile: fixturePath('client.pem'), keyFile: text } })).message,
    ).toBe(`the TLS client key file ${text} is not a PEM private key (no "-----BEGIN ... PRIVATE KEY-----" line)`);
    expect(failure(() => loadKafkaSecurity({ tls: { certFile: fixturePath('client.pem') } })).message).toBe(
      'a TLS client certificate needs its key too',
    );
  });
});
