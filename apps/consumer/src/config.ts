import {
  COUNT_OPTION_SPECS,
  type CountConfig,
  engineOptionsOf,
  isPrintedByCommander,
  KAFKA_CONNECTION_FLAG_SPECS,
  KAFKA_CONNECTION_OPTION_SPECS,
  kafkaConnectionHelp,
  layeredValues,
  NON_EMPTY,
  type OptionSpec,
  oneLine,
  oneOf,
  optionOf,
  parseEndpoint,
  parser,
  readConfigFile,
  refuseUnknownSettings,
  resolveCountConfig,
  resolveKafkaSecurity,
  type SettingSources,
  TOPIC_NAME,
  TOPIC_PATTERN,
  wholeNumber,
  EXAMPLE_RESULT_LINE,
} from '@uniqstream/app-config';
import { COMBINE_CHOICES, type CombineChoice, resolveEngineOptions, UniqstreamError } from '@uniqstream/core';
import type { KafkaSecurity } from '@uniqstream/kafka';
import { Command, CommanderError } from 'commander';
import { ConsumerError } from './errors.js';
import { serviceVersion } from './version.js';

/**
 * The service's configuration: the options of `uniqstream count`
 * (COUNT_OPTION_SPECS, registered the way the CLI registers them) plus the
 * service's own. Sources, lowest first: defaults < config file (`--config`,
 * JSON, keys = long option names) < `UNIQSTREAM_*` environment < flags.
 */

export const ROLES = ['all', 'count', 'merge'] as const;
/** `count`: partitions -> partial results; `merge`: partial results -> results; `all`: both. */
export type Role = (typeof ROLES)[number];

const MISSING_CHECKPOINT_CHOICES = ['rebuild', 'continue'] as const;
/**
 * What a partition with committed offsets but no usable checkpoint does:
 * `rebuild` reads it again from its earliest offset, writing nothing of what
 * comes before the committed offset, so that the windows open there get
 * their frames back; `continue` starts at the committed offset with empty
 * state, and the windows open there come out short.
 */
type MissingCheckpointChoice = (typeof MISSING_CHECKPOINT_CHOICES)[number];

const GUARANTEES = ['at-least-once', 'exactly-once'] as const;
/**
 * As Kafka Streams' processing.guarantee. `at-least-once`: a crash or a
 * failover may write partials and results again (the same values).
 * `exactly-once`: each checkpoint cycle's partials, checkpoints and consumed
 * offsets, and each merge step's results, are written in one Kafka
 * transaction, and a `read_committed` reader sees every result once.
 */
type Guarantee = (typeof GUARANTEES)[number];
/**
 * Exactly-once publishes partials only when a cycle commits, so the
 * checkpoint interval is how long results wait: 1 s keeps them within a
 * second or so of being known, and each commit writes the state of every
 * open window, which for minute and hour windows is small.
 */
const EXACTLY_ONCE_CHECKPOINT_SECONDS = 1;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_HTTP_HOST = '127.0.0.1';
/** Prometheus's registry lists 9464 for OpenTelemetry-style exporters; free on most hosts. */
export const DEFAULT_HTTP_PORT = 9464;
export const DEFAULT_SESSION_TIMEOUT_SECONDS = 30;
/** The broker's default group.min.session.timeout.ms and group.max.session.timeout.ms. */
const MIN_SESSION_TIMEOUT_SECONDS = 6;
const MAX_SESSION_TIMEOUT_SECONDS = 1800;
const MAX_PORT = 65_535;
const MS_PER_SECOND = 1000;
const CONFIG_ENV = 'UNIQSTREAM_CONFIG';
const HTTP_AND_LOGS_HELP =
  `HTTP (default ${DEFAULT_HTTP_HOST}:${DEFAULT_HTTP_PORT}): /healthz, /readyz, /metrics (Prometheus). ` +
  'Logs: JSON lines on stderr.';
const PROGRAM = 'uniqstream-consumer';

export interface KafkaTopicRef {
  readonly brokers: readonly string[];
  readonly topic: string;
}

