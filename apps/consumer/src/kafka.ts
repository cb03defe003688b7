import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Admin, type ConfigResourceTypes, type IResourceConfigEntry, type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';
import { ConsumerError } from './errors.js';

/*
 * kafkajs settings for the service's own clients. The values follow
 * @uniqstream/sources' kafka-client.ts (not exported there): keep them in
 * step.
 */

const KIB = 1024;
const MIB = 1024 * KIB;
/** kafkajs's 1 s default gives false alarms on a loaded machine. */
const CONNECTION_TIMEOUT_MS = 3_000;
const REQUEST_TIMEOUT_MS = 30_000;
/**
 * About 40 s of backoff before kafkajs gives up on a request. Every field is
 * set because kafkajs takes its defaults from NODE_ENV (tiny ones under test
 * runners).
 */
const RUN_RETRY = { initialRetryTime: 300, maxRetryTime: 10_000, factor: 0.2, multiplier: 2, retries: 8 } as const;
/**
 * Producers of state retry for as long as it takes (kafkajs warns that a
 * limited count may break the idempotent producer's guarantees); a broker
 * that stays away stops the service through its consumers, which give up.
 */
export const PRODUCER_RETRY = { ...RUN_RETRY, retries: Number.MAX_SAFE_INTEGER } as const;
/** A message repeated within this long is counted, not logged again (kafkajs logs every retry). */
const REPEAT_WINDOW_MS = 10_000;
const FIRST_BACKOFF_MS = 250;
/** ConfigResourceTypes.TOPIC: kafkajs's enum is not a named export Node's ESM loader sees in its CommonJS build. */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;
const MAX_BACKOFF_MS = 2_000;

/**
 * The largest record the partials and checkpoint topics take: a checkpoint
 * holds a partition's open windows with their counters (an exact set of 1M
 * users is ~16 MB), a partial one window's counter.
 */
export const MAX_RECORD_BYTES = 64 * MIB;
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

export function createKafka(brokers: readonly string[], clientId: string, log: Logger, retry: { readonly retries: number } = RUN_RETRY): Kafka {
  return new Kafka({
    clientId,
    brokers: [...brokers],
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    retry: { ...RUN_RETRY, ...retry },
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(log),
  });
}

/**
 * Routes kafkajs's warnings and errors into pino as one line each (no
 * stacks), with a count instead of a repeat for the same line within 10 s.
 * kafkajs logs every error answer of a broker at ERROR, also the retriable
 * ones it then retries (`Response ...`): those are debug lines here.
 */
export function pinoLogCreator(log: Logger): logCreator {
  const lastShown = new Map<string, { at: number; suppressed: number }>();
  return () => (entry: LogEntry) => {
    const { message, error } = entry.log as { message?: unknown; error?: unknown };
    const text = firstLine(String(message ?? ''));
    const answered = entry.namespace === 'Connection' && text.startsWith('Response ');
    const level = answered ? 'debug' : entry.level === logLevel.ERROR ? 'error' : entry.level === logLevel.WARN ? 'warn' : 'debug';
    const key = `${level} ${entry.namespace} ${text.replace(/\d+/g, '#')}`;
    const at = performance.now();
    const seen = lastShown.get(key);
    if (seen !== undefined && at - seen.at < REPEAT_WINDOW_MS) {
      seen.suppressed++;
      return;
    }
    lastShown.set(key, { at, suppressed: 0 });
    const fields: Record<string, unknown> = { component: 'kafkajs', namespace: entry.namespace };
    if (typeof error === 'string' && error !== '' && !text.includes(error)) fields['error'] = firstLine(error);
    if (seen !== undefined && seen.suppressed > 0) fields['repeats'] = seen.suppressed;
    log[level](fields, text);
  };
}

/**
 * Waits until a broker answers, probing with a client that does not retry
 * by itself, with backoff, until `timeoutMs` passes (a broker still
 * starting) or `signal` aborts. Resolves false when aborted.
 */
