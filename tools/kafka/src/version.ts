import { KafkaLocalError } from './errors.js';

/**
 * The Kafka used when nothing else is asked for. kafkajs 2.2.4 works against it:
 * every request kafkajs implements has a version the 4.4.0 broker still accepts
 * after KIP-896 (proved by test/integration/compatibility.test.ts).
 */
export const DEFAULT_KAFKA_VERSION = '4.4.0';

/** The other line we keep working, for projects that cannot move to 4.x yet. */
export const KAFKA_3_VERSION = '3.9.1';

export const VERSION_ENV = 'UNIQSTREAM_KAFKA_VERSION';

/** Oldest 3.x whose jars have the tool classes where `mainClass` looks for them. */
const OLDEST_MINOR_OF_3 = 9;

export interface KafkaVersion {
  readonly text: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

const VERSION_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses `3.9.1` or `4.4.0`; refuses lines whose jars this tool cannot assemble. */
export function parseKafkaVersion(text: string): KafkaVersion {
  const match = VERSION_PATTERN.exec(text.trim());
  if (match === null) {
    throw new KafkaLocalError('BAD_VERSION', `"${text}" is not a Kafka version like ${DEFAULT_KAFKA_VERSION}`);
  }
  const major = Number(match[1]);
  const minor = Number(match[2]);
  const patch = Number(match[3]);
  if (major < 3 || major > 4 || (major === 3 && minor < OLDEST_MINOR_OF_3)) {
    throw new KafkaLocalError(
      'BAD_VERSION',
      `Kafka ${text} is not supported: use 3.${OLDEST_MINOR_OF_3}.x or 4.x (default ${DEFAULT_KAFKA_VERSION})`,
    );
  }
  return { text: `${major}.${minor}.${patch}`, major, minor, patch };
}

/**
 * The version to use: the caller's, else the environment's, else the default.
 * `explicit` says whether anyone asked for it, so that a running broker of
 * another version is taken as is when nobody did.
 */
export function resolveVersion(
  requested: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): { version: KafkaVersion; explicit: boolean } {
  const fromEnv = env[VERSION_ENV];
  if (requested !== undefined) return { version: parseKafkaVersion(requested), explicit: true };
  if (fromEnv !== undefined && fromEnv.trim() !== '') return { version: parseKafkaVersion(fromEnv), explicit: true };
  return { version: parseKafkaVersion(DEFAULT_KAFKA_VERSION), explicit: false };
}

/** The command-line tools wrapped in bin/. */
export const KAFKA_TOOLS = ['topics', 'console-producer', 'console-consumer', 'configs', 'acls'] as const;
export type KafkaTool = (typeof KAFKA_TOOLS)[number];

export function isKafkaTool(name: string): name is KafkaTool {
  return (KAFKA_TOOLS as readonly string[]).includes(name);
}

/** Main classes, as Kafka's own bin/*.sh scripts of that version name them. */
export function mainClass(version: KafkaVersion, program: KafkaTool | 'broker' | 'storage'): string {
  switch (program) {
    case 'broker':
      return 'kafka.Kafka';
    case 'storage':
      return 'kafka.tools.StorageTool';
    case 'topics':
      return 'org.apache.kafka.tools.TopicCommand';
    case 'console-consumer':
      return 'org.apache.kafka.tools.consumer.ConsoleConsumer';
    case 'console-producer':
      // Rewritten in Java and moved to kafka-tools in 4.0.
      return version.major >= 4 ? 'org.apache.kafka.tools.ConsoleProducer' : 'kafka.tools.ConsoleProducer';
    case 'configs':
      // Both moved from core (Scala) to kafka-tools (Java) in 4.0.
      return version.major >= 4 ? 'org.apache.kafka.tools.ConfigCommand' : 'kafka.admin.ConfigCommand';
    case 'acls':
      return version.major >= 4 ? 'org.apache.kafka.tools.AclCommand' : 'kafka.admin.AclCommand';
  }
}

/** 3.x logs through reload4j (log4j 1 properties), 4.x through log4j2. */
export type LoggingFlavour = 'log4j1' | 'log4j2';

export function loggingFlavour(version: KafkaVersion): LoggingFlavour {
  return version.major >= 4 ? 'log4j2' : 'log4j1';
}

/** Kafka 4.x brokers need Java 17; 3.x runs on 11 and up. */
export function minimumJava(version: KafkaVersion): number {
  return version.major >= 4 ? 17 : 11;
}

/**
 * KIP-1147 (Kafka 4.2) renamed the console tools' options and has the old
 * names print a deprecation line on stdout, which would land in the middle of
 * the records. Same meaning, new name: the commands people know keep working
 * on 3.9 and 4.x alike.
 */
const RENAMED_IN_4_2: Readonly<Partial<Record<KafkaTool, Readonly<Record<string, string>>>>> = {
  'console-consumer': {
    '--property': '--formatter-property',
    '--consumer-property': '--command-property',
    '--consumer.config': '--command-config',
  },
  'console-producer': {
    '--property': '--reader-property',
    '--producer-property': '--command-property',
    '--producer.config': '--command-config',
  },
};

export function currentToolArgs(version: KafkaVersion, tool: KafkaTool, args: readonly string[]): string[] {
  const renames = RENAMED_IN_4_2[tool];
  if (renames === undefined || version.major < 4 || (version.major === 4 && version.minor < 2)) return [...args];
  return args.map((arg) => {
    const equals = arg.indexOf('=');
    const name = equals < 0 ? arg : arg.slice(0, equals);
    const renamed = renames[name];
    return renamed === undefined ? arg : renamed + arg.slice(name.length);
  });
}