export interface ServiceConfig {
  /** The shared counting options (windows, lateness, method, group, ...). */
  readonly count: CountConfig;
  /** --from: the topic whose frames are counted. */
  readonly input: KafkaTopicRef;
  /** --to: where merged results go; only the merge role needs it. */
  readonly output?: KafkaTopicRef;
  readonly role: Role;
  readonly combine: CombineChoice;
  readonly partialsTopic: string;
  readonly checkpointTopic: string;
  readonly httpHost: string;
  /** 0 = no HTTP server. */
  readonly httpPort: number;
  readonly logLevel: LogLevel;
  readonly sessionTimeoutMs: number;
  readonly missingCheckpoint: MissingCheckpointChoice;
  readonly guarantee: Guarantee;
  /** TLS and a SASL login for every Kafka connection (input, results, dead letters, its own topics); absent:
   * plaintext. */
  readonly security?: KafkaSecurity;
  /** The config file read, if any. */
  readonly configFile?: string;
}

interface ServiceValues {
  role: Role;
  combine: CombineChoice;
  partialsTopic: string;
  checkpointTopic: string;
  httpHost: string;
  httpPort: number;
  logLevel: LogLevel;
  sessionTimeout: number;
  missingCheckpoint: MissingCheckpointChoice;
  guarantee: Guarantee;
}

/** An option of the service's own; it sets one of its values. */
export type ServiceOptionSpec = OptionSpec<keyof ServiceValues>;

export const SERVICE_OPTION_SPECS: readonly ServiceOptionSpec[] = [
  {
    name: 'role',
    key: 'role',
    value: 'role',
    description:
      'count: input partitions -> partial results; merge: partial results -> results (one active per group); all: both',
    defaultText: 'all',
    choices: ROLES,
    parse: parser(oneOf(ROLES), 'role'),
  },
  {
    name: 'combine',
    key: 'combine',
    value: 'how',
    description:
      "how the merge joins the partitions' shares of a window: union (partitions may share users: " +
      'counters are united) or sum (add the counts: ONLY correct when the input topic is keyed by uid, ' +
      'so that each user lives in one partition)',
    defaultText: 'union',
    choices: COMBINE_CHOICES,
    parse: parser(oneOf(COMBINE_CHOICES), 'combine'),
  },
  {
    name: 'partials-topic',
    key: 'partialsTopic',
    value: 'topic',
    description: 'compacted 1-partition topic of partial results and progress, from the count role to the merge role',
    defaultText: '<group>.partials',
    parse: parser(TOPIC_NAME, 'partials-topic'),
  },
  {
    name: 'checkpoint-topic',
    key: 'checkpointTopic',
    value: 'topic',
    description: 'compacted topic of per-partition checkpoints (state + the offset it covers)',
    defaultText: '<group>.checkpoints',
    parse: parser(TOPIC_NAME, 'checkpoint-topic'),
  },
  {
    name: 'http-host',
    key: 'httpHost',
    value: 'host',
    description: 'address of the /healthz, /readyz and /metrics server',
    defaultText: DEFAULT_HTTP_HOST,
    parse: parser(NON_EMPTY, 'http-host'),
  },
  {
    name: 'http-port',
    key: 'httpPort',
    value: 'port',
    description: 'port of the HTTP server; 0 = no server',
    defaultText: String(DEFAULT_HTTP_PORT),
    parse: parser(wholeNumber(0, MAX_PORT), 'http-port'),
  },
  {
    name: 'log-level',
    key: 'logLevel',
    value: 'level',
    description: 'JSON log lines on stderr from this level up',
    defaultText: 'info',
    choices: LOG_LEVELS,
    parse: parser(oneOf(LOG_LEVELS), 'log-level'),
  },
  {
    name: 'session-timeout',
    key: 'sessionTimeout',
    value: 'seconds',
    description:
      'how long the consumer groups wait for a silent instance (killed, hung) before its partitions move to the others',
    defaultText: String(DEFAULT_SESSION_TIMEOUT_SECONDS),
    parse: parser(wholeNumber(MIN_SESSION_TIMEOUT_SECONDS, MAX_SESSION_TIMEOUT_SECONDS), 'session-timeout'),
  },
  {
    name: 'guarantee',
    key: 'guarantee',
    value: 'guarantee',
    description:
      `at-least-once: a crash or failover may write partials and results again (same ` +
      `values); exactly-once: partials, checkpoints, offsets and results in Kafka transactions, so a ` +
      `read_committed reader of --to sees each result once (results then wait for the next checkpoint: ` +
      `--checkpoint-interval defaults to ${EXACTLY_ONCE_CHECKPOINT_SECONDS} s; --to must be on the ` +
      `--from cluster)`,
    defaultText: 'at-least-once',
    choices: GUARANTEES,
    parse: parser(oneOf(GUARANTEES), 'guarantee'),
  },
  {
    name: 'missing-checkpoint',
    key: 'missingCheckpoint',
    value: 'how',
    description:
      'a partition with committed offsets but no usable checkpoint (deleted, compacted away, ' +
      'damaged): rebuild (read it again from its earliest offset; nothing before the committed offset ' +
      'is written again, and the windows open there get their frames back) or continue (start at the ' +
      'committed offset with empty state: the windows open there come out short)',
    defaultText: 'rebuild',
    choices: MISSING_CHECKPOINT_CHOICES,
    parse: parser(oneOf(MISSING_CHECKPOINT_CHOICES), 'missing-checkpoint'),
  },
];

