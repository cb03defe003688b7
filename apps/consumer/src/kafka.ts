import {
  authorizationFailureOf,
  createKafka,
  describeKafkaError,
  GaveUp,
  isTransient,
  KafkaError,
  KafkaTopicWriter,
  OFFSETS_RETRY_MS,
  PROBE_RETRY,
  quietened,
  retryUntil,
  RUN_RETRY,
  waitForBroker,
  type KafkaSecurity,
  type SocketTracker,
} from '@uniqstream/kafka';
import type { Admin, ConfigResourceTypes, IResourceConfigEntry, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { ConsumerError, consumerErrorOf } from './errors.js';
import { kafkaLogOf } from './log.js';

/*
 * What the service's own Kafka clients and topics need beyond
 * @uniqstream/kafka: the settings of the compacted state topics, and
 * setting them up.
 */

const KIB = 1024;
const MIB = 1024 * KIB;
/** ConfigResourceTypes.TOPIC: kafkajs's enum is not a named export Node's ESM loader sees in its CommonJS build. */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/**
 * The largest record the partials and checkpoint topics take: a checkpoint
 * holds a partition's open windows with their counters (an exact set of 1M
 * users is ~16 MB), a partial one window's counter.
 */
const MAX_RECORD_BYTES = 64 * MIB;
/** A record batch may not exceed a segment, so segments must be larger than the largest record. */
const SEGMENT_BYTES = 2 * MAX_RECORD_BYTES;
/** Segments roll at least this often so that compaction, which skips the active segment, gets to them. */
const SEGMENT_MS = 10 * 60_000;

/** Compacted topics of state: the latest record per key is what counts. */
export const STATE_TOPIC_CONFIG: readonly IResourceConfigEntry[] = [
  { name: 'cleanup.policy', value: 'compact' },
  { name: 'max.message.bytes', value: String(MAX_RECORD_BYTES) },
  { name: 'segment.bytes', value: String(SEGMENT_BYTES) },
  { name: 'segment.ms', value: String(SEGMENT_MS) },
  { name: 'min.cleanable.dirty.ratio', value: '0.1' },
];

/** kafkajs fetch sizes for the state topics, so that the largest record fits one answer. */
export const STATE_FETCH = { maxBytesPerPartition: MAX_RECORD_BYTES, maxBytes: 2 * MAX_RECORD_BYTES } as const;

export interface ServiceClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** kafkajs's own lines go here as `component: "kafkajs"`, one each (see kafkaLogOf). */
  readonly log: Logger;
  readonly now: () => number;
  /** Where the client's connections are remembered, to end those kafkajs leaves open. */
  readonly sockets: SocketTracker;
  /** TLS and a SASL login; absent: plaintext. */
  readonly security?: KafkaSecurity | undefined;
}

/** The service's shared client: uniqstream's settings, retries of a run. */
export function createServiceKafka(options: ServiceClientOptions): Kafka {
  return createKafka({ ...options, log: kafkaLogOf(options.log), verbose: false, retry: RUN_RETRY });
}

/**
 * Waits until a broker answers, probing with a client that does not retry
 * by itself, with backoff, until `timeoutMs` passes (a broker still
 * starting) or `signal` aborts. Resolves false when aborted.
 */
export async function waitForKafka(
  options: ServiceClientOptions & { readonly timeoutMs: number; readonly signal: AbortSignal },
): Promise<boolean> {
  // The probe's own failures are expected while waiting: debug lines only.
  const probe = createKafka({
    ...options,
    clientId: `${options.clientId}-probe`,
    log: quietened(kafkaLogOf(options.log)),
    verbose: false,
    retry: PROBE_RETRY,
  });
  const log = options.log;
  try {
    await waitForBroker(probe, options.brokers, {
      timeoutMs: options.timeoutMs,
      now: options.now,
      signal: options.signal,
      log: (level, message) => log[level](message),
    });
    return true;
  } catch (error) {
    if (options.signal.aborted) return false;
    throw error instanceof KafkaError ? consumerErrorOf(error) : error;
  }
}

/**
 * How much one send of a state writer holds at most; a larger record goes
 * alone. The idempotent producer has one send in flight, so each send costs
 * a round trip: at 128 KiB the service was slower and used more CPU on the
 * bench's 1M frames (4 partitions: ~3.3 s to merged vs ~2.0 s), though its
 * peak RSS was ~15 MB lower (kafkajs encodes a send through buffers that
 * double as they fill, 2 MiB each at this size).
 */
const SEND_BYTES = 1024 * KIB;

/**
 * Keyed records to one of the service's topics (partials, checkpoints,
 * tombstones) through the shared client's idempotent producer, in the order
 * written, which partials followed by progress rely on. Sends wait for their
 * acknowledgement for as long as it takes (kafkajs keeps retrying; a broker
 * that stays away stops the service through its consumers), and close()
 * does not flush: what is not acknowledged then is replayed from the
 * checkpoints.
 */
