import { pathToFileURL } from 'node:url';
import { KafkaLocalError } from './errors.js';
import { controllerPortOf, LOOPBACK, mutualTlsPortOf, securePortOf } from './ports.js';
import { loggingFlavour, type KafkaVersion } from './version.js';

/** The one node of the single-node cluster; also its controller voter id. */
const NODE_ID = 1;

/** Rotate the broker log at this size and keep this many old ones, so .data cannot fill the disk. */
const LOG_FILE_MAX_SIZE = '50MB';
const LOG_FILE_BACKUPS = 2;

export interface ServerConfigInput {
  readonly version: KafkaVersion;
  readonly port: number;
  /** Where topic data and the KRaft metadata log live (absolute). */
  readonly logDir: string;
  /** Adds the SASL_SSL listeners on port + 2 and + 3 (mutual TLS), with authorization (--secure). */
  readonly secure?: SecureServerConfig;
  /** group.initial.rebalance.delay.ms (default 0; see GROUP_DELAY_ENV). */
  readonly groupInitialRebalanceDelayMs?: number;
}

/**
 * Sets group.initial.rebalance.delay.ms. Tests join new groups all the
 * time, so it is 0 by default; Kafka's own default, 3000, lets instances
 * started together join a new group's first generation together (a
 * benchmark of several instances wants that, as production has it).
 */
export const GROUP_DELAY_ENV = 'UNIQSTREAM_KAFKA_GROUP_DELAY_MS';
const MAX_GROUP_DELAY_MS = 300_000;

/** The delay GROUP_DELAY_ENV asks for (0 when unset); BAD_GROUP_DELAY for anything but whole ms up to 300000. */
export function resolveGroupDelayMs(env: Readonly<Record<string, string | undefined>>): number {
  const text = (env[GROUP_DELAY_ENV] ?? '').trim();
  if (text === '') return 0;
  const ms = Number(text);
  if (!/^\d+$/.test(text) || ms > MAX_GROUP_DELAY_MS) {
    throw new KafkaLocalError(
      'BAD_GROUP_DELAY',
      `${GROUP_DELAY_ENV}="${env[GROUP_DELAY_ENV]}" is not a number of ms from 0 to ${MAX_GROUP_DELAY_MS}`,
    );
  }
  return ms;
}

export interface SecureServerConfig {
  /** PEM file with the broker's private key, its certificate and the CA's. */
  readonly keystore: string;
  /** PEM file with the CA certificate: client certificates must chain to it. */
  readonly truststore: string;
  readonly adminUser: string;
  /** PLAIN checks passwords against its JAAS entry, so the admin's is written there. */
  readonly adminPassword: string;
}

export const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type ScramMechanism = (typeof SCRAM_MECHANISMS)[number];