/** Where the service's meaning of a shared option is narrower than the CLI's. */
const SERVICE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  from: 'input topic, kafka://host:port/topic (required)',
  to: 'results topic, kafka://host:port/topic (required for --role all and merge; created compacted if missing)',
  'dead-letter': 'where dropped frames go, with the reason: kafka://host:port/topic, file:PATH or stdout',
  'from-beginning':
    'start at the earliest offset when the group has no committed offset and no checkpoint (else the latest)',
  'checkpoint-interval': 'seconds between checkpoints (partials flushed, state and offsets saved, offsets committed)',
};

/**
 * Count options that belong to bounded CLI runs. They are not flags here;
 * from a config file shared with the CLI or the environment, a value that
 * would change what the service does is refused with the reason.
 */
const CLI_ONLY: ReadonlySet<string> = new Set(['checkpoint', 'until-idle', 'format']);

const DEFAULT_SERVICE_VALUES: Omit<ServiceValues, 'partialsTopic' | 'checkpointTopic'> = {
  role: 'all',
  combine: 'union',
  httpHost: DEFAULT_HTTP_HOST,
  httpPort: DEFAULT_HTTP_PORT,
  logLevel: 'info',
  sessionTimeout: DEFAULT_SESSION_TIMEOUT_SECONDS,
  missingCheckpoint: 'rebuild',
  guarantee: 'at-least-once',
};

export interface ConfigIo {
  /** Reads the config file as text (default: fs.readFileSync). */
  readonly readFile: (path: string) => string;
}

/** What the command line asks for: a run with its configuration, or text to print (help, version). */
export type CommandLine =
  | { readonly kind: 'run'; readonly config: ServiceConfig }
  | { readonly kind: 'print'; readonly text: string };

/**
 * Parses flags, the config file and the environment into a checked
 * configuration. Throws ConsumerError('BAD_CONFIG') with one line for
 * anything wrong, before anything connects.
 */
export function parseCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: ConfigIo,
): CommandLine {
  let printed = '';
  let failure = '';
  const program = buildProgram();
  program.exitOverride().configureOutput({
    writeOut: (text) => void (printed += text),
    writeErr: (text) => void (printed += text),
    outputError: (text) => void (failure = text),
  });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (isPrintedByCommander(error)) return { kind: 'print', text: printed };
    if (error instanceof CommanderError) {
      throw new ConsumerError('BAD_CONFIG', `${oneLine(failure === '' ? error.message : failure)} (see --help)`, {
        cause: error,
      });
    }
    throw error;
  }
  const flags = program.opts<Record<string, unknown>>();
  return { kind: 'run', config: resolveConfig(flags, env, io) };
}

