import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppConfigError } from '../src/errors.js';
import {
  KAFKA_CONNECTION_FLAG_SPECS,
  KAFKA_CONNECTION_OPTION_SPECS,
  KAFKA_PASSWORD_ENV,
  kafkaConnectionHelp,
  resolveKafkaSecurity,
} from '../src/kafka-connection.js';
import { layeredValues } from '../src/layers.js';
import { envName, flagProperty } from '../src/option-spec.js';

/** A copy of the test-only CA certificate of @uniqstream/kafka's test/fixtures/tls (see its README there). */
const FIXTURES = new URL('fixtures/', import.meta.url);

function fixturePath(name: 'ca.pem'): string {
  return new URL(name, FIXTURES).pathname;
}

function fixture(name: 'ca.pem'): string {
  return readFileSync(new URL(name, FIXTURES), 'latin1');
}

const SECRET = 'Sw0rdf1sh-7c1d';

function failure(resolve: () => unknown): AppConfigError {
  try {
    resolve();
  } catch (error) {
    expect(error).toBeInstanceOf(AppConfigError);
    expect((error as AppConfigError).code).toBe('BAD_OPTION');
    expect((error as AppConfigError).message).not.toContain(SECRET);
    return error as AppConfigError;
  }
  throw new Error('resolved');
}

function passwordFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'uniqstream-password-')), 'password');
  writeFileSync(file, text);
  return file;
}

describe('KAFKA_CONNECTION_OPTION_SPECS', () => {
  it('has one environment variable per setting, UNIQSTREAM_ and the flag name', () => {
    expect(KAFKA_CONNECTION_OPTION_SPECS.map((spec) => envName(spec.name))).toEqual([
      'UNIQSTREAM_KAFKA_TLS',
      'UNIQSTREAM_KAFKA_CA',
      'UNIQSTREAM_KAFKA_CERT',
      'UNIQSTREAM_KAFKA_KEY',
      'UNIQSTREAM_KAFKA_TLS_SERVERNAME',
      'UNIQSTREAM_KAFKA_TLS_CIPHERS',
      'UNIQSTREAM_KAFKA_SASL_MECHANISM',
      'UNIQSTREAM_KAFKA_USER',
      'UNIQSTREAM_KAFKA_PASSWORD_FILE',
      KAFKA_PASSWORD_ENV,
    ]);
  });

  it('makes no flag of the password, and no help text shows a secret', () => {
    expect(KAFKA_CONNECTION_FLAG_SPECS.map((s) => s.name)).not.toContain('kafka-password');
    expect(KAFKA_CONNECTION_FLAG_SPECS.map((s) => s.name)).toEqual([
      'kafka-tls',
      'kafka-ca',
      'kafka-cert',
      'kafka-key',
      'kafka-tls-servername',
      'kafka-tls-ciphers',
      'kafka-sasl-mechanism',
      'kafka-user',
      'kafka-password-file',
    ]);
    expect(kafkaConnectionHelp('every Kafka endpoint')).toContain(KAFKA_PASSWORD_ENV);
  });
});

