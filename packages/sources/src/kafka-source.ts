import type { Admin, Batch, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { FrameBatch, Positions, Source } from '@uniqstream/core';
import { SourceError } from './errors.js';
import {
  createKafka,
  DEFAULT_CLIENT_ID,
  defaultKafkaLog,
  describeKafkaError,
  GaveUp,
  PROBE_RETRY,
  quietened,
  retryUntil,
  RUN_RETRY,
  SocketTracker,
  type KafkaLog,
} from './kafka-client.js';
import { Handoff } from './kafka-handoff.js';

const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * Fetch sizes for frames of about 2 KB, chosen by the `kafka` benchmark
 * (packages/bench/src/suites/kafka.ts; figures in the README). kafkajs
 * fetches, then hands the batches over, then fetches again: fewer, larger
 * answers cost less waiting, but answers much over ~4 MiB cost more in
 * kafkajs than they save. So a fetch aims at FETCH_TARGET_BYTES in all,
 * split over the topic's partitions, with at least 1 MiB (~500 frames) each.
 */
export const FETCH_TARGET_BYTES = 4 * MIB;
export const MIN_MAX_BYTES_PER_PARTITION = 1 * MIB;
export const DEFAULT_MAX_BYTES = 16 * MIB;

/** The default maxBytesPerPartition for a topic of `partitions` partitions: 4 MiB for 1, 2 MiB for 2, 1 MiB from 4. */
export function defaultMaxBytesPerPartition(partitions: number): number {
  return Math.max(MIN_MAX_BYTES_PER_PARTITION, Math.floor(FETCH_TARGET_BYTES / Math.max(1, partitions)));
}
/**
 * A fetch returns as soon as there is anything: a backlog fills fetches
 * anyway, and a live tail is not held back to fill one.
 */
export const DEFAULT_MIN_BYTES = 1;
/** How long the broker holds a fetch while there is nothing: paces fetches (and idle ticks) when idle. */
export const DEFAULT_MAX_WAIT_MS = 250;
/** With no data, an empty batch this often lets the pipeline check idleness. */
export const IDLE_TICK_MS = 500;
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** Connection lost during a run: retry this long before failing (0 = forever). */
export const DEFAULT_UNAVAILABLE_TIMEOUT_MS = 5 * 60_000;
/**
 * A fetch answers within maxWait when the broker is well; no answer for
 * this much longer means the connection is in trouble, and idle ticks stop:
 * "no frames" then means "cannot tell", not "idle".
 */
const FETCH_STALE_MARGIN_MS = 2_000;
const SESSION_TIMEOUT_MS = 30_000;
const HEARTBEAT_INTERVAL_MS = 3_000;
/** A null record value is handed on as no bytes, which the decoder reports as 'empty'. */
const EMPTY_VALUE = Buffer.alloc(0);

export interface KafkaSourceOptions {
  /** `host:port` of one or more brokers. */
  readonly brokers: readonly string[];
  readonly topic: string;
  /** Consumer group: its committed offsets are where reading resumes. */
  readonly group: string;
  /** Where a group without committed offsets starts: the earliest offset, else the latest. */
  readonly fromBeginning: boolean;
  /** Default `uniqstream`. */
  readonly clientId?: string;
  /** One line per event; default: kafkajs errors on stderr, nothing else. */
  readonly log?: KafkaLog;
  /** Also kafkajs's own info lines (as 'debug'). */
  readonly verbose?: boolean;
  /** Called after every group join with the partitions gained and lost. */
  readonly onAssignment?: (assigned: readonly number[], revoked: readonly number[]) => void;
  /** How long to wait for a broker at start before failing with KAFKA_UNAVAILABLE (default 30 s). */
  readonly connectTimeoutMs?: number;
  /** How long a broker may stay away during a run before failing with KAFKA_UNAVAILABLE (default 5 min, 0 = forever). */
  readonly unavailableTimeoutMs?: number;
  /** Default: defaultMaxBytesPerPartition(partitions of the topic). */
  readonly maxBytesPerPartition?: number;
  readonly maxBytes?: number;
  readonly minBytes?: number;
  readonly maxWaitTimeInMs?: number;
  /** Monotonic ms for timeouts and log pacing (default performance.now). */
  readonly now?: () => number;
}

/** Core's Source over one Kafka topic, read by a consumer group. */
export interface KafkaSource extends Source {
  readonly topic: string;
  /**
   * Commits offsets of the partitions this consumer holds (others are
   * skipped). A failed commit is logged, not thrown: reading again from
   * an older commit loses nothing.
   */
  commit(positions: Positions): Promise<void>;
  /** Partitions of the topic this consumer holds now, ascending. */
  assigned(): number[];
  /**
   * Messages behind per assigned partition: the high watermark minus the
   * next offset to hand on (what was handed on, else the group's committed
   * offset, else where fromBeginning starts).
   */
  lag(): Promise<ReadonlyMap<number, number>>;
}

/**
 * Opens a Kafka source. Nothing connects until `batches()` is iterated; a
 * broker that cannot be reached within connectTimeoutMs then fails the
 * iteration with SourceError('KAFKA_UNAVAILABLE'), a topic that does not
 * exist with 'KAFKA_TOPIC_NOT_FOUND'.
 *
 * Every kafkajs batch becomes one FrameBatch: `frames` are the records'
 * value Buffers as kafkajs decoded them (no copy), `positions` their
 * offsets, `next` the last offset + 1. Offsets are committed only by
 * `commit()`, which the pipeline calls once the results covering them are
 * in the sink.
 */
export function openKafkaSource(options: KafkaSourceOptions): KafkaSource {
  return new KafkaSourceImpl(options);
}

interface Pending {
  readonly batch: FrameBatch;
}

class KafkaSourceImpl implements KafkaSource {
  readonly name: string;
  readonly topic: string;
  private readonly options: KafkaSourceOptions;
  private readonly log: KafkaLog;
  private readonly now: () => number;
  private readonly where: string;
  private readonly kafka: Kafka;
  private readonly probeKafka: Kafka;
  private readonly sockets = new SocketTracker();
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private readonly handoff = new Handoff<Pending>();
  /** Per partition, the offset after the last frame handed on: re-deliveries below it are dropped. */
  private readonly delivered = new Map<number, number>();
  private assignment: number[] = [];
  private started = false;
  private closed = false;
  /** In the group with an assignment, since the last crash. */
  private joined = false;
  private failure: SourceError | undefined;
  /** When the last fetch answered (data or not). */
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private troubleSince: number | undefined;
  private lastTrouble = '';
  private readonly staleAfterMs: number;
  /** Parks eachBatch calls once the pipeline stopped reading, until close(). */
  private releaseParked: () => void = () => {};
  private readonly parked: Promise<void>;
  /** Aborted by close(): ends a wait for the broker at start. */
  private readonly stopStarting = new AbortController();
  private starting: Promise<void> | undefined;

  constructor(options: KafkaSourceOptions) {
    if (options.brokers.length === 0) throw new SourceError('BAD_OPTION', 'no Kafka broker given');
    if (options.topic === '') throw new SourceError('BAD_OPTION', 'no Kafka topic given');
    if (options.group === '') throw new SourceError('BAD_OPTION', 'the Kafka consumer group must not be empty');
    this.options = options;
    this.topic = options.topic;
    this.where = options.brokers.join(',');
    this.name = `kafka://${this.where}/${options.topic}`;
    this.log = options.log ?? defaultKafkaLog;
    this.now = options.now ?? (() => performance.now());
    this.staleAfterMs = (options.maxWaitTimeInMs ?? DEFAULT_MAX_WAIT_MS) + FETCH_STALE_MARGIN_MS;
    const client = {
      brokers: options.brokers,
      clientId: options.clientId ?? DEFAULT_CLIENT_ID,
      log: this.log,
      verbose: options.verbose ?? false,
      now: this.now,
      sockets: this.sockets,
    };
    this.kafka = createKafka({ ...client, retry: RUN_RETRY });
    this.probeKafka = createKafka({ ...client, log: quietened(this.log), retry: PROBE_RETRY });
    this.parked = new Promise<void>((resolve) => (this.releaseParked = resolve));
  }

  assigned(): number[] {
    return [...this.assignment];
  }

  async *batches(signal?: AbortSignal): AsyncGenerator<FrameBatch> {
    if (this.started) throw new SourceError('BAD_STATE', `${this.name} can be iterated only once`);
    this.started = true;
    const onAbort = (): void => this.handoff.wake();
    signal?.addEventListener('abort', onAbort);
    try {
      this.starting = this.start(signal === undefined ? this.stopStarting.signal : AbortSignal.any([signal, this.stopStarting.signal]));
      await this.starting;
      let idleSince = this.now();
      while (!this.closed && signal?.aborted !== true) {
        const pending = await this.handoff.take(IDLE_TICK_MS, signal);
        if (this.failure !== undefined) throw this.failure;
        if (pending !== undefined) {
          const batch = pending.batch;
          this.delivered.set(batch.partition, batch.next);
          yield batch;
          idleSince = this.now();
          continue;
        }
        const at = this.now();
        if (this.healthy(at)) {
          if (at - idleSince >= IDLE_TICK_MS) {
            idleSince = at;
            yield this.tick();
          }
        } else {
          this.checkUnavailable(at);
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.handoff.close();
    }
  }

  async commit(positions: Positions): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined || this.closed) return;
    const held = new Set(this.assignment);
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    for (const [partition, next] of positions) {
      // A partition moved to another member is committed by it now.
      if (held.has(partition) && Number.isSafeInteger(next) && next >= 0) offsets.push({ topic: this.topic, partition, offset: String(next) });
    }
    if (offsets.length === 0) return;
    try {
      await consumer.commitOffsets(offsets);
    } catch (error) {
      // At least once: a commit that did not happen means re-reading, never losing.
      this.log('warn', `could not commit offsets of ${this.topic} (${describeKafkaError(error)}); the next commit covers them`);
    }
  }

  async lag(): Promise<ReadonlyMap<number, number>> {
    const admin = this.admin;
    if (admin === undefined) return new Map();
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(this.topic),
      admin.fetchOffsets({ groupId: this.options.group, topics: [this.topic] }),
    ]);
    const committedAt = new Map<number, number>();
    for (const p of committed[0]?.partitions ?? []) committedAt.set(p.partition, Number(p.offset));
    const out = new Map<number, number>();
    for (const end of ends) {
      if (!this.assignment.includes(end.partition)) continue;
      const high = Number(end.high);
      const group = committedAt.get(end.partition) ?? -1;
      const position = this.delivered.get(end.partition) ?? (group >= 0 ? group : this.options.fromBeginning ? Number(end.low) : high);
      out.set(end.partition, Math.max(0, high - position));
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handoff.close();
    this.releaseParked();
    this.stopStarting.abort();
    // A start still under way would otherwise connect after the disconnect and keep the process alive.
    await this.starting?.catch(() => undefined);
    const consumer = this.consumer;
    const admin = this.admin;
    await Promise.allSettled([consumer?.disconnect(), admin?.disconnect()]);
    const left = this.sockets.destroyAll();
    if (left > 0) this.log('debug', `closed ${left} connection${left === 1 ? '' : 's'} kafkajs left open`);
  }

  /** Waits for a broker, checks the topic, joins the group and starts fetching. */
  private async start(signal: AbortSignal | undefined): Promise<void> {
    const probe = this.probeKafka.admin();
    try {
      await retryUntil(() => probe.connect(), {
        timeoutMs: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        now: this.now,
        signal,
        onFirstFailure: (reason) => this.log('warn', `waiting for Kafka at ${this.where}: ${reason}`),
      });
    } catch (error) {
      if (signal?.aborted === true || this.closed) return;
      const reason = error instanceof GaveUp ? error.reason : describeKafkaError(error);
      throw new SourceError('KAFKA_UNAVAILABLE', `cannot reach Kafka at ${this.where}: ${reason}`, { cause: error });
    } finally {
      await probe.disconnect().catch(() => undefined);
    }
    let partitions: number;
    try {
      const admin = this.kafka.admin();
      this.admin = admin;
      await admin.connect();
      const topics = await admin.listTopics();
      if (!topics.includes(this.topic)) {
        throw new SourceError(
          'KAFKA_TOPIC_NOT_FOUND',
          `topic ${this.topic} does not exist on Kafka at ${this.where} (create it, e.g. kafka-topics --bootstrap-server ${this.options.brokers[0]} --create --topic ${this.topic})`,
        );
      }
      const metadata = await admin.fetchTopicMetadata({ topics: [this.topic] });
      partitions = metadata.topics[0]?.partitions.length ?? 1;
    } catch (error) {
      if (error instanceof SourceError) throw error;
      throw new SourceError('KAFKA_UNAVAILABLE', `cannot read the topics of Kafka at ${this.where}: ${describeKafkaError(error)}`, { cause: error });
    }
    if (this.closed) return;

    const consumer = this.kafka.consumer({
      groupId: this.options.group,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      maxBytesPerPartition: this.options.maxBytesPerPartition ?? defaultMaxBytesPerPartition(partitions),
      maxBytes: this.options.maxBytes ?? DEFAULT_MAX_BYTES,
      minBytes: this.options.minBytes ?? DEFAULT_MIN_BYTES,
      maxWaitTimeInMs: this.options.maxWaitTimeInMs ?? DEFAULT_MAX_WAIT_MS,
      allowAutoTopicCreation: false,
      retry: { ...RUN_RETRY },
    });
    this.consumer = consumer;
    this.watch(consumer);
    // The clock for KAFKA_UNAVAILABLE starts now, while the group is joined.
    this.lastFetchAt = this.now();
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [this.topic], fromBeginning: this.options.fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        // One batch at a time: the pipeline is one synchronous loop.
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.eachBatch(payload),
      });
    } catch (error) {
      throw new SourceError('KAFKA_UNAVAILABLE', `cannot start reading ${this.topic} from Kafka at ${this.where}: ${describeKafkaError(error)}`, { cause: error });
    }
  }

  private watch(consumer: Consumer): void {
    const { GROUP_JOIN, FETCH, CRASH } = consumer.events;
    consumer.on(GROUP_JOIN, (event) => {
      const now = (event.payload.memberAssignment[this.topic] ?? []).slice().sort((a, b) => a - b);
      const before = new Set(this.assignment);
      const after = new Set(now);
      const gained = now.filter((p) => !before.has(p));
      const lost = this.assignment.filter((p) => !after.has(p));
      this.assignment = now;
      this.joined = true;
      this.lastFetchAt = this.now();
      this.recovered();
      for (const partition of lost) this.delivered.delete(partition);
      this.log('info', `joined group ${this.options.group}: partitions ${now.length === 0 ? 'none' : now.join(',')} of ${this.topic}`);
      if (gained.length > 0 || lost.length > 0) this.options.onAssignment?.(gained, lost);
    });
    consumer.on(FETCH, () => {
      this.lastFetchAt = this.now();
      this.recovered();
    });
    consumer.on(CRASH, (event) => {
      const reason = describeKafkaError(event.payload.error);
      this.lastTrouble = reason;
      this.joined = false;
      if (event.payload.restart) {
        if (this.troubleSince === undefined) {
          this.troubleSince = this.now();
          this.log('warn', `lost Kafka at ${this.where} (${reason}); reconnecting`);
        }
        return;
      }
      if (this.closed) return;
      this.failure = new SourceError('KAFKA_FAILED', `reading ${this.topic} from Kafka at ${this.where} failed: ${reason}`, { cause: event.payload.error });
      this.handoff.wake();
    });
  }

  private recovered(): void {
    if (this.troubleSince === undefined) return;
    const seconds = (this.now() - this.troubleSince) / 1000;
    this.troubleSince = undefined;
    this.log('info', `reconnected to Kafka at ${this.where} after ${seconds.toFixed(1)} s`);
  }

  /** In the group and fetches answer, so "no batch" means the topic is idle. */
  private healthy(at: number): boolean {
    return this.joined && this.troubleSince === undefined && at - this.lastFetchAt < this.staleAfterMs;
  }

  private checkUnavailable(at: number): void {
    const limit = this.options.unavailableTimeoutMs ?? DEFAULT_UNAVAILABLE_TIMEOUT_MS;
    if (limit === 0) return;
    const since = this.troubleSince ?? this.lastFetchAt;
    if (at - since < limit) return;
    const reason = this.lastTrouble === '' ? 'no answer' : this.lastTrouble;
    throw new SourceError('KAFKA_UNAVAILABLE', `lost Kafka at ${this.where} for ${Math.round((at - since) / 1000)} s: ${reason}`);
  }

  private tick(): FrameBatch {
    return { partition: -1, frames: [], positions: [], next: -1, origin: this.topic };
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const frameBatch = toFrameBatch(batch, this.delivered.get(batch.partition) ?? 0);
    if (frameBatch === undefined) {
      // Handed on before a restart or rejoin re-read it from the committed offset.
      resolveOffset(batch.lastOffset());
      return;
    }
    const taken = await this.handoff.offer({ batch: frameBatch });
    if (!taken) {
      // The pipeline stopped reading: hold kafkajs here rather than let it
      // fetch the same records again and again until close().
      await this.parked;
      return;
    }
    if (!isRunning() || isStale()) return;
    resolveOffset(String(frameBatch.next - 1));
    await heartbeat();
  }
}

/**
 * A kafkajs batch as a FrameBatch, without the records below `from`
 * (already handed on); undefined when nothing is left.
 */
export function toFrameBatch(batch: Pick<Batch, 'topic' | 'partition' | 'messages'>, from: number): FrameBatch | undefined {
  const messages = batch.messages;
  let first = 0;
  while (first < messages.length && Number(messages[first]!.offset) < from) first++;
  const count = messages.length - first;
  if (count === 0) return undefined;
  const frames = new Array<Uint8Array>(count);
  const positions = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const message = messages[first + i]!;
    frames[i] = message.value ?? EMPTY_VALUE;
    positions[i] = Number(message.offset);
  }
  return { partition: batch.partition, frames, positions, next: positions[count - 1]! + 1, origin: batch.topic };
}