export function createStateWriter(kafka: Kafka, topic: string, what: string): KafkaTopicWriter {
  return new KafkaTopicWriter({
    kafka,
    topic,
    what,
    unavailableTimeoutMs: 0,
    batchBytes: SEND_BYTES,
    errorOf: consumerErrorOf,
  });
}

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly configEntries: readonly IResourceConfigEntry[];
  /** What it holds, for messages. */
  readonly what: string;
}

/**
 * Creates a topic with its settings when it is missing; returns its
 * partition count. An existing topic is taken as it is, but one that is not
 * compacted is reported, since its records would expire.
 */
export async function ensureTopic(admin: Admin, spec: TopicSpec, log: Logger, user?: string): Promise<number> {
  let partitions = 0;
  try {
    // Instances started together race to create the topic; the loser's broker may not know it for a moment.
    await retryUntil(
      async () => {
        partitions = await setUpTopic(admin, spec, log);
      },
      { timeoutMs: OFFSETS_RETRY_MS, now: () => performance.now(), retryIf: isTransient },
    );
  } catch (failure) {
    const error = failure instanceof GaveUp ? failure.cause : failure;
    if (error instanceof ConsumerError) throw error;
    if (authorizationFailureOf(error) === 'TOPIC_AUTHORIZATION_FAILED') {
      const who = user === undefined ? 'this client' : `user ${user}`;
      throw new ConsumerError(
        'KAFKA_FAILED',
        `cannot set up topic ${spec.topic} (${spec.what}): ${who} is not allowed to (ACLs for CREATE ` +
          `and DESCRIBE_CONFIGS, then READ and WRITE, on topic ${spec.topic} are needed)`,
        { cause: error },
      );
    }
    throw new ConsumerError(
      'KAFKA_FAILED',
      `cannot set up topic ${spec.topic} (${spec.what}): ${describeKafkaError(error)}`,
      { cause: error },
    );
  }
  return partitions;
}

async function setUpTopic(admin: Admin, spec: TopicSpec, log: Logger): Promise<number> {
  const created = await admin.createTopics({
    topics: [{ topic: spec.topic, numPartitions: spec.partitions, configEntries: [...spec.configEntries] }],
    waitForLeaders: true,
  });
  if (created)
    log.info({ topic: spec.topic, partitions: spec.partitions }, `created topic ${spec.topic} for ${spec.what}`);
  const partitions = created ? spec.partitions : await knownPartitions(admin, spec.topic);
  if (!created) {
    const described = await admin.describeConfigs({
      resources: [{ type: TOPIC_RESOURCE, name: spec.topic, configNames: ['cleanup.policy'] }],
      includeSynonyms: false,
    });
    const policy =
      described.resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue ?? '';
    if (!policy.split(',').includes('compact'))
      log.warn(
        { topic: spec.topic, policy },
        `topic ${spec.topic} (${spec.what}) is not compacted: its records expire with retention, and ` +
          `a restart may then lose state`,
      );
  }
  return partitions;
}

/**
 * Partitions of a topic the broker says exists (it refused to create it).
 * Another instance may have created it a moment ago, and this broker may not
 * list it yet: that is retriable, as kafkajs marks its own transient answers.
 */
async function knownPartitions(admin: Admin, topic: string): Promise<number> {
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  const partitions = metadata.topics[0]?.partitions.length ?? 0;
  if (partitions === 0)
    throw Object.assign(new Error(`topic ${topic} exists but this broker does not know its partitions yet`), {
      retriable: true,
    });
  return partitions;
}

/** Partitions of an existing topic; KAFKA_FAILED when it does not exist. */
export async function partitionCount(admin: Admin, topic: string): Promise<number> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic))
    throw new ConsumerError(
      'KAFKA_FAILED',
      `topic ${topic} does not exist (create it with the partitions you want to scale to, e.g. ` +
        `kafka-topics --create --topic ${topic} --partitions 4)`,
    );
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  return metadata.topics[0]?.partitions.length ?? 0;
}

/**
 * The offsets `group` has committed on `topic`, per partition (partitions
 * without one are absent). Asked again while the broker settles, as
 * topicOffsets does. Rejects with KafkaError('FAILED').
 */
export async function committedOffsets(
  admin: Pick<Admin, 'fetchOffsets'>,
  group: string,
  topic: string,
  timeoutMs = OFFSETS_RETRY_MS,
): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  try {
    await retryUntil(
      async () => {
        out.clear();
        for (const entry of await admin.fetchOffsets({ groupId: group, topics: [topic] })) {
          for (const { partition, offset } of entry.partitions)
            if (Number(offset) >= 0) out.set(partition, Number(offset));
        }
      },
      { timeoutMs, now: () => performance.now(), retryIf: isTransient },
    );
  } catch (error) {
    const reason = error instanceof GaveUp ? error.reason : String(error);
    throw new KafkaError('FAILED', `cannot read the offsets group ${group} committed on ${topic}: ${reason}`, {
      cause: error,
    });
  }
  return out;
}