describe('resolveKafkaSecurity', () => {
  it('is plaintext without a login when nothing is given', () => {
    expect(resolveKafkaSecurity({})).toBeUndefined();
    expect(resolveKafkaSecurity({ env: { UNIQSTREAM_KAFKA_TLS: '0' } })).toBeUndefined();
  });

  it('turns TLS on by itself with a CA, and reads it', () => {
    expect(resolveKafkaSecurity({ flags: { kafkaCa: fixturePath('ca.pem') } })).toEqual({
      tls: { ca: fixture('ca.pem') },
    });
    expect(resolveKafkaSecurity({ flags: { kafkaTls: true } })).toEqual({ tls: {} });
    expect(resolveKafkaSecurity({ env: { UNIQSTREAM_KAFKA_TLS_SERVERNAME: 'kafka.example' } })).toEqual({
      tls: { servername: 'kafka.example' },
    });
    expect(resolveKafkaSecurity({ flags: { kafkaTlsCiphers: 'TLS_AES_128_GCM_SHA256' } })).toEqual({
      tls: { ciphers: 'TLS_AES_128_GCM_SHA256' },
    });
  });

  it('takes a cipher list OpenSSL knows, and says in one line when it knows none of it', () => {
    const list = 'TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256';
    expect(resolveKafkaSecurity({ env: { UNIQSTREAM_KAFKA_TLS_CIPHERS: list } })?.tls?.ciphers).toBe(list);
    expect(failure(() => resolveKafkaSecurity({ env: { UNIQSTREAM_KAFKA_TLS_CIPHERS: 'AES-999' } })).message).toBe(
      'kafka-tls-ciphers "AES-999" names no cipher suite Node\'s OpenSSL offers (e.g. TLS_AES_128_GCM_SHA256) ' +
        '(in UNIQSTREAM_KAFKA_TLS_CIPHERS)',
    );
    expect(
      failure(() => resolveKafkaSecurity({ flags: { kafkaTlsCiphers: list }, env: { UNIQSTREAM_KAFKA_TLS: 'false' } }))
        .message,
    ).toMatch(/^TLS is turned off/);
  });

  it('logs in with SCRAM-SHA-512 unless told otherwise, the password from the environment', () => {
    expect(
      resolveKafkaSecurity({ flags: { kafkaUser: 'cli', kafkaTls: true }, env: { [KAFKA_PASSWORD_ENV]: SECRET } }),
    ).toEqual({
      tls: {},
      sasl: { mechanism: 'scram-sha-512', username: 'cli', password: SECRET },
    });
    expect(
      resolveKafkaSecurity({
        env: { UNIQSTREAM_KAFKA_USER: 'cli', UNIQSTREAM_KAFKA_SASL_MECHANISM: 'PLAIN', [KAFKA_PASSWORD_ENV]: SECRET },
      })?.sasl?.mechanism,
    ).toBe('plain');
  });

  it("reads the password file's first line", () => {
    const file = passwordFile(`${SECRET}\n`);
    expect(resolveKafkaSecurity({ flags: { kafkaUser: 'cli', kafkaPasswordFile: file } })?.sasl?.password).toBe(SECRET);
    expect(
      resolveKafkaSecurity({ flags: { kafkaUser: 'cli', kafkaPasswordFile: passwordFile(`${SECRET}\r\n`) } })?.sasl
        ?.password,
    ).toBe(SECRET);
  });

  it('takes flags over the environment over the config file', () => {
    const sources = {
      file: { 'kafka-user': 'file', 'kafka-tls-servername': 'from-file' },
      env: { UNIQSTREAM_KAFKA_USER: 'env', [KAFKA_PASSWORD_ENV]: SECRET },
    };
    expect(resolveKafkaSecurity(sources)?.sasl?.username).toBe('env');
    expect(resolveKafkaSecurity({ ...sources, flags: { kafkaUser: 'flag' } })?.sasl?.username).toBe('flag');
    expect(resolveKafkaSecurity(sources)?.tls?.servername).toBe('from-file');
  });

  it('refuses in one line what cannot work, never quoting the password', () => {
    expect(failure(() => resolveKafkaSecurity({ flags: { kafkaUser: 'cli' } })).message).toBe(
      `--kafka-user cli needs a password: set ${KAFKA_PASSWORD_ENV} or --kafka-password-file`,
    );
    expect(failure(() => resolveKafkaSecurity({ env: { [KAFKA_PASSWORD_ENV]: SECRET } })).message).toBe(
      `a Kafka password is given (${KAFKA_PASSWORD_ENV}) but no --kafka-user`,
    );
    expect(failure(() => resolveKafkaSecurity({ flags: { kafkaSaslMechanism: 'plain' } })).message).toBe(
      '--kafka-sasl-mechanism needs --kafka-user: whom to log in as',
    );
    expect(failure(() => resolveKafkaSecurity({ env: { UNIQSTREAM_KAFKA_SASL_MECHANISM: 'GSSAPI' } })).message).toBe(
      'unknown SASL mechanism "GSSAPI": use one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (in ' +
        'UNIQSTREAM_KAFKA_SASL_MECHANISM)',
    );
    const file = passwordFile(SECRET);
    expect(
      failure(() =>
        resolveKafkaSecurity({
          flags: { kafkaUser: 'cli', kafkaPasswordFile: file },
          env: { [KAFKA_PASSWORD_ENV]: SECRET },
        }),
      ).message,
    ).toBe(`give the Kafka password in ${KAFKA_PASSWORD_ENV} or --kafka-password-file, not both`);
    const missing = join(tmpdir(), 'uniqstream-no-such-password');
    expect(
      failure(() => resolveKafkaSecurity({ flags: { kafkaUser: 'cli', kafkaPasswordFile: missing } })).message,
    ).toBe(`cannot read the Kafka password file ${missing}: no such file`);
    const empty = passwordFile('\n');
    expect(failure(() => resolveKafkaSecurity({ flags: { kafkaUser: 'cli', kafkaPasswordFile: empty } })).message).toBe(
      `the Kafka password file ${empty} is empty`,
    );
    expect(failure(() => resolveKafkaSecurity({ flags: { kafkaCa: missing } })).message).toBe(
      `cannot read the TLS CA file ${missing}: no such file`,
    );
    expect(
      failure(() =>
        resolveKafkaSecurity({ flags: { kafkaCa: fixturePath('ca.pem') }, env: { UNIQSTREAM_KAFKA_TLS: 'false' } }),
      ).message,
    ).toMatch(/^TLS is turned off/);
    expect(failure(() => resolveKafkaSecurity({ file: { 'kafka-password': SECRET } })).message).toBe(
      `kafka-password does not go in the config file: set ${KAFKA_PASSWORD_ENV} or --kafka-password-file`,
    );
  });
});

describe('layeredValues of the Kafka connection specs', () => {
  it('reads every setting from the environment', () => {
    const textFor = (name: string): string =>
      name === 'kafka-tls'
        ? '1'
        : name === 'kafka-sasl-mechanism'
          ? 'scram-sha-256'
          : name === 'kafka-tls-ciphers'
            ? 'TLS_AES_128_GCM_SHA256'
            : `v-${name}`;
    const env = Object.fromEntries(
      KAFKA_CONNECTION_OPTION_SPECS.map((spec) => [envName(spec.name), textFor(spec.name)]),
    );
    const values = layeredValues(KAFKA_CONNECTION_OPTION_SPECS, { env });
    expect(Object.keys(values).sort()).toEqual(KAFKA_CONNECTION_OPTION_SPECS.map((s) => s.key).sort());
    expect(flagProperty('kafka-sasl-mechanism')).toBe('kafkaSaslMechanism');
  });
});