/** What the SASL_SSL listener accepts: SCRAM users live in the KRaft metadata, PLAIN knows the admin only. */
export const SASL_MECHANISMS = [...SCRAM_MECHANISMS, 'PLAIN'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** The secured listener's name, and its security protocol. */
const SECURE_LISTENER = 'SASL_SSL';
/** The same, but it requires a client certificate that chains to the CA. */
const MUTUAL_TLS_LISTENER = 'MTLS';
/** What goes between the double quotes of a JAAS option without escaping. */
const JAAS_SAFE_VALUE = /^[A-Za-z0-9._~+/=-]+$/;

/** server.properties for a single-node KRaft broker+controller on the loopback address. */
export function renderServerProperties(input: ServerConfigInput): string {
  const controllerPort = controllerPortOf(input.port);
  const plaintext = `PLAINTEXT://${LOOPBACK}:${input.port}`;
  const secured =
    input.secure === undefined
      ? []
      : [
          `${SECURE_LISTENER}://${LOOPBACK}:${securePortOf(input.port)}`,
          `${MUTUAL_TLS_LISTENER}://${LOOPBACK}:${mutualTlsPortOf(input.port)}`,
        ];
  const securedProtocol =
    input.secure === undefined ? [] : [`${SECURE_LISTENER}:SASL_SSL`, `${MUTUAL_TLS_LISTENER}:SASL_SSL`];
  const entries: Array<[string, string | number | boolean]> = [
    ['node.id', NODE_ID],
    ['process.roles', 'broker,controller'],
    ['listeners', [plaintext, `CONTROLLER://${LOOPBACK}:${controllerPort}`, ...secured].join(',')],
    ['advertised.listeners', [plaintext, ...secured].join(',')],
    ['listener.security.protocol.map', ['PLAINTEXT:PLAINTEXT', 'CONTROLLER:PLAINTEXT', ...securedProtocol].join(',')],
    ['inter.broker.listener.name', 'PLAINTEXT'],
    ['controller.listener.names', 'CONTROLLER'],
    // A static quorum formats the same way on 3.9 and 4.x (no --standalone needed).
    ['controller.quorum.voters', `${NODE_ID}@${LOOPBACK}:${controllerPort}`],
    ['log.dirs', input.logDir],
    // One broker: every internal topic must make do with one replica.
    ['offsets.topic.replication.factor', 1],
    ['transaction.state.log.replication.factor', 1],
    ['transaction.state.log.min.isr', 1],
    ['min.insync.replicas', 1],
    ['default.replication.factor', 1],
    // Tests join groups constantly; Kafka's 3 s default only slows them down (GROUP_DELAY_ENV sets it).
    ['group.initial.rebalance.delay.ms', input.groupInitialRebalanceDelayMs ?? 0],
    ['auto.create.topics.enable', true],
    ['num.partitions', 1],
  ];
  if (input.version.major >= 4) {
    // Share groups (4.x) create __share_group_state with 3 replicas unless told otherwise.
    entries.push(['share.coordinator.state.topic.replication.factor', 1]);
    entries.push(['share.coordinator.state.topic.min.isr', 1]);
  }
  if (input.secure !== undefined) entries.push(...secureEntries(input.secure));
  const header = `# Written by @uniqstream/kafka-local for Kafka ${input.version.text}; rewritten at every start.\n`;
  return `${header + entries.map(([key, value]) => `${key}=${escapePropertyValue(String(value))}`).join('\n')}\n`;
}

/**
 * The SASL_SSL listeners' settings. Authorization covers every listener, so
 * the plaintext one stays open by making its principal, User:ANONYMOUS, a
 * super user: it is the tests' and people's open path (and the controller's
 * and the broker's own, inter-broker, connections arrive as ANONYMOUS too),
 * while SASL_SSL clients log in as themselves and get what ACLs grant them,
 * nothing when none match (allow.everyone.if.no.acl.found=false).
 */
function secureEntries(secure: SecureServerConfig): Array<[string, string]> {
  for (const value of [secure.adminUser, secure.adminPassword]) {
    // Ours, generated; a check that the JAAS line below cannot be broken by them.
    if (!JAAS_SAFE_VALUE.test(value))
      throw new KafkaLocalError(
        'BAD_USER',
        'the admin user or password has characters a JAAS option cannot hold unquoted',
      );
  }
  // Server login modules are per listener and mechanism.
  const logins = [SECURE_LISTENER, MUTUAL_TLS_LISTENER].flatMap((name): Array<[string, string]> => {
    const listener = `listener.name.${name.toLowerCase()}`;
    return [
      // SCRAM reads its users from the KRaft metadata (kafka-storage --add-scram, kafka-configs).
      ...SCRAM_MECHANISMS.map((mechanism): [string, string] => [
        `${listener}.${mechanism.toLowerCase()}.sasl.jaas.config`,
        'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      ]),
      [
        `${listener}.plain.sasl.jaas.config`,
        `org.apache.kafka.common.security.plain.PlainLoginModule required ` +
          `user_${secure.adminUser}="${secure.adminPassword}";`,
      ],
    ];
  });
  return [
    ['authorizer.class.name', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'],
    ['allow.everyone.if.no.acl.found', 'false'],
    ['super.users', `User:ANONYMOUS;User:${secure.adminUser}`],
    ['sasl.enabled.mechanisms', SASL_MECHANISMS.join(',')],
    ...logins,
    // PEM stores (Kafka 2.7+): no keytool, no store passwords; the key is unencrypted, the file mode 0600.
    ['ssl.keystore.type', 'PEM'],
    ['ssl.keystore.location', secure.keystore],
    ['ssl.truststore.type', 'PEM'],
    ['ssl.truststore.location', secure.truststore],
    // Only this listener asks for a client certificate, and refuses the handshake without one
    // from the CA ('requested' would let an untrusted one through as if none was shown).
    [`listener.name.${MUTUAL_TLS_LISTENER.toLowerCase()}.ssl.client.auth`, 'required'],
  ];
}

/** The broker's logging: everything at INFO into one rotating file, nothing on the console. */
export function renderBrokerLogging(version: KafkaVersion, logFile: string): string {
  return loggingFlavour(version) === 'log4j2' ? brokerLog4j2(logFile) : brokerLog4j1(logFile);
}

/** The command-line tools' logging: warnings and errors on stderr, so stdout stays the data. */
export function renderToolsLogging(version: KafkaVersion): string {
  return loggingFlavour(version) === 'log4j2' ? toolsLog4j2() : toolsLog4j1();
}

/** The JVM flag that points each logging flavour at its configuration file. */
export function loggingConfigFlag(version: KafkaVersion, configFile: string): string {
  return loggingFlavour(version) === 'log4j2'
    ? `-Dlog4j2.configurationFile=${configFile}`
    : `-Dlog4j.configuration=${pathToFileURL(configFile).href}`;
}

const PATTERN = '[%d] %p %m (%c)%n';

function brokerLog4j1(logFile: string): string {
  return lines([
    'log4j.rootLogger=INFO, server',
    'log4j.appender.server=org.apache.log4j.RollingFileAppender',
    `log4j.appender.server.File=${escapePropertyValue(logFile)}`,
    `log4j.appender.server.MaxFileSize=${LOG_FILE_MAX_SIZE}`,
    `log4j.appender.server.MaxBackupIndex=${LOG_FILE_BACKUPS}`,
    'log4j.appender.server.layout=org.apache.log4j.PatternLayout',
    `log4j.appender.server.layout.ConversionPattern=${PATTERN}`,
    // Per-request lines would drown everything else.
    'log4j.logger.kafka.request.logger=WARN',
  ]);
}

function brokerLog4j2(logFile: string): string {
  return lines([
    'status = warn',
    'appender.server.type = RollingFile',
    'appender.server.name = server',
    `appender.server.fileName = ${escapePropertyValue(logFile)}`,
    `appender.server.filePattern = ${escapePropertyValue(`${logFile}.%i`)}`,
    'appender.server.layout.type = PatternLayout',
    `appender.server.layout.pattern = ${PATTERN}`,
    'appender.server.policies.type = Policies',
    'appender.server.policies.size.type = SizeBasedTriggeringPolicy',
    `appender.server.policies.size.size = ${LOG_FILE_MAX_SIZE}`,
    'appender.server.strategy.type = DefaultRolloverStrategy',
    `appender.server.strategy.max = ${LOG_FILE_BACKUPS}`,
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.server.ref = server',
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
  ]);
}

function toolsLog4j1(): string {
  return lines([
    'log4j.rootLogger=WARN, stderr',
    'log4j.appender.stderr=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stderr.Target=System.err',
    'log4j.appender.stderr.layout=org.apache.log4j.PatternLayout',
    `log4j.appender.stderr.layout.ConversionPattern=${PATTERN}`,
  ]);
}

function toolsLog4j2(): string {
  return lines([
    'status = warn',
    // The tools exit through System.exit; log4j's own hook then only warns that it is too late.
    'shutdownHook = disable',
    'appender.stderr.type = Console',
    'appender.stderr.name = stderr',
    'appender.stderr.target = SYSTEM_ERR',
    'appender.stderr.layout.type = PatternLayout',
    `appender.stderr.layout.pattern = ${PATTERN}`,
    'rootLogger.level = WARN',
    'rootLogger.appenderRef.stderr.ref = stderr',
  ]);
}

function lines(list: readonly string[]): string {
  return `${list.join('\n')}\n`;
}

const BACKSLASH = '\\';
/** java.util.Properties reads ISO-8859-1; anything past ASCII must be a \uXXXX escape. */
const LAST_PLAIN_ASCII = 0x7e;
const FIRST_PRINTABLE_ASCII = 0x20;
const UNICODE_ESCAPE_DIGITS = 4;

/**
 * Escapes a value for a java.util.Properties file (log4j 1 and 2 read theirs the
 * same way): backslashes, line breaks, a leading space and non-ASCII characters.
 */
export function escapePropertyValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    const code = value.charCodeAt(i);
    if (ch === BACKSLASH) out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\f') out += '\\f';
    else if (ch === ' ' && i === 0) out += '\\ ';
    else if (code < FIRST_PRINTABLE_ASCII || code > LAST_PLAIN_ASCII) {
      out += `\\u${code.toString(16).padStart(UNICODE_ESCAPE_DIGITS, '0')}`;
    } else out += ch;
  }
  return out;
}

/** A Kafka cluster id is a 16-byte UUID written as unpadded base64url (22 characters). */
export const CLUSTER_ID_BYTES = 16;
const CLUSTER_ID_LENGTH = 22;

/**
 * Turns 16 random bytes into a cluster id, or null when Kafka would refuse it:
 * Uuid.randomUuid skips ids that start with '-' (they read as a command-line
 * flag) and the two reserved ids (all zero, and zero but the last bit).
 */
export function clusterIdFromBytes(bytes: Uint8Array): string | null {
  if (bytes.length !== CLUSTER_ID_BYTES) return null;
  const last = CLUSTER_ID_BYTES - 1;
  const reserved = bytes.every((b, i) => b === 0 || (i === last && b === 1));
  if (reserved) return null;
  const id = Buffer.from(bytes).toString('base64url');
  if (id.length !== CLUSTER_ID_LENGTH || id.startsWith('-')) return null;
  return id;
}

/** Draws ids from `random` until one is valid (almost always the first). */
export function newClusterId(random: (size: number) => Uint8Array): string {
  for (;;) {
    const id = clusterIdFromBytes(random(CLUSTER_ID_BYTES));
    if (id !== null) return id;
  }
}