function buildProgram(): Command {
  const program = new Command(PROGRAM)
    .description(
      'A long-lived Kafka-to-Kafka counter of unique users per event-time window: crash-safe ' +
        '(checkpoints in Kafka) and scaled out by running more instances in one consumer group.',
    )
    .version(serviceVersion(), '-V, --version')
    .configureHelp({ sortOptions: false })
    .option(
      '--config <file>',
      `JSON file of settings, keys = long option names (also ${CONFIG_ENV}); flags and UNIQSTREAM_* ` +
        `variables override it`,
    );
  for (const spec of COUNT_OPTION_SPECS) {
    if (CLI_ONLY.has(spec.name)) continue;
    const description = SERVICE_DESCRIPTIONS[spec.name];
    program.addOption(
      optionOf(spec, {
        ...(description === undefined ? {} : { description }),
        // The service has no default results topic: --to is required for the merge.
        showDefault: spec.name !== 'to',
      }),
    );
  }
  for (const spec of SERVICE_OPTION_SPECS) program.addOption(optionOf(spec));
  for (const spec of KAFKA_CONNECTION_FLAG_SPECS) program.addOption(optionOf(spec));
  program.addHelpText(
    'after',
    `
Every option can also be set in the environment as UNIQSTREAM_<NAME> (UNIQSTREAM_MAX_DELAY=10,
UNIQSTREAM_ROLE=merge) or in the --config file ({"max-delay": 10, "role": "merge"}).

--combine sum is only right when the input topic is keyed by uid, so that each user lives in one
partition; with any other partitioning (round-robin, random keys) a user seen in two partitions
would be counted twice: keep the default, union.

Results go to --to as records keyed "window:start" whose value is the result JSON, e.g.
  ${EXAMPLE_RESULT_LINE}
${HTTP_AND_LOGS_HELP}
SIGTERM or SIGINT: stop fetching, flush, checkpoint, commit, exit 0; open windows continue after a restart.

${kafkaConnectionHelp('every Kafka connection (input, results, dead letters, partials, checkpoints)')}
In the --config file: {"kafka-ca": "ca.pem", "kafka-user": "counter"}.

Example:
  uniqstream-consumer --from kafka://127.0.0.1:9092/frames --to kafka://127.0.0.1:9092/counts \\
    --group counters --windows minute,hour --from-beginning
  UNIQSTREAM_KAFKA_PASSWORD=... uniqstream-consumer --from kafka://kafka.example:9094/frames \\
    --to kafka://kafka.example:9094/counts --group counters --kafka-ca ca.pem --kafka-user counter`,
  );
  return program;
}

function resolveConfig(
  flags: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
  io: ConfigIo,
): ServiceConfig {
  const flagPath = flags.config;
  const configFile = typeof flagPath === 'string' ? flagPath : nonBlank(env[CONFIG_ENV]);
  const sources: SettingSources = {
    ...(configFile === undefined
      ? {}
      : { file: configured(() => readConfigFile(configFile, io.readFile)), filePath: configFile }),
    env,
    flags,
  };
  if (sources.file !== undefined) {
    const file = sources.file;
    const specs = [...COUNT_OPTION_SPECS, ...SERVICE_OPTION_SPECS, ...KAFKA_CONNECTION_OPTION_SPECS];
    configured(() => refuseUnknownSettings(file, specs, configFile));
  }

  const countValues = configured(() => layeredValues(COUNT_OPTION_SPECS, sources));
  refuseCliOnly(countValues);
  const serviceValues = configured(() => layeredValues(SERVICE_OPTION_SPECS, sources)) as Partial<ServiceValues>;

  const guarantee = serviceValues.guarantee ?? DEFAULT_SERVICE_VALUES.guarantee;
  if (guarantee === 'exactly-once' && countValues.checkpointInterval === undefined)
    countValues.checkpointInterval = EXACTLY_ONCE_CHECKPOINT_SECONDS;
  const count = resolveCountConfig(countValues);
  from('the counting options', () => resolveEngineOptions(engineOptionsOf(count)));
  const service: ServiceValues = {
    ...DEFAULT_SERVICE_VALUES,
    partialsTopic: `${count.group}.partials`,
    checkpointTopic: `${count.group}.checkpoints`,
    ...serviceValues,
  };
  // Its lines name the setting and where it came from, never a secret.
  const security: KafkaSecurity | undefined = configured(() =>
    resolveKafkaSecurity({ ...sources, readFile: io.readFile }),
  );
  return {
    ...checked(count, service, countValues.to !== undefined, configFile),
    ...(security === undefined ? {} : { security }),
  };
}

