import { KafkaError } from './errors.js';

/*
 * One line for each way a secured connection fails for good: the same
 * words whether kafkajs or the Kafka source's own fetch connections hit
 * it. Retrying does not help with any of them, so the wait for a broker
 * at start gives up on them at once.
 */

/** The ways a secured connection fails for good. */
export const SECURITY_FAILURES = [
  /** The broker refused the SASL login (wrong user name or password). */
  'AUTHENTICATION_FAILED',
  /** The broker does not take the SASL mechanism asked for, or no SASL login at all on that port. */
  'UNSUPPORTED_SASL_MECHANISM',
  /** The broker's TLS certificate is not signed by a trusted CA. */
  'TLS_UNTRUSTED',
  /** The broker's TLS certificate is not for the host name connected to. */
  'TLS_HOSTNAME_MISMATCH',
  /** TLS to a port that does not speak it (a plaintext listener). */
  'TLS_TO_PLAINTEXT_PORT',
  /** Plaintext to a port that answers in TLS. */
  'PLAINTEXT_TO_TLS_PORT',
  /** Any other failed TLS handshake (an expired certificate, a client certificate refused or missing). */
  'TLS_FAILED',
] as const;
export type SecurityFailure = (typeof SECURITY_FAILURES)[number];

/** A KafkaError with code SECURITY: `failure` says which way, the message what to change, in one line. */
export class KafkaSecurityError extends KafkaError {
  readonly failure: SecurityFailure;
  constructor(failure: SecurityFailure, message: string, options?: { cause?: unknown }) {
    super('SECURITY', message, options);
    this.failure = failure;
  }
}

/** A broker when its address is not known (kafkajs's SASL errors do not name it). */
const SOME_BROKER = 'the broker';

/** The one-line messages, for callers that detect a failure themselves (the source's fetch connections). */
export const securityLines = {
  authenticationFailed(where: string | undefined, login: string | undefined, detail: string): string {
    const as = login === undefined ? '' : ` (${login})`;
    const why = detail === '' ? '' : `: ${detail}`;
    return `${where ?? SOME_BROKER} refused the SASL login${as}${why}`;
  },
  /** `offered`: the mechanisms the broker listed, when known; empty: it takes no SASL login on that port. */
  unsupportedMechanism(
    where: string | undefined,
    mechanism: string | undefined,
    offered: readonly string[] | undefined,
  ): string {
    const broker = where ?? SOME_BROKER;
    if (offered !== undefined && offered.length === 0)
      return `${broker} takes no SASL login on this port: turn SASL off for it, or use the broker's SASL port`;
    const asked = mechanism === undefined ? 'the SASL mechanism asked for' : `SASL ${mechanism.toUpperCase()}`;
    return `${broker} does not take ${asked}${offered === undefined ? '' : `; it offers ${offered.join(', ')}`}`;
  },
  tlsUntrusted(where: string | undefined, reason: string): string {
    return (
      `the TLS certificate of ${where ?? SOME_BROKER} is not trusted (${reason}): give the CA ` +
      `certificate that signed it`
    );
  },
  tlsHostnameMismatch(where: string | undefined, reason: string): string {
    return (
      `the TLS certificate of ${where ?? SOME_BROKER} is not for the name connected to ` +
      `(${reason}): connect by a name it lists, or set the TLS server name to one`
    );
  },
  /** `how`: what showed it, e.g. `no TLS handshake within 3000 ms`. */
  tlsToPlaintext(where: string | undefined, how: string): string {
    return (
      `${where ?? SOME_BROKER} does not speak TLS (${how}): a plaintext port? Turn TLS off for ` +
      `it, or use the broker's TLS port`
    );
  },
  plaintextToTls(where: string | undefined): string {
    return `${where ?? SOME_BROKER} answered in TLS: turn TLS on for it, or use the broker's plaintext port`;
  },
  tlsFailed(where: string | undefined, reason: string): string {
    return `TLS with ${where ?? SOME_BROKER} failed: ${reason}`;
  },
};

/**
 * The code of the error with which a plaintext connection is ended once
 * its first bytes turn out to be TLS (see isTlsRecordStart).
 */
export const ANSWERED_IN_TLS = 'UNIQSTREAM_ANSWERED_IN_TLS';

/* A TLS record starts with its content type, then the major version 3 (SSL 3.0 to TLS 1.3). */
const TLS_ALERT = 0x15;
const TLS_HANDSHAKE = 0x16;
const TLS_MAJOR_VERSION = 0x03;

/**
 * True when `bytes`, the first a broker sent on a plaintext connection,
 * are a TLS record: a Kafka TLS listener answers a plaintext request with
 * an alert. As a Kafka answer they would announce more than 350 MB
 * (0x1503....), which no answer to this client comes near.
 */
export function isTlsRecordStart(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && (bytes[0] === TLS_ALERT || bytes[0] === TLS_HANDSHAKE) && bytes[1] === TLS_MAJOR_VERSION;
}

/** Node's (OpenSSL's) codes for a certificate chain that does not lead to a trusted CA. */
const UNTRUSTED_CERTIFICATE = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
]);
const HOSTNAME_MISMATCH = 'ERR_TLS_CERT_ALTNAME_INVALID';
/** What OpenSSL says when the other side sent something that is not TLS. */
const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST']);
/** Node's message for a TLS socket closed during its handshake: a Kafka plaintext port drops a ClientHello as an
 * oversized request. */
