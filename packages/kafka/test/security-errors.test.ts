import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError as ProtocolError,
  KafkaJSSASLAuthenticationError as SaslError,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { describeKafkaError } from '../src/describe-error.js';
import { KafkaError } from '../src/errors.js';
import { ANSWERED_IN_TLS, isTlsRecordStart, KafkaSecurityError, securityFailureOf } from '../src/security-errors.js';
import { TLS_ALERT } from './support/tls.js';

/* kafkajs's types leave out what these constructors take. */
const KafkaJSSASLAuthenticationError = SaslError as unknown as new (message: string) => Error;
const KafkaJSProtocolError = ProtocolError as unknown as new (error: {
  message: string;
  type: string;
  code: number;
  retriable: boolean;
}) => Error;

/** kafkajs gives up on a connection error after its retries with this wrapper around it. */
function givenUp(error: Error): Error {
  return new KafkaJSNumberOfRetriesExceeded(error, { retryCount: 0, retryTime: 300 });
}

function failure(error: unknown): [string, string] {
  const found = securityFailureOf(error);
  expect(found).toBeInstanceOf(KafkaSecurityError);
  expect(found).toBeInstanceOf(KafkaError);
  expect(found!.code).toBe('SECURITY');
  expect(found!.cause).toBe(error);
  return [found!.failure, found!.message];
}

describe('securityFailureOf', () => {
  it("reads the broker's SASL answers and kafkajs's own SASL errors", () => {
    const refused = new KafkaJSSASLAuthenticationError(
      'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to ' +
        'invalid credentials with SASL mechanism SCRAM-SHA-512',
    );
    expect(failure(refused)).toEqual([
      'AUTHENTICATION_FAILED',
      'the broker refused the SASL login: Authentication failed during authentication due to invalid ' +
        'credentials with SASL mechanism SCRAM-SHA-512',
    ]);
    const unsupported = new KafkaJSProtocolError({
      message: 'The broker does not support the requested SASL mechanism',
      type: 'UNSUPPORTED_SASL_MECHANISM',
      code: 33,
      retriable: false,
    });
    expect(failure(unsupported)).toEqual([
      'UNSUPPORTED_SASL_MECHANISM',
      'the broker does not take the SASL mechanism asked for',
    ]);
    expect(failure(new KafkaJSSASLAuthenticationError('SASL PLAIN mechanism is not supported by the server'))[0]).toBe(
      'UNSUPPORTED_SASL_MECHANISM',
    );
    const noSasl = new KafkaJSProtocolError({
      message: 'Request is not valid given the current SASL state',
      type: 'ILLEGAL_SASL_STATE',
      code: 34,
      retriable: false,
    });
    expect(failure(noSasl)).toEqual([
      'UNSUPPORTED_SASL_MECHANISM',
      "the broker takes no SASL login on this port: turn SASL off for it, or use the broker's SASL port",
    ]);
  });

  it("reads Node's TLS errors inside kafkajs's connection errors, naming the broker", () => {
    const connection = (message: string, code: string): Error =>
      givenUp(new KafkaJSConnectionError(`Connection error: ${message}`, { broker: 'k1:9093', code }));
    expect(failure(connection('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'))).toEqual([
      'TLS_UNTRUSTED',
      'the TLS certificate of k1:9093 is not trusted (self-signed certificate in certificate chain): ' +
        'give the CA certificate that signed it',
    ]);
    expect(
      failure(
        connection(
          "Hostname/IP does not match certificate's altnames: Host: k1. is not in the cert's altnames: DNS:k2",
          'ERR_TLS_CERT_ALTNAME_INVALID',
        ),
      )[0],
    ).toBe('TLS_HOSTNAME_MISMATCH');
    expect(
      failure(
        connection('Client network socket disconnected before secure TLS connection was established', 'ECONNRESET'),
      ),
    ).toEqual([
      'TLS_TO_PLAINTEXT_PORT',
      'k1:9093 does not speak TLS (it closed the connection during the TLS handshake): a plaintext ' +
        "port? Turn TLS off for it, or use the broker's TLS port",
    ]);
    expect(failure(connection('k1:9093 answered in TLS', ANSWERED_IN_TLS))).toEqual([
      'PLAINTEXT_TO_TLS_PORT',
      "k1:9093 answered in TLS: turn TLS on for it, or use the broker's plaintext port",
    ]);
    expect(failure(connection('certificate has expired', 'CERT_HAS_EXPIRED'))).toEqual([
      'TLS_FAILED',
      'TLS with k1:9093 failed: certificate has expired',
    ]);
    const openssl =
      '80BC5BF7:error:0A00010B:SSL routines:ssl3_get_record:wrong version ' +
      'number:../deps/openssl/ssl/record/ssl3_record.c:354:\n';
    expect(failure(connection(openssl, 'ERR_SSL_WRONG_VERSION_NUMBER'))).toEqual([
      'TLS_TO_PLAINTEXT_PORT',
      'k1:9093 does not speak TLS (wrong version number): a plaintext port? Turn TLS off for it, or ' +
        "use the broker's TLS port",
    ]);
  });

  it('leaves other failures alone, and returns a security KafkaError as it is', () => {
    expect(
      securityFailureOf(
        new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092', {
          broker: 'x',
          code: 'ECONNREFUSED',
        }),
      ),
    ).toBeUndefined();
    expect(securityFailureOf(new Error('boom'))).toBeUndefined();
    expect(securityFailureOf(new KafkaError('FAILED', 'refused'))).toBeUndefined();
    expect(securityFailureOf(undefined)).toBeUndefined();
    const own = new KafkaSecurityError('AUTHENTICATION_FAILED', 'x refused the SASL login');
    expect(securityFailureOf(new Error('wrapped', { cause: own }))).toBe(own);
    // A cause that refers back to itself ends the walk.
    const looping = new Error('loop') as Error & { cause: unknown };
    looping.cause = looping;
    expect(securityFailureOf(looping)).toBeUndefined();
  });

  it("describeKafkaError gives the security line instead of kafkajs's", () => {
    const error = givenUp(
      new KafkaJSConnectionError('Connection error: unable to verify the first certificate', {
        broker: 'k1:9093',
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      }),
    );
    expect(describeKafkaError(error)).toBe(
      'the TLS certificate of k1:9093 is not trusted (unable to verify the first certificate): give ' +
        'the CA certificate that signed it',
    );
  });

  it("leaves out Node 24's advice to run Node with --use-system-ca: the line gives uniqstream's remedy", () => {
    const node24 = Object.assign(
      new Error(
        'unable to verify the first certificate; if the root CA is installed locally, try running Node.js ' +
          'with --use-system-ca',
      ),
      { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    );
    expect(securityFailureOf(node24, 'k1:9093')?.message).toBe(
      'the TLS certificate of k1:9093 is not trusted (unable to verify the first certificate): give ' +
        'the CA certificate that signed it',
    );
  });
});

describe('isTlsRecordStart', () => {
  it('knows TLS alerts and handshakes, and no Kafka answer size a client meets', () => {
    expect(isTlsRecordStart(TLS_ALERT)).toBe(true);
    expect(isTlsRecordStart(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]))).toBe(true);
    expect(isTlsRecordStart(Buffer.from([0x00, 0x00, 0x10, 0x00]))).toBe(false);
    expect(isTlsRecordStart(Buffer.from([0x15]))).toBe(false);
    expect(isTlsRecordStart(Buffer.from([0x15, 0x02]))).toBe(false);
  });
});
