import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import {
  KafkaError,
  type KafkaSecurity,
  loadKafkaSecurity,
  parseSaslMechanism,
  SASL_MECHANISMS,
  type SaslMechanism,
} from '@uniqstream/kafka';
import { fileErrorReason } from './config-file.js';
import { AppConfigError } from './errors.js';
import { layeredValues, type SettingSources } from './layers.js';
import { envName, type OptionSpec } from './option-spec.js';
import { BOOLEAN, FILE_PATH, NON_EMPTY, parser, TEXT } from './values.js';

/*
 * How the apps connect to Kafka: TLS and a SASL login, one set of settings
 * for every Kafka endpoint of a run (input, results, dead letters, the
 * service's own topics). Each app registers the specs with commander
 * (optionOf), the service also reads them from its config file, and all
 * three read them from UNIQSTREAM_KAFKA_* variables.
 * Sources, lowest first: config file < environment < flags.
 */

/** The settings as given: file paths and names, no secret. */
export interface KafkaConnectionValues {
  /** TLS on every connection; also on when a CA, client certificate, key or server name is given. */
  readonly tls?: boolean;
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly servername?: string;
  /** OpenSSL cipher list to offer (see KafkaTls.ciphers). */
  readonly ciphers?: string;
  readonly mechanism?: SaslMechanism;
  readonly user?: string;
  readonly passwordFile?: string;
  /** Secret: from the environment only (UNIQSTREAM_KAFKA_PASSWORD). */
  readonly password?: string;
}

/** A Kafka connection setting; it sets one property of KafkaConnectionValues. */
export type KafkaConnectionOptionSpec = OptionSpec<keyof KafkaConnectionValues>;

/** The environment variable of the SASL password. */
export const KAFKA_PASSWORD_ENV = envName('kafka-password');
/** The mechanism of a login when none is named: what managed Kafka services and Kafka's own docs suggest. */
export const DEFAULT_SASL_MECHANISM: SaslMechanism = 'scram-sha-512';

export const KAFKA_CONNECTION_OPTION_SPECS: readonly KafkaConnectionOptionSpec[] = [
  {
    name: 'kafka-tls',
    key: 'tls',
    description:
      'Kafka: connect with TLS (on by itself with --kafka-ca, --kafka-cert, --kafka-tls-servername or ' +
      "--kafka-tls-ciphers); brokers' certificates and host names are always checked",
    defaultText: 'off',
    parse: parser(BOOLEAN, 'kafka-tls'),
  },
  {
    name: 'kafka-ca',
    key: 'caFile',
    value: 'file',
    description: "Kafka: PEM file of the CA certificate(s) that signed the brokers' certificates",
    defaultText: "Node's trusted roots",
    parse: parser(FILE_PATH, 'kafka-ca'),
  },
  {
    name: 'kafka-cert',
    key: 'certFile',
    value: 'file',
    description:
      'Kafka: PEM file of a client certificate, for brokers that ask for one (mutual TLS); needs --kafka-key',
    parse: parser(FILE_PATH, 'kafka-cert'),
  },
  {
    name: 'kafka-key',
    key: 'keyFile',
    value: 'file',
    description: "Kafka: PEM file of the client certificate's private key (unencrypted)",
    parse: parser(FILE_PATH, 'kafka-key'),
  },
  {
    name: 'kafka-tls-servername',
    key: 'servername',
    value: 'name',
    description: "Kafka: the name the brokers' certificates must carry, when it is not the host connected to",
    defaultText: "each broker's host",
    parse: parser(NON_EMPTY, 'kafka-tls-servername'),
  },
  {
    name: 'kafka-tls-ciphers',
    key: 'ciphers',
    value: 'list',
    description:
      'Kafka: the TLS cipher suites to offer, an OpenSSL cipher list (e.g. TLS_AES_128_GCM_SHA256); brokers ' +
      'choose among those offered',
    defaultText: "Node's",
    parse: cipherList,
  },
  {
    name: 'kafka-sasl-mechanism',
    key: 'mechanism',
    value: 'mechanism',
    description: `Kafka: SASL mechanism of the login: ${SASL_MECHANISMS.map((m) => m.toUpperCase()).join(', ')}`,
    defaultText: `${DEFAULT_SASL_MECHANISM.toUpperCase()} with --kafka-user`,
    parse: parseSaslMechanism,
  },
  {
    name: 'kafka-user',
    key: 'user',
    value: 'name',
    description:
      `Kafka: log in with SASL as this user; the password comes from ${KAFKA_PASSWORD_ENV} ` +
      'or --kafka-password-file',
    parse: parser(NON_EMPTY, 'kafka-user'),
  },
  {
    name: 'kafka-password-file',
    key: 'passwordFile',
    value: 'file',
    description: `Kafka: file holding the SASL password (one line), instead of ${KAFKA_PASSWORD_ENV}`,
    parse: parser(FILE_PATH, 'kafka-password-file'),
  },
  {
    name: 'kafka-password',
    key: 'password',
    description: 'Kafka: the SASL password',
    secret: true,
    instead: '--kafka-password-file',
    parse: parser(TEXT),
  },
];

/** The specs an app registers as flags (and a config file may set): every one but the secrets. */
export const KAFKA_CONNECTION_FLAG_SPECS: readonly KafkaConnectionOptionSpec[] = KAFKA_CONNECTION_OPTION_SPECS.filter(
  (spec) => spec.secret !== true,
);

