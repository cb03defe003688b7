import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { KafkaError } from './errors.js';
import { parseSaslMechanism, SASL_MECHANISMS, type KafkaSecurity, type SaslMechanism } from './security.js';
import { loadKafkaSecurity } from './security-files.js';

/*
 * How the apps connect to Kafka: TLS and a SASL login, one set of settings
 * for every Kafka endpoint of a run (input, results, dead letters, the
 * service's own topics). Defined once here; each app registers the specs
 * with its command-line parser, the service also reads them from its
 * config file, and all three read them from UNIQSTREAM_KAFKA_* variables.
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

export interface KafkaConnectionOptionSpec {
  /** Long flag name without dashes; also the config-file key. */
  readonly name: string;
  readonly key: keyof KafkaConnectionValues;
  /** Placeholder for the value, e.g. `file`; none for a switch. */
  readonly value?: string;
  readonly description: string;
  /** The environment variable that sets it. */
  readonly env: string;
  /** Default as shown in help, when there is one. */
  readonly defaultText?: string;
  /**
   * A secret: taken from the environment only, never as a flag (`ps`
   * shows a process's arguments to every user) nor from the config file,
   * and never printed.
   */
  readonly secret?: boolean;
  /** Parses a value given as text (flag, environment or config file). */
  readonly parse: (text: string) => unknown;
}

/** The environment variable of the SASL password. */
export const KAFKA_PASSWORD_ENV = 'UNIQSTREAM_KAFKA_PASSWORD';
/** The mechanism of a login when none is named: what managed Kafka services and Kafka's own docs suggest. */
export const DEFAULT_SASL_MECHANISM: SaslMechanism = 'scram-sha-512';

