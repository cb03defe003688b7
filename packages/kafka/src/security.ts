import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { KafkaError } from './errors.js';

/*
 * How a connection to Kafka is secured: TLS (SSL and SASL_SSL listeners)
 * and a SASL login (SASL_PLAINTEXT and SASL_SSL listeners). Plain data, so
 * that the settings can cross into a worker thread (workerData); kafkajs's
 * clients and the Kafka source's own fetch connections take the same
 * object.
 */

/** SASL mechanisms, as kafkajs names them (Kafka's names are the same in upper case). */
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** PEM text, or its bytes (a Buffer; a Uint8Array once it crossed into a worker thread). */
export type Pem = string | Uint8Array;

export interface KafkaTls {
  /** The CA certificate(s) that signed the brokers' certificates; default: Node's trusted roots. */
  readonly ca?: Pem;
  /** Client certificate and its key, for brokers that ask for one (mutual TLS): both or neither. */
  readonly cert?: Pem;
  readonly key?: Pem;
  /** Passphrase of an encrypted `key`. Secret. */
  readonly passphrase?: string;
  /** The name the brokers' certificates must carry (and SNI), instead of each broker's host. */
  readonly servername?: string;
  /** Check the brokers' certificates and host names (default true). False only for a throwaway test broker. */
  readonly rejectUnauthorized?: boolean;
  /**
   * The cipher suites to offer, as an OpenSSL cipher list (TLS 1.3 suites
   * by name, e.g. `TLS_AES_128_GCM_SHA256`), as Kafka's Java clients take
   * `ssl.cipher.suites`; default: Node's. A broker picks among those offered
   * in its own order, so offering fewer is how a client chooses. Node keeps
   * its own TLS 1.3 suites when the list names none (only TLS 1.2 ones).
   */
  readonly ciphers?: string;
}

export interface KafkaSasl {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  /** Secret: never in a log line or an error message. */
  readonly password: string;
}

export interface KafkaSecurity {
  /** TLS on every connection; absent: plaintext. */
  readonly tls?: KafkaTls;
  /** A SASL login on every connection; absent: none. */
  readonly sasl?: KafkaSasl;
}

/** What a secret is shown as. */
export const REDACTED = '[redacted]';

const CERTIFICATE_PEM = '-----BEGIN CERTIFICATE-----';
/** PKCS#8 (`PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`). */
const PRIVATE_KEY_PEM = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** `text` as a SASL mechanism, in any case: `SCRAM-SHA-512` or `scram-sha-512`. */
export function parseSaslMechanism(text: string): SaslMechanism {
  const lower = text.trim().toLowerCase();
  const found = SASL_MECHANISMS.find((m) => m === lower);
  if (found === undefined)
    throw new KafkaError(
      'BAD_OPTION',
      `unknown SASL mechanism "${text}": use one of ${SASL_MECHANISMS.map((m) => m.toUpperCase()).join(', ')}`,
    );
  return found;
}

/**
 * Checks settings that cannot work, before any connection: throws
 * KafkaError('BAD_OPTION') with one line that names the setting (never
 * its value, for the secret ones).
 */
export function checkKafkaSecurity(security: KafkaSecurity): void {
  const { tls, sasl } = security;
  if (sasl !== undefined) {
    if (!(SASL_MECHANISMS as readonly string[]).includes(sasl.mechanism)) parseSaslMechanism(String(sasl.mechanism));
    if (sasl.username === '') throw new KafkaError('BAD_OPTION', 'the SASL user name is empty');
    if (sasl.password === '') throw new KafkaError('BAD_OPTION', `the SASL password of ${sasl.username} is empty`);
  }
  if (tls !== undefined) {
    if ((tls.cert === undefined) !== (tls.key === undefined)) {
      const given = tls.cert === undefined ? 'key' : 'certificate';
      const missing = tls.cert === undefined ? 'certificate' : 'key';
      throw new KafkaError('BAD_OPTION', `a TLS client ${given} needs its ${missing} too`);
    }
    if (tls.ca !== undefined && !pemText(tls.ca).includes(CERTIFICATE_PEM))
      throw new KafkaError('BAD_OPTION', `the TLS CA is not a PEM certificate (no "${CERTIFICATE_PEM}" line)`);
    if (tls.cert !== undefined && !pemText(tls.cert).includes(CERTIFICATE_PEM))
      throw new KafkaError(
        'BAD_OPTION',
        `the TLS client certificate is not a PEM certificate (no "${CERTIFICATE_PEM}" line)`,
      );
    if (tls.key !== undefined && !PRIVATE_KEY_PEM.test(pemText(tls.key)))
      throw new KafkaError(
        'BAD_OPTION',
        'the TLS client key is not a PEM private key (no "-----BEGIN ... PRIVATE KEY-----" line)',
      );
  }
}