/**
 * What the apps' `--help` says after their options; `reached` names what
 * the settings are for, e.g. `every Kafka endpoint of a run (input,
 * results, dead letters)`.
 */
export function kafkaConnectionHelp(reached: string): string {
  return `Kafka connection: ${reached}
uses the same --kafka-* settings, also given as UNIQSTREAM_KAFKA_TLS, _CA, _CERT, _KEY,
_TLS_SERVERNAME, _TLS_CIPHERS, _SASL_MECHANISM, _USER and _PASSWORD_FILE.
The SASL password comes from ${KAFKA_PASSWORD_ENV} or --kafka-password-file, never from a flag
(other users can read a process's arguments).`;
}

export interface KafkaConnectionSources extends SettingSources {
  /** Reads the password file (default fs.readFileSync as UTF-8). */
  readonly readFile?: (path: string) => string;
}

/**
 * The KafkaSecurity the settings ask for (config file < environment <
 * flags), with the PEM files and the password file read; undefined for
 * plaintext without a login. Throws AppConfigError('BAD_OPTION') with one
 * line, before anything connects: a file that cannot be read or is not
 * PEM, a user without a password, a password or mechanism without a user,
 * an unknown mechanism.
 */
export function resolveKafkaSecurity(sources: KafkaConnectionSources): KafkaSecurity | undefined {
  const values = layeredValues(KAFKA_CONNECTION_OPTION_SPECS, sources) as KafkaConnectionValues;
  return kafkaSecurityOf(values, sources.readFile ?? ((file) => readFileSync(file, 'utf8')));
}

/** resolveKafkaSecurity for values already merged. */
export function kafkaSecurityOf(
  values: KafkaConnectionValues,
  readFile: (path: string) => string,
): KafkaSecurity | undefined {
  const { caFile, certFile, keyFile, servername, ciphers, mechanism, user, passwordFile, password } = values;
  const tlsFiles =
    caFile !== undefined ||
    certFile !== undefined ||
    keyFile !== undefined ||
    servername !== undefined ||
    ciphers !== undefined;
  if (values.tls === false && tlsFiles)
    throw new AppConfigError(
      'BAD_OPTION',
      'TLS is turned off (kafka-tls false) but a TLS CA, client certificate, key, server name or cipher list is given',
    );
  const tls = values.tls === true || tlsFiles;

  let sasl: NonNullable<KafkaSecurity['sasl']> | undefined;
  if (user === undefined) {
    if (mechanism !== undefined)
      throw new AppConfigError('BAD_OPTION', '--kafka-sasl-mechanism needs --kafka-user: whom to log in as');
    if (passwordFile !== undefined || password !== undefined)
      throw new AppConfigError(
        'BAD_OPTION',
        `a Kafka password is given (${passwordFile === undefined ? KAFKA_PASSWORD_ENV : '--kafka-password-file'}) ` +
          'but no --kafka-user',
      );
  } else {
    if (passwordFile !== undefined && password !== undefined)
      throw new AppConfigError(
        'BAD_OPTION',
        `give the Kafka password in ${KAFKA_PASSWORD_ENV} or --kafka-password-file, not both`,
      );
    const secret = passwordFile === undefined ? password : readPassword(passwordFile, readFile);
    if (secret === undefined)
      throw new AppConfigError(
        'BAD_OPTION',
        `--kafka-user ${user} needs a password: set ${KAFKA_PASSWORD_ENV} or --kafka-password-file`,
      );
    sasl = { mechanism: mechanism ?? DEFAULT_SASL_MECHANISM, username: user, password: secret };
  }
  if (!tls && sasl === undefined) return undefined;
  return withOptionErrors(() =>
    loadKafkaSecurity({
      ...(tls
        ? {
            tls: {
              ...(caFile === undefined ? {} : { caFile }),
              ...(certFile === undefined ? {} : { certFile }),
              ...(keyFile === undefined ? {} : { keyFile }),
              ...(servername === undefined ? {} : { servername }),
              ...(ciphers === undefined ? {} : { ciphers }),
            },
          }
        : {}),
      ...(sasl === undefined ? {} : { sasl }),
    }),
  );
}

/**
 * Runs @uniqstream/kafka's checks of the files as this package's error: the
 * same line, so that the apps see one error type for every bad setting.
 */
function withOptionErrors<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof KafkaError && error.code === 'BAD_OPTION')
      throw new AppConfigError('BAD_OPTION', error.message, { cause: error });
    throw error;
  }
}

/** The password file's first line (a trailing newline is not part of the password). */
function readPassword(file: string, readFile: (path: string) => string): string {
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    const reason = fileErrorReason(error);
    throw new AppConfigError('BAD_OPTION', `cannot read the Kafka password file ${file}: ${reason}`, { cause: error });
  }
  const password = text.replace(/\r?\n[\s\S]*$/, '');
  if (password === '') throw new AppConfigError('BAD_OPTION', `the Kafka password file ${file} is empty`);
  return password;
}

/** An OpenSSL cipher list that names at least one suite this Node offers. */
function cipherList(text: string): string {
  const list = text.trim();
  if (list === '') throw new AppConfigError('BAD_OPTION', 'kafka-tls-ciphers must not be empty');
  try {
    createSecureContext({ ciphers: list });
  } catch (error) {
    throw new AppConfigError(
      'BAD_OPTION',
      `kafka-tls-ciphers "${list}" names no cipher suite Node's OpenSSL offers (e.g. TLS_AES_128_GCM_SHA256)`,
      { cause: error },
    );
  }
  return list;
}