export const KAFKA_CONNECTION_OPTION_SPECS: readonly KafkaConnectionOptionSpec[] = [
  {
    name: 'kafka-tls',
    key: 'tls',
    description:
      "Kafka: connect with TLS (on by itself with --kafka-ca, --kafka-cert, --kafka-tls-servername or --kafka-tls-ciphers); brokers' certificates and host names are always checked",
    env: 'UNIQSTREAM_KAFKA_TLS',
    defaultText: 'off',
    parse: flag('kafka-tls'),
  },
  {
    name: 'kafka-ca',
    key: 'caFile',
    value: 'file',
    description: "Kafka: PEM file of the CA certificate(s) that signed the brokers' certificates",
    env: 'UNIQSTREAM_KAFKA_CA',
    defaultText: "Node's trusted roots",
    parse: path('kafka-ca'),
  },
  {
    name: 'kafka-cert',
    key: 'certFile',
    value: 'file',
    description:
      'Kafka: PEM file of a client certificate, for brokers that ask for one (mutual TLS); needs --kafka-key',
    env: 'UNIQSTREAM_KAFKA_CERT',
    parse: path('kafka-cert'),
  },
  {
    name: 'kafka-key',
    key: 'keyFile',
    value: 'file',
    description: "Kafka: PEM file of the client certificate's private key (unencrypted)",
    env: 'UNIQSTREAM_KAFKA_KEY',
    parse: path('kafka-key'),
  },
  {
    name: 'kafka-tls-servername',
    key: 'servername',
    value: 'name',
    description: "Kafka: the name the brokers' certificates must carry, when it is not the host connected to",
    env: 'UNIQSTREAM_KAFKA_TLS_SERVERNAME',
    defaultText: "each broker's host",
    parse: nonEmpty('kafka-tls-servername'),
  },
  {
    name: 'kafka-tls-ciphers',
    key: 'ciphers',
    value: 'list',
    description:
      'Kafka: the TLS cipher suites to offer, an OpenSSL cipher list (e.g. TLS_AES_128_GCM_SHA256); brokers choose among those offered',
    env: 'UNIQSTREAM_KAFKA_TLS_CIPHERS',
    defaultText: "Node's",
    parse: cipherList,
  },
  {
    name: 'kafka-sasl-mechanism',
    key: 'mechanism',
    value: 'mechanism',
    description: `Kafka: SASL mechanism of the login: ${SASL_MECHANISMS.map((m) => m.toUpperCase()).join(', ')}`,
    env: 'UNIQSTREAM_KAFKA_SASL_MECHANISM',
    defaultText: `${DEFAULT_SASL_MECHANISM.toUpperCase()} with --kafka-user`,
    parse: parseSaslMechanism,
  },
  {
    name: 'kafka-user',
    key: 'user',
    value: 'name',
    description: `Kafka: log in with SASL as this user; the password comes from ${KAFKA_PASSWORD_ENV} or --kafka-password-file`,
    env: 'UNIQSTREAM_KAFKA_USER',
    parse: nonEmpty('kafka-user'),
  },
  {
    name: 'kafka-password-file',
    key: 'passwordFile',
    value: 'file',
    description: `Kafka: file holding the SASL password (one line), instead of ${KAFKA_PASSWORD_ENV}`,
    env: 'UNIQSTREAM_KAFKA_PASSWORD_FILE',
    parse: path('kafka-password-file'),
  },
  {
    name: 'kafka-password',
    key: 'password',
    description: 'Kafka: the SASL password',
    env: KAFKA_PASSWORD_ENV,
    secret: true,
    parse: (text) => text,
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

/** The spec's flag as commander names its value: `kafkaSaslMechanism` for `kafka-sasl-mechanism`. */
export function flagProperty(spec: KafkaConnectionOptionSpec): string {
  return spec.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Values from parsed flags (commander's camel-case properties; undefined = not given). */
export function kafkaConnectionValuesOfFlags(flags: Readonly<Record<string, unknown>>): KafkaConnectionValues {
  const values: Record<string, unknown> = {};
  for (const spec of KAFKA_CONNECTION_FLAG_SPECS) {
    const value = flags[flagProperty(spec)];
    if (value !== undefined) values[spec.key] = value;
  }
  return values as KafkaConnectionValues;
}

/**
 * Values from a config file's object (keys = flag names; a secret there is
 * refused) and the environment, config file < environment. Throws
 * KafkaError('BAD_OPTION') naming the setting and where it came from.
 */
export function kafkaConnectionValuesFrom(
  config: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
): KafkaConnectionValues {
  const values: Record<string, unknown> = {};
  for (const spec of KAFKA_CONNECTION_OPTION_SPECS) {
    const fromFile = config[spec.name];
    if (fromFile !== undefined) {
      if (spec.secret === true)
        throw new KafkaError(
          'BAD_OPTION',
          `${spec.name} does not go in the config file: set ${spec.env} or --kafka-password-file`,
        );
      values[spec.key] = parsedFrom(
        spec,
        typeof fromFile === 'string' ? fromFile : String(fromFile),
        'the config file',
      );
    }
    const fromEnv = env[spec.env];
    if (fromEnv !== undefined && fromEnv !== '') values[spec.key] = parsedFrom(spec, fromEnv, spec.env);
  }
  return values as KafkaConnectionValues;
}

/** True for the config-file keys of these settings. */
export function isKafkaConnectionSetting(name: string): boolean {
  return KAFKA_CONNECTION_OPTION_SPECS.some((spec) => spec.name === name);
}

export interface KafkaConnectionSources {
  /** Parsed flags, by commander's property names. */
  readonly flags?: Readonly<Record<string, unknown>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The service's config file, parsed; keys = flag names. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Reads the password file (default fs.readFileSync as UTF-8). */
  readonly readFile?: (path: string) => string;
}

/**
 * The KafkaSecurity the settings ask for (config file < environment <
 * flags), with the PEM files and the password file read; undefined for
 * plaintext without a login. Throws KafkaError('BAD_OPTION') with one
 * line, before anything connects: a file that cannot be read or is not
 * PEM, a user without a password, a password or mechanism without a user,
 * an unknown mechanism.
 */
export function resolveKafkaSecurity(sources: KafkaConnectionSources): KafkaSecurity | undefined {
  const values: KafkaConnectionValues = {
    ...kafkaConnectionValuesFrom(sources.config ?? {}, sources.env ?? {}),
    ...kafkaConnectionValuesOfFlags(sources.flags ?? {}),
  };
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
    throw new KafkaError(
      'BAD_OPTION',
      'TLS is turned off (kafka-tls false) but a TLS CA, client certificate, key, server name or cipher list is given',
    );
  const tls = values.tls === true || tlsFiles;

  let sasl: NonNullable<KafkaSecurity['sasl']> | undefined;
  if (user === undefined) {
    if (mechanism !== undefined)
      throw new KafkaError('BAD_OPTION', '--kafka-sasl-mechanism needs --kafka-user: whom to log in as');
    if (passwordFile !== undefined || password !== undefined)
      throw new KafkaError(
        'BAD_OPTION',
        `a Kafka password is given (${passwordFile === undefined ? KAFKA_PASSWORD_ENV : '--kafka-password-file'}) but no --kafka-user`,
      );
  } else {
    if (passwordFile !== undefined && password !== undefined)
      throw new KafkaError(
        'BAD_OPTION',
        `give the Kafka password in ${KAFKA_PASSWORD_ENV} or --kafka-password-file, not both`,
      );
    const secret = passwordFile === undefined ? password : readPassword(passwordFile, readFile);
    if (secret === undefined)
      throw new KafkaError(
        'BAD_OPTION',
        `--kafka-user ${user} needs a password: set ${KAFKA_PASSWORD_ENV} or --kafka-password-file`,
      );
    sasl = { mechanism: mechanism ?? DEFAULT_SASL_MECHANISM, username: user, password: secret };
  }
  if (!tls && sasl === undefined) return undefined;
  return loadKafkaSecurity({
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
  });
}

/** The password file's first line (a trailing newline is not part of the password). */
function readPassword(file: string, readFile: (path: string) => string): string {
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : 'unreadable';
    throw new KafkaError('BAD_OPTION', `cannot read the Kafka password file ${file}: ${reason}`, { cause: error });
  }
  const password = text.replace(/\r?\n[\s\S]*$/, '');
  if (password === '') throw new KafkaError('BAD_OPTION', `the Kafka password file ${file} is empty`);
  return password;
}

function parsedFrom(spec: KafkaConnectionOptionSpec, text: string, where: string): unknown {
  try {
    return spec.parse(text);
  } catch (error) {
    // Never the value of a secret in the message.
    const message =
      spec.secret === true ? `${spec.name} is not valid` : error instanceof Error ? error.message : String(error);
    throw new KafkaError('BAD_OPTION', `${message} (in ${where})`, { cause: error });
  }
}

function flag(name: string): (text: string) => boolean {
  return (text) => {
    const v = text.trim().toLowerCase();
    if (v === '' || v === 'true' || v === '1' || v === 'yes') return true;
    if (v === 'false' || v === '0' || v === 'no') return false;
    throw new KafkaError('BAD_OPTION', `${name} must be true or false, got "${text}"`);
  };
}

function path(name: string): (text: string) => string {
  return (text) => {
    if (text.trim() === '') throw new KafkaError('BAD_OPTION', `${name} needs a file name`);
    return text;
  };
}

/** An OpenSSL cipher list that names at least one suite this Node offers. */
function cipherList(text: string): string {
  const list = text.trim();
  if (list === '') throw new KafkaError('BAD_OPTION', 'kafka-tls-ciphers must not be empty');
  try {
    createSecureContext({ ciphers: list });
  } catch (error) {
    throw new KafkaError(
      'BAD_OPTION',
      `kafka-tls-ciphers "${list}" names no cipher suite Node's OpenSSL offers (e.g. TLS_AES_128_GCM_SHA256)`,
      { cause: error },
    );
  }
  return list;
}

function nonEmpty(name: string): (text: string) => string {
  return (text) => {
    if (text.trim() === '') throw new KafkaError('BAD_OPTION', `${name} must not be empty`);
    return text.trim();
  };
}