function checked(
  count: CountConfig,
  service: ServiceValues,
  toGiven: boolean,
  configFile: string | undefined,
): ServiceConfig {
  if (count.group.trim() === '') throw bad('--group must not be empty');
  if (count.from === undefined) throw bad('--from is required: the Kafka topic to count, kafka://host:port/topic');
  const input = kafkaTopic('--from', count.from, 'input');
  let output: KafkaTopicRef | undefined;
  if (toGiven) output = kafkaTopic('--to', count.to, 'output');
  else if (service.role !== 'count')
    throw bad(`--to is required with --role ${service.role}: the Kafka topic for results, kafka://host:port/topic`);
  if (count.deadLetter !== undefined) from('--dead-letter', () => parseEndpoint(count.deadLetter!, 'output'));
  for (const [flag, topic] of [
    ['--partials-topic', service.partialsTopic],
    ['--checkpoint-topic', service.checkpointTopic],
  ] as const) {
    if (!TOPIC_PATTERN.test(topic))
      throw bad(`${flag} ${topic} is not a valid topic name (letters, digits, '.', '_', '-')`);
    if (topic === input.topic || topic === output?.topic)
      throw bad(`${flag} ${topic} is also the input or result topic: give each its own`);
  }
  if (service.partialsTopic === service.checkpointTopic)
    throw bad('--partials-topic and --checkpoint-topic must differ');
  if (output !== undefined && output.topic === input.topic && output.brokers.join(',') === input.brokers.join(','))
    throw bad('--to must not be the --from topic');
  if (
    service.guarantee === 'exactly-once' &&
    output !== undefined &&
    output.brokers.join(',') !== input.brokers.join(',')
  ) {
    throw bad(
      '--guarantee exactly-once needs --to on the cluster of --from: a Kafka transaction does not span two clusters',
    );
  }
  return {
    count,
    input,
    ...(output === undefined ? {} : { output }),
    role: service.role,
    combine: service.combine,
    partialsTopic: service.partialsTopic,
    checkpointTopic: service.checkpointTopic,
    httpHost: service.httpHost,
    httpPort: service.httpPort,
    logLevel: service.logLevel,
    sessionTimeoutMs: service.sessionTimeout * MS_PER_SECOND,
    missingCheckpoint: service.missingCheckpoint,
    guarantee: service.guarantee,
    ...(configFile === undefined ? {} : { configFile }),
  };
}

function kafkaTopic(flag: string, text: string, direction: 'input' | 'output'): KafkaTopicRef {
  const endpoint = from(flag, () => parseEndpoint(text, direction));
  if (endpoint.kind !== 'kafka') {
    throw bad(
      `${flag} must be a Kafka topic (kafka://host:port/topic), got ${text}: the service reads and ` +
        `writes Kafka only (uniqstream count handles files and stdin)`,
    );
  }
  return { brokers: endpoint.brokers, topic: endpoint.topic };
}

/** Refuses CLI-only settings that would change what the service does. */
function refuseCliOnly(values: Partial<Record<keyof CountConfig, unknown>>): void {
  if (values.checkpoint !== undefined)
    throw bad(
      'checkpoint: the service keeps its checkpoints in Kafka (--checkpoint-topic); a checkpoint ' +
        'directory is for uniqstream count',
    );
  if (typeof values.untilIdle === 'number' && values.untilIdle > 0)
    throw bad(
      'until-idle: the service runs until it is stopped (SIGTERM); use uniqstream count --until-idle for a bounded run',
    );
  if (values.format !== undefined && values.format !== 'json')
    throw bad(`format: results go to Kafka as JSON, not ${String(values.format)}`);
}

/** Runs a parse and turns its error into BAD_CONFIG naming where the value came from. */
function from<T>(where: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw bad(
      error instanceof UniqstreamError
        ? `${oneLine(message)} (in ${where.trim()})`
        : `${where.trim()}: ${oneLine(message)}`,
      error,
    );
  }
}

/** Runs a step of app-config, whose errors already say where the value came from, as BAD_CONFIG. */
function configured<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof UniqstreamError) throw bad(oneLine(error), error);
    throw error;
  }
}

function nonBlank(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function bad(message: string, cause?: unknown): ConsumerError {
  return new ConsumerError('BAD_CONFIG', message, cause === undefined ? undefined : { cause });
}
