import { pathToFileURL } from 'node:url';
import { controllerPortOf, LOOPBACK } from './ports.js';
import { loggingFlavour, type KafkaVersion } from './version.js';

/** The one node of the single-node cluster; also its controller voter id. */
export const NODE_ID = 1;

/** Rotate the broker log at this size and keep this many old ones, so .data cannot fill the disk. */
const LOG_FILE_MAX_SIZE = '50MB';
const LOG_FILE_BACKUPS = 2;

export interface ServerConfigInput {
  readonly version: KafkaVersion;
  readonly port: number;
  /** Where topic data and the KRaft metadata log live (absolute). */
  readonly logDir: string;
}

/** server.properties for a single-node KRaft broker+controller on the loopback address. */
export function renderServerProperties(input: ServerConfigInput): string {
  const controllerPort = controllerPortOf(input.port);
  const entries: Array<[string, string | number | boolean]> = [
    ['node.id', NODE_ID],
    ['process.roles', 'broker,controller'],
    ['listeners', `PLAINTEXT://${LOOPBACK}:${input.port},CONTROLLER://${LOOPBACK}:${controllerPort}`],
    ['advertised.listeners', `PLAINTEXT://${LOOPBACK}:${input.port}`],
    ['listener.security.protocol.map', 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT'],
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
    // Tests join groups constantly; the 3 s default only slows them down.
    ['group.initial.rebalance.delay.ms', 0],
    ['auto.create.topics.enable', true],
    ['num.partitions', 1],
  ];
  if (input.version.major >= 4) {
    // Share groups (4.x) create __share_group_state with 3 replicas unless told otherwise.
    entries.push(['share.coordinator.state.topic.replication.factor', 1]);
    entries.push(['share.coordinator.state.topic.min.isr', 1]);
  }
  const header = `# Written by @uniqstream/kafka-local for Kafka ${input.version.text}; rewritten at every start.\n`;
  return header + entries.map(([key, value]) => `${key}=${escapePropertyValue(String(value))}`).join('\n') + '\n';
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
  return list.join('\n') + '\n';
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
