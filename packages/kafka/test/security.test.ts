import { describe, expect, it } from 'vitest';
import { KafkaError } from '../src/errors.js';
import {
  checkKafkaSecurity,
  describeSecurity,
  kafkajsSecurity,
  parseSaslMechanism,
  REDACTED,
  redactSecurity,
  secretScrubber,
  securityWarnings,
  tlsConnectOptions,
  type KafkaSecurity,
} from '../src/security.js';
import { connect } from 'node:tls';
import { fixture, tlsServer } from './support/tls.js';

const PASSWORD = 'pw-7f3a-never-shown';
const secured: KafkaSecurity = {
  tls: {
    ca: fixture('ca.pem'),
    cert: fixture('client.pem'),
    key: fixture('client-key.pem'),
    passphrase: 'key-phrase-91',
  },
  sasl: { mechanism: 'scram-sha-512', username: 'alice', password: PASSWORD },
};

function badOption(security: KafkaSecurity): string {
  try {
    checkKafkaSecurity(security);
  } catch (error) {
    expect(error).toBeInstanceOf(KafkaError);
    expect((error as KafkaError).code).toBe('BAD_OPTION');
    return (error as KafkaError).message;
  }
  throw new Error('accepted');
}

describe('parseSaslMechanism', () => {
  it("takes Kafka's names in any case and refuses others, listing the known ones", () => {
    expect(parseSaslMechanism('SCRAM-SHA-512')).toBe('scram-sha-512');
    expect(parseSaslMechanism(' plain ')).toBe('plain');
    expect(() => parseSaslMechanism('GSSAPI')).toThrow(
      'unknown SASL mechanism "GSSAPI": use one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512',
    );
  });
});

describe('checkKafkaSecurity', () => {
  it('accepts complete settings, and none', () => {
    expect(() => checkKafkaSecurity(secured)).not.toThrow();
    expect(() => checkKafkaSecurity({})).not.toThrow();
    expect(() => checkKafkaSecurity({ tls: {} })).not.toThrow();
    // A Buffer, or the Uint8Array it becomes in a worker thread.
    expect(() => checkKafkaSecurity({ tls: { ca: new Uint8Array(Buffer.from(fixture('ca.pem'))) } })).not.toThrow();
  });

  it('names what cannot work, in one line, never a secret', () => {
    const sasl = secured.sasl!;
    expect(badOption({ sasl: { ...sasl, mechanism: 'gssapi' as 'plain' } })).toContain(
      'unknown SASL mechanism "gssapi"',
    );
    expect(badOption({ sasl: { ...sasl, username: '' } })).toBe('the SASL user name is empty');
    expect(badOption({ sasl: { ...sasl, password: '' } })).toBe('the SASL password of alice is empty');
    expect(badOption({ tls: { cert: fixture('client.pem') } })).toBe('a TLS client certificate needs its key too');
    expect(badOption({ tls: { key: fixture('client-key.pem') } })).toBe('a TLS client key needs its certificate too');
    expect(badOption({ tls: { ca: 'not a certificate' } })).toBe(
      'the TLS CA is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line)',
    );
    expect(badOption({ tls: { cert: fixture('client-key.pem'), key: fixture('client-key.pem') } })).toContain(
      'the TLS client certificate is not a PEM certificate',
    );
    expect(badOption({ tls: { cert: fixture('client.pem'), key: fixture('client.pem') } })).toContain(
      'the TLS client key is not a PEM private key',
    );
  });
});