const CLOSED_IN_HANDSHAKE = 'before secure TLS connection was established';
/** The TLS 1.3 alert of a broker that asks for a client certificate and got none. */
const CERTIFICATE_REQUIRED = 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED';
/** Other certificate and handshake problems Node reports by code. */
const OTHER_TLS = /^(ERR_SSL_|ERR_TLS_|CERT_|ERR_OSSL_)/;
/** kafkajs's own words for the SASL failures it detects itself. */
const KAFKAJS_SASL_ERROR = 'KafkaJSSASLAuthenticationError';
const KAFKAJS_UNSUPPORTED = /mechanism is not supported/;
/**
 * Node 24 ends an untrusted-certificate message with advice about its own
 * `--use-system-ca` flag; the one line gives uniqstream's own remedy instead.
 */
const NODE_CA_HINT = /; if the root CA is installed locally, try running Node\.js with --use-system-ca$/;
/** Chains longer than this are not followed (a cause that refers back to itself). */
const MAX_CAUSES = 8;

interface ErrorFields {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly type?: unknown;
  readonly broker?: unknown;
  readonly cause?: unknown;
  readonly originalError?: unknown;
}

/**
 * A KafkaSecurityError with its one line, when
 * `error` or an error it wraps is a secured connection failing for good:
 * Node's TLS errors (also inside kafkajs's connection errors), kafkajs's
 * SASL errors and the broker's SASL error answers, a plaintext connection
 * answered in TLS. Undefined for anything else. `where` names the broker
 * when the error does not (kafkajs names it on its connection errors).
 */
export function securityFailureOf(error: unknown, where?: string): KafkaSecurityError | undefined {
  const chain: ErrorFields[] = [];
  for (let current: unknown = error; chain.length < MAX_CAUSES && typeof current === 'object' && current !== null; ) {
    if (current instanceof KafkaSecurityError) return current;
    const fields = current as ErrorFields;
    chain.push(fields);
    current = fields.cause ?? fields.originalError;
  }
  // kafkajs names the broker on its connection error, which may be the cause of the error it gave up with.
  const broker =
    chain.map((fields) => fields.broker).find((named): named is string => typeof named === 'string') ?? where;
  for (const fields of chain) {
    const found = classify(fields, broker);
    if (found !== undefined) return new KafkaSecurityError(found[0], found[1], { cause: error });
  }
  return undefined;
}

function classify(fields: ErrorFields, where: string | undefined): [SecurityFailure, string] | undefined {
  const code = typeof fields.code === 'string' ? fields.code : '';
  const message = typeof fields.message === 'string' ? readable(fields.message) : '';
  if (UNTRUSTED_CERTIFICATE.has(code)) return ['TLS_UNTRUSTED', securityLines.tlsUntrusted(where, message)];
  if (code === HOSTNAME_MISMATCH) return ['TLS_HOSTNAME_MISMATCH', securityLines.tlsHostnameMismatch(where, message)];
  if (NOT_TLS.has(code)) return ['TLS_TO_PLAINTEXT_PORT', securityLines.tlsToPlaintext(where, message)];
  if (message.includes(CLOSED_IN_HANDSHAKE))
    return [
      'TLS_TO_PLAINTEXT_PORT',
      securityLines.tlsToPlaintext(where, 'it closed the connection during the TLS handshake'),
    ];
  if (code === ANSWERED_IN_TLS) return ['PLAINTEXT_TO_TLS_PORT', securityLines.plaintextToTls(where)];
  if (code === CERTIFICATE_REQUIRED)
    return [
      'TLS_FAILED',
      securityLines.tlsFailed(where, `${message}: the broker wants a client certificate (and its key)`),
    ];
  if (OTHER_TLS.test(code)) return ['TLS_FAILED', securityLines.tlsFailed(where, message)];
  switch (fields.type) {
    case 'SASL_AUTHENTICATION_FAILED':
      return ['AUTHENTICATION_FAILED', securityLines.authenticationFailed(where, undefined, message)];
    case 'UNSUPPORTED_SASL_MECHANISM':
      return ['UNSUPPORTED_SASL_MECHANISM', securityLines.unsupportedMechanism(where, undefined, undefined)];
    case 'ILLEGAL_SASL_STATE':
      // What a broker answers a SaslHandshake with on a port without SASL.
      return ['UNSUPPORTED_SASL_MECHANISM', securityLines.unsupportedMechanism(where, undefined, [])];
  }
  if (fields.name === KAFKAJS_SASL_ERROR) {
    if (KAFKAJS_UNSUPPORTED.test(message))
      return ['UNSUPPORTED_SASL_MECHANISM', securityLines.unsupportedMechanism(where, undefined, undefined)];
    return ['AUTHENTICATION_FAILED', securityLines.authenticationFailed(where, undefined, afterFailed(message))];
  }
  return undefined;
}

/** OpenSSL's `<id>:error:<code>:<library>:<function>:<reason>:<file>:<line>:...`: its reason is what a user can
 * read. */
const OPENSSL_ERROR = /^[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):/;

/** Node's message, without kafkajs's `Connection error: ` and OpenSSL's error stack, on one line. */
function readable(message: string): string {
  const text = message.replace(/^Connection error: /, '');
  const line = (OPENSSL_ERROR.exec(text)?.[1] ?? text).split('\n')[0]!;
  return line.trim().replace(NODE_CA_HINT, '');
}

/** kafkajs's `SASL SCRAM SHA512 authentication failed: <the broker's message>` as the broker's message. */
function afterFailed(message: string): string {
  const at = message.indexOf('failed: ');
  return at === -1 ? message : message.slice(at + 'failed: '.length);
}