export async function waitForKafka(brokers: readonly string[], options: { timeoutMs: number; signal: AbortSignal; log: Logger }): Promise<boolean> {
  const where = brokers.join(',');
  // The probe's own failures are expected while waiting: debug lines only.
  const probe = createKafka(brokers, 'uniqstream-consumer-probe', options.log.child({}, { level: 'silent' }), { retries: 0 }).admin();
  const deadline = performance.now() + options.timeoutMs;
  let backoff = FIRST_BACKOFF_MS;
  try {
    for (let tries = 1; ; tries++) {
      if (options.signal.aborted) return false;
      try {
        await probe.connect();
        return true;
      } catch (error) {
        if (options.signal.aborted) return false;
        const left = deadline - performance.now();
        if (left <= 0) throw new ConsumerError('KAFKA_FAILED', `cannot reach Kafka at ${where}: ${describeKafkaError(error)}`, { cause: error });
        if (tries === 1) options.log.warn({ reason: describeKafkaError(error) }, `waiting for Kafka at ${where}`);
        await sleep(Math.min(backoff, left), undefined, { signal: options.signal }).catch(() => undefined);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  } finally {
    await probe.disconnect().catch(() => undefined);
  }
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
export async function ensureTopic(admin: Admin, spec: TopicSpec, log: Logger): Promise<number> {
  try {
    const created = await admin.createTopics({
      topics: [{ topic: spec.topic, numPartitions: spec.partitions, configEntries: [...spec.configEntries] }],
      waitForLeaders: true,
    });
    if (created) log.info({ topic: spec.topic, partitions: spec.partitions }, `created topic ${spec.topic} for ${spec.what}`);
    const partitions = await partitionCount(admin, spec.topic);
    if (!created) {
      const described = await admin.describeConfigs({ resources: [{ type: TOPIC_RESOURCE, name: spec.topic, configNames: ['cleanup.policy'] }], includeSynonyms: false });
      const policy = described.resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue ?? '';
      if (!policy.split(',').includes('compact')) log.warn({ topic: spec.topic, policy }, `topic ${spec.topic} (${spec.what}) is not compacted: its records expire with retention, and a restart may then lose state`);
    }
    return partitions;
  } catch (error) {
    if (error instanceof ConsumerError) throw error;
    throw new ConsumerError('KAFKA_FAILED', `cannot set up topic ${spec.topic} (${spec.what}): ${describeKafkaError(error)}`, { cause: error });
  }
}

/** Partitions of an existing topic; KAFKA_FAILED when it does not exist. */
export async function partitionCount(admin: Admin, topic: string): Promise<number> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) throw new ConsumerError('KAFKA_FAILED', `topic ${topic} does not exist (create it with the partitions you want to scale to, e.g. kafka-topics --create --topic ${topic} --partitions 4)`);
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  return metadata.topics[0]?.partitions.length ?? 0;
}

/**
 * True for the heartbeat answer that means "the group is rebalancing, rejoin":
 * this member still holds its partitions, and the group waits for it.
 */
export function isRebalanceInProgress(error: unknown): boolean {
  return (error as { type?: unknown } | null)?.type === 'REBALANCE_IN_PROGRESS';
}

/** One line for a kafkajs error: its message and, when different, its root cause's. */
export function describeKafkaError(error: unknown): string {
  const top = error instanceof Error ? error.message : String(error);
  let root: unknown = error;
  const seen = new Set<unknown>();
  while (root instanceof Error && root.cause !== undefined && !seen.has(root.cause)) {
    seen.add(root.cause);
    root = root.cause;
  }
  const deepest = root instanceof Error ? root.message : String(root);
  return firstLine(deepest !== '' && !top.includes(deepest) ? `${top}: ${deepest}` : top);
}

function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return (end === -1 ? text : text.slice(0, end)).trim();
}