describe('tlsConnectOptions and kafkajsSecurity', () => {
  it("checks the certificate against the host's name, unless it is an IP address or the settings name another", () => {
    expect(tlsConnectOptions({}, 'kafka-1.example').servername).toBe('kafka-1.example');
    expect(tlsConnectOptions({}, '127.0.0.1').servername).toBeUndefined();
    expect(tlsConnectOptions({}, '::1').servername).toBeUndefined();
    expect(tlsConnectOptions({ servername: 'kafka.example' }, '127.0.0.1').servername).toBe('kafka.example');
    expect(tlsConnectOptions({}, 'x').rejectUnauthorized).toBe(true);
    expect(tlsConnectOptions({ rejectUnauthorized: false }, 'x').rejectUnauthorized).toBe(false);
  });

  it('offers only the cipher suites listed: a server that prefers AES-256 then agrees on AES-128', async () => {
    const server = await tlsServer(undefined, {
      ciphers: 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256',
      honorCipherOrder: true,
    });
    const cipherWith = (tls: Parameters<typeof tlsConnectOptions>[0]): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connect(
          { port: server.port, ...tlsConnectOptions({ ca: fixture('ca.pem'), ...tls }, '127.0.0.1') },
          () => {
            resolve(socket.getCipher().standardName);
            socket.destroy();
          },
        );
        socket.on('error', reject);
      });
    try {
      expect(await cipherWith({})).toBe('TLS_AES_256_GCM_SHA384');
      expect(await cipherWith({ ciphers: 'TLS_AES_128_GCM_SHA256' })).toBe('TLS_AES_128_GCM_SHA256');
      expect(kafkajsSecurity({ tls: { ciphers: 'TLS_AES_128_GCM_SHA256' } }).ssl?.ciphers).toBe(
        'TLS_AES_128_GCM_SHA256',
      );
    } finally {
      await server.close();
    }
  });

  it('gives Node the PEM as text or a Buffer (also from a Uint8Array)', () => {
    const ca = fixture('ca.pem');
    expect(tlsConnectOptions({ ca }, 'x').ca).toBe(ca);
    const fromView = tlsConnectOptions({ ca: new Uint8Array(Buffer.from(ca)) }, 'x').ca;
    expect(Buffer.isBuffer(fromView) && fromView.toString('latin1')).toBe(ca);
  });

  it(
    "maps to kafkajs's ssl and sasl, with a new sasl object for every client (kafkajs stores its " +
      'authenticator on it)',
    () => {
      const first = kafkajsSecurity(secured);
      const second = kafkajsSecurity(secured);
      expect(first.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'alice', password: PASSWORD });
      expect(first.sasl).not.toBe(second.sasl);
      expect(first.ssl).toMatchObject({ ca: fixture('ca.pem'), passphrase: 'key-phrase-91', rejectUnauthorized: true });
      expect(kafkajsSecurity(undefined)).toEqual({});
      expect(kafkajsSecurity({ sasl: secured.sasl! }).ssl).toBeUndefined();
    },
  );
});

describe('keeping secrets out of sight', () => {
  it('redactSecurity replaces the password, the key and its passphrase, and keeps the rest', () => {
    const shown = redactSecurity(secured);
    expect(shown.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'alice', password: REDACTED });
    expect(shown.tls).toMatchObject({
      ca: fixture('ca.pem'),
      cert: fixture('client.pem'),
      key: REDACTED,
      passphrase: REDACTED,
    });
    expect(JSON.stringify(shown)).not.toContain(PASSWORD);
    expect(redactSecurity({})).toEqual({});
    expect(secured.sasl!.password).toBe(PASSWORD);
  });

  it('describeSecurity says what is on in one line, without secrets', () => {
    expect(describeSecurity(undefined)).toBe('plaintext');
    expect(describeSecurity({ tls: {} })).toBe('TLS');
    expect(describeSecurity(secured)).toBe('TLS (own CA, client certificate), SASL SCRAM-SHA-512 as alice');
    expect(describeSecurity({ tls: { servername: 'k.example', rejectUnauthorized: false } })).toBe(
      'TLS (server name k.example, certificates not checked)',
    );
  });

  it('secretScrubber hides the password and the passphrase wherever they appear', () => {
    const scrub = secretScrubber(secured);
    expect(scrub(`login of alice with ${PASSWORD} failed; again ${PASSWORD}; key-phrase-91`)).toBe(
      `login of alice with ${REDACTED} failed; again ${REDACTED}; ${REDACTED}`,
    );
    expect(secretScrubber(undefined)('anything')).toBe('anything');
  });

  it('securityWarnings: a password sent in clear, certificates not checked', () => {
    expect(securityWarnings(secured)).toEqual([]);
    expect(securityWarnings({ sasl: { ...secured.sasl!, mechanism: 'plain' } })).toEqual([
      'SASL PLAIN without TLS sends the password in clear text',
    ]);
    expect(securityWarnings({ tls: { rejectUnauthorized: false } })).toHaveLength(1);
  });
});