/** What to tell a user about settings that work but expose them: one line each. */
export function securityWarnings(security: KafkaSecurity | undefined): string[] {
  const out: string[] = [];
  if (security?.sasl?.mechanism === 'plain' && security.tls === undefined)
    out.push('SASL PLAIN without TLS sends the password in clear text');
  if (security?.tls?.rejectUnauthorized === false)
    out.push("TLS without checking the brokers' certificates: anyone on the path can pose as the broker");
  return out;
}

/**
 * Node's tls.connect options for a broker at `host` (kafkajs's socket
 * factory sets them the same way): the server name to check and send is
 * the host, unless it is an IP address or the settings name another.
 */
export function tlsConnectOptions(tls: KafkaTls, host: string): ConnectionOptions {
  const servername = tls.servername ?? (isIP(host) === 0 ? host : undefined);
  return { ...tlsContextOptions(tls), ...(servername === undefined ? {} : { servername }) };
}

/** kafkajs's `ssl` and `sasl` client settings (no servername per host: the socket factory adds it). */
export function kafkajsSecurity(security: KafkaSecurity | undefined): { ssl?: ConnectionOptions; sasl?: SASLOptions } {
  const out: { ssl?: ConnectionOptions; sasl?: SASLOptions } = {};
  const { tls, sasl } = security ?? {};
  if (tls !== undefined)
    out.ssl = { ...tlsContextOptions(tls), ...(tls.servername === undefined ? {} : { servername: tls.servername }) };
  // A new object for every client: kafkajs stores its authenticator on the object it is given.
  if (sasl !== undefined)
    out.sasl = { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions;
  return out;
}

function tlsContextOptions(tls: KafkaTls): ConnectionOptions {
  const out: ConnectionOptions = { rejectUnauthorized: tls.rejectUnauthorized ?? true };
  if (tls.ca !== undefined) out.ca = pemBytes(tls.ca);
  if (tls.cert !== undefined) out.cert = pemBytes(tls.cert);
  if (tls.key !== undefined) out.key = pemBytes(tls.key);
  if (tls.passphrase !== undefined) out.passphrase = tls.passphrase;
  if (tls.ciphers !== undefined) out.ciphers = tls.ciphers;
  return out;
}

/** The settings with every secret (password, key, key passphrase) replaced by REDACTED: safe to print. */
export function redactSecurity(security: KafkaSecurity): KafkaSecurity {
  const { tls, sasl } = security;
  return {
    ...(tls === undefined
      ? {}
      : {
          tls: {
            ...tls,
            ...(tls.key === undefined ? {} : { key: REDACTED }),
            ...(tls.passphrase === undefined ? {} : { passphrase: REDACTED }),
          },
        }),
    ...(sasl === undefined ? {} : { sasl: { ...sasl, password: REDACTED } }),
  };
}

/** One line for logs: `TLS, SASL SCRAM-SHA-512 as alice`, `plaintext`; no secret. */
export function describeSecurity(security: KafkaSecurity | undefined): string {
  const parts: string[] = [];
  const { tls, sasl } = security ?? {};
  if (tls !== undefined) {
    const details = [
      tls.ca === undefined ? undefined : 'own CA',
      tls.cert === undefined ? undefined : 'client certificate',
      tls.servername === undefined ? undefined : `server name ${tls.servername}`,
      tls.rejectUnauthorized === false ? 'certificates not checked' : undefined,
    ].filter((d) => d !== undefined);
    parts.push(details.length === 0 ? 'TLS' : `TLS (${details.join(', ')})`);
  }
  if (sasl !== undefined) parts.push(`SASL ${sasl.mechanism.toUpperCase()} as ${sasl.username}`);
  return parts.length === 0 ? 'plaintext' : parts.join(', ');
}

/**
 * A function that replaces the settings' secrets (password, key
 * passphrase) wherever they occur in a text by REDACTED: for log lines and
 * messages that quote what a library or a broker said.
 */
export function secretScrubber(security: KafkaSecurity | undefined): (text: string) => string {
  const secrets = [security?.sasl?.password, security?.tls?.passphrase].filter(
    (s): s is string => s !== undefined && s !== '',
  );
  if (secrets.length === 0) return (text) => text;
  // Longest first, so that a secret inside another is not left half shown.
  secrets.sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  };
}

function pemText(pem: Pem): string {
  return typeof pem === 'string' ? pem : Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength).toString('latin1');
}

function pemBytes(pem: Pem): string | Buffer {
  return typeof pem === 'string' ? pem : Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength);
}
