import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { CertificateFiles } from './certificates.js';
import { SASL_MECHANISMS, type SaslMechanism } from './config.js';
import { ADMIN_USER } from './credentials.js';
import { KafkaLocalError } from './errors.js';
import type { DataLayout } from './paths.js';
import { LOOPBACK, mutualTlsPortOf, securePortOf } from './ports.js';
import type { KafkaVersion } from './version.js';

/** `1` (or true, yes, on) starts brokers with the SASL_SSL listener, as --secure does. */
export const SECURE_ENV = 'UNIQSTREAM_KAFKA_SECURE';

/** Set by the tests' global setup for the test workers when the broker has a SASL_SSL listener: a SecureListener
 * as JSON. */
export const SECURE_LISTENER_ENV = 'UNIQSTREAM_KAFKA_SECURE_LISTENER';

/** A broker's SASL_SSL listener and what a client or an admin needs to use it. No password: see adminPasswordFile. */
export interface SecureListener {
  /** host:port, e.g. '127.0.0.1:9094' (the broker port + 2). */
  readonly bootstrap: string;
  /**
   * The same logins and ACLs on a listener whose TLS handshake also requires
   * a client certificate from the CA (see SecureAdmin.clientCertificate):
   * '127.0.0.1:9095' (port + 3).
   */
  readonly mutualTlsBootstrap: string;
  /** The broker's Kafka version: its kafka-configs changes users. */
  readonly version: string;
  /** The CA certificate (PEM) the broker's certificate (localhost, 127.0.0.1) chains to: a Node client's `ca`. */
  readonly caFile: string;
  readonly mechanisms: readonly SaslMechanism[];
  /** A super user, under every mechanism (PLAIN knows no other user). */
  readonly adminUser: string;
  /** The admin's password, alone on the first line (mode 0600). */
  readonly adminPasswordFile: string;
  /** Settings for Kafka's own tools as the admin over SASL_SSL: `--command-config <file>` (mode 0600). */
  readonly adminClientConfig: string;
  /** secure/ of the broker's data directory: the CA and its key, the broker's keystore, issued client certificates. */
  readonly dir: string;
}

export function secureListenerOf(version: KafkaVersion, port: number, data: DataLayout): SecureListener {
  return {
    bootstrap: `${LOOPBACK}:${securePortOf(port)}`,
    mutualTlsBootstrap: `${LOOPBACK}:${mutualTlsPortOf(port)}`,
    version: version.text,
    caFile: data.secure.caCertificate,
    mechanisms: [...SASL_MECHANISMS],
    adminUser: ADMIN_USER,
    adminPasswordFile: data.secure.adminPassword,
    adminClientConfig: data.secure.adminClientConfig,
    dir: data.secure.root,
  };
}

const YES = new Set(['1', 'true', 'yes', 'on']);
const NO = new Set(['', '0', 'false', 'no', 'off']);

/** The caller's choice, else $UNIQSTREAM_KAFKA_SECURE, else off. */
export function resolveSecure(
  requested: boolean | undefined,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (requested !== undefined) return requested;
  const text = (env[SECURE_ENV] ?? '').trim().toLowerCase();
  if (YES.has(text)) return true;
  if (NO.has(text)) return false;
  throw new KafkaLocalError('BAD_SECURE', `${SECURE_ENV}="${env[SECURE_ENV]}" is neither 1 nor 0`);
}

/**
 * The SASL_SSL listener of the broker the tests' global setup found or
 * started (see setupForTests); NOT_SECURE when that broker has none.
 */
export function testSecureListener(env: Readonly<Record<string, string | undefined>> = process.env): SecureListener {
  const text = env[SECURE_LISTENER_ENV];
  if (text === undefined || text === '') {
    throw new KafkaLocalError(
      'NOT_SECURE',
      `the test broker has no SASL_SSL listener (${SECURE_LISTENER_ENV} is not set): use ` +
        `integrationTestConfig({ secure: true, ... }), or restart the broker with \`kafka-local restart --secure\``,
    );
  }
  return JSON.parse(text) as SecureListener;
}

/**
 * testSecureListener() for a suite that skips itself without one: the
 * listener, or the one line saying why there is none.
 */
export function secureListenerOrWhyNot(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SecureListener | string {
  try {
    return testSecureListener(env);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** A user and how they log in. */
export interface Login {
  readonly user: string;
  readonly password: string;
  readonly mechanism: SaslMechanism;
}

export interface SecureKafkaConfigOptions {
  /**
   * Mutual TLS: the certificate and key (PEM files) to show, e.g. from
   * SecureAdmin.clientCertificate(), to the listener that requires one
   * (mutualTlsBootstrap).
   */
  readonly clientCertificate?: CertificateFiles;
}

/**
 * kafkajs settings that reach the listener over TLS, trusting its CA, and log
 * `login` in: spread them into `new Kafka({ clientId, ...secureKafkaConfig(listener, login) })`.
 * With a client certificate, they reach the mutual TLS listener instead.
 */
export function secureKafkaConfig(
  listener: SecureListener,
  login: Login,
  options: SecureKafkaConfigOptions = {},
): Required<Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>> {
  const certificate = options.clientCertificate;
  return {
    brokers: [certificate === undefined ? listener.bootstrap : listener.mutualTlsBootstrap],
    ssl: {
      ca: [readFileSync(listener.caFile, 'utf8')],
      ...(certificate === undefined
        ? {}
        : { cert: readFileSync(certificate.certFile, 'utf8'), key: readFileSync(certificate.keyFile, 'utf8') }),
    },
    sasl: kafkajsSasl(login),
  };
}

function kafkajsSasl(login: Login): SASLOptions {
  const credentials = { username: login.user, password: login.password };
  switch (login.mechanism) {
    case 'PLAIN':
      return { mechanism: 'plain', ...credentials };
    case 'SCRAM-SHA-256':
      return { mechanism: 'scram-sha-256', ...credentials };
    case 'SCRAM-SHA-512':
      return { mechanism: 'scram-sha-512', ...credentials };
  }
}
