import {
  brokerAnswers,
  createKafka,
  describeKafkaError,
  isCoordinatorNotFound,
  KafkaSecurityError,
  PROBE_RETRY,
  quietened,
  RUN_RETRY,
  securityFailureOf,
  waitForBroker,
  waitUntilBrokerAnswers,
  type KafkaLog,
  type KafkaSecurity,
} from '@uniqstream/kafka';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import { SourceError } from './errors.js';
import type { PartitionStart } from './kafka-assignment.js';
import { DirectFetcher } from './kafka-fetcher.js';
import { BrokerConnection } from './kafka-wire.js';
import { HoldingSocketTracker, JoinHold } from './kafka-join-hold.js';
import type { FoundRecords } from './kafka-record-batch.js';

const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * Fetch sizes for frames of about 2 KB (the `kafka` benchmark,
 * packages/bench/src/suites/kafka.ts, measures another size beside them):
 * fewer, larger answers cost less waiting, so a fetch aims at
 * FETCH_TARGET_BYTES in all, split over the topic's partitions, with at
 * least 1 MiB (~500 frames) each.
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
/** How long the group waits for a silent member (killed, hung) before its partitions move. */
export const DEFAULT_SESSION_TIMEOUT_MS = 30_000;
/** The broker's default group.min.session.timeout.ms and group.max.session.timeout.ms. */
export const MIN_SESSION_TIMEOUT_MS = 6_000;
export const MAX_SESSION_TIMEOUT_MS = 1_800_000;
/** How long the group waits for its members to rejoin a rebalance (kafkajs's default, stated). */
const REBALANCE_TIMEOUT_MS = 60_000;
/**
 * The longest a rejoin waits for the source's owner to save state. A
 * member that neither heartbeats nor rejoins for the session timeout is
 * dropped from the group (kafkajs does not heartbeat while it rejoins, and
 * the heartbeat that heard of the rebalance is the last), so this stays
 * well under it; the rebalance timeout is longer still.
 */
function rebalanceHoldMaxMs(sessionTimeoutMs: number): number {
  return (sessionTimeoutMs * 2) / 3;
}
/** With the default session timeout. */
export const REBALANCE_HOLD_MAX_MS = rebalanceHoldMaxMs(DEFAULT_SESSION_TIMEOUT_MS);
/** kafkajs heartbeats this often at most (paused, it still runs its fetch loop, which heartbeats). */
export const HEARTBEAT_INTERVAL_MS = 3_000;
/** Heartbeats per session timeout at least, so that one lost heartbeat does not cost the membership. */
const HEARTBEATS_PER_SESSION = 3;
/** The second login that explains kafkajs's failed one reaches a broker kafkajs just reached: it takes a moment,
 * or is not waited for. */
const LOGIN_CHECK_TIMEOUT_MS = 5_000;

/**
 * What the reader needs, all plain data: the worker thread gets it as
 * workerData (functions cannot cross threads).
 */
export interface ReaderSettings {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly group: string;
  readonly fromBeginning: boolean;
  readonly clientId: string;
  readonly verbose: boolean;
  readonly connectTimeoutMs: number;
  /** Undefined: defaultMaxBytesPerPartition(partitions of the topic). */
  readonly maxBytesPerPartition: number | undefined;
  readonly maxBytes: number;
  readonly minBytes: number;
  readonly maxWaitTimeInMs: number;
  readonly sessionTimeoutMs: number;
  /** Hold kafkajs's rejoin after a rebalance is heard until rejoin() (the owner saves state meanwhile). */
  readonly holdRejoins: boolean;
  /** TLS and a SASL login, for kafkajs's connections and the fetch path's (the password crosses into the thread,
   * never into a log line). */
  readonly security: KafkaSecurity | undefined;
}

/** What the reader tells its owner, on the thread where kafkajs runs. */
export interface ReaderEvents {
  /** The consumer exists and is about to join: the clock for "Kafka lost" starts. */
  consuming(): void;
  /** After every group join: the partitions of the topic held now, ascending. New ones are read once started. */
  joined(assignment: readonly number[]): void;
  /**
   * kafkajs's heartbeat heard that the group rebalances (rebalance `id`):
   * with holdRejoins, its rejoin waits for rejoin(id), REBALANCE_HOLD_MAX_MS
   * at most.
   */
  rebalancing(id: number): void;
  /** A fetch answered (with data or not). */
  fetched(): void;
  /** kafkajs's consumer crashed; `restart`: it restarts itself (a broker away), else it stopped for good. */
  crashed(reason: string, restart: boolean, cause: unknown): void;
}

/** Where records go: the records of one partition from one fetch answer, read in `session`; reused once the
 * promise resolves. */
export type RecordsHandler = (partition: number, found: FoundRecords, session: number) => Promise<void>;

/**
 * The Kafka source's reader, on its reader thread: waits for a broker,
 * checks the topic, joins the group with a kafkajs consumer (paused: it
 * keeps the group, heartbeats, commits and metadata) and fetches the
 * partitions held with the direct fetch path; commits and reads lag on
 * request.
 */
export class KafkaReader {
  private readonly where: string;
  private readonly kafka: Kafka;
  private readonly probeKafka: Kafka;
  private readonly joinHold = new JoinHold();
  private readonly sockets = new HoldingSocketTracker(this.joinHold);
  private rebalances = 0;
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private fetcher: DirectFetcher | undefined;
  private closing = false;

  constructor(
    private readonly settings: ReaderSettings,
    private readonly log: KafkaLog,
    private readonly now: () => number,
    private readonly events: ReaderEvents,
    private readonly records: RecordsHandler,
  ) {
    this.where = settings.brokers.join(',');
    const client = {
      brokers: settings.brokers,
      clientId: settings.clientId,
      log,
      verbose: settings.verbose,
      now,
      sockets: this.sockets,
      security: settings.security,
    };
    this.kafka = createKafka({ ...client, retry: RUN_RETRY });
    this.probeKafka = createKafka({ ...client, log: quietened(log), retry: PROBE_RETRY });
  }

  /**
   * Waits for a broker, checks the topic, joins the group and starts
   * fetching. Returns quietly, without a consumer, once `signal` aborts
   * (the source closes or its caller stopped reading); fails with
   * KAFKA_UNAVAILABLE or KAFKA_TOPIC_NOT_FOUND.
   */
  async start(signal: AbortSignal): Promise<void> {
    const { settings } = this;
    try {
      await waitForBroker(this.probeKafka, settings.brokers, {
        timeoutMs: settings.connectTimeoutMs,
        now: this.now,
        signal,
        log: this.log,
      });
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof KafkaSecurityError)
        throw new SourceError('KAFKA_SECURITY', (await this.loginProblem()) ?? error.message, { cause: error });
      throw new SourceError('KAFKA_UNAVAILABLE', error instanceof Error ? error.message : String(error), {
        cause: error,
      });
    }
    let partitions: number;
    const admin = this.kafka.admin();
    this.admin = admin;
    try {
      await admin.connect();
      const topics = await admin.listTopics();
      if (!topics.includes(settings.topic)) {
        // Kafka lists only the topics a user may describe.
        const user = settings.security?.sasl?.username;
        const hidden =
          user === undefined
            ? ''
            : `, or user ${user} may not see it (an ACL for READ on topic ${settings.topic} is missing)`;
        throw new SourceError(
          'KAFKA_TOPIC_NOT_FOUND',
          `topic ${settings.topic} does not exist on Kafka at ${this.where}${hidden} (create it, e.g. ` +
            `kafka-topics --bootstrap-server ${settings.brokers[0]} --create --topic ${settings.topic})`,
        );
      }
      const metadata = await admin.fetchTopicMetadata({ topics: [settings.topic] });
      partitions = metadata.topics[0]?.partitions.length ?? 1;
    } catch (error) {
      if (error instanceof SourceError) throw error;
      // A SASL port lets kafkajs connect (ApiVersions) and hangs up at its first real request.
      const closed = settings.security?.sasl === undefined && describeKafkaError(error).endsWith('Closed connection');
      const hint = closed ? ' (does the broker want a SASL login on this port?)' : '';
      throw new SourceError(
        this.failureCode(error),
        `cannot read the topics of Kafka at ${this.where}: ${describeKafkaError(error)}${hint}`,
        { cause: error },
      );
    }
    // A consumer made now would connect after close() disconnected everything.
    if (signal.aborted) return;

    const maxBytesPerPartition = settings.maxBytesPerPartition ?? defaultMaxBytesPerPartition(partitions);
    const fetcher = new DirectFetcher(
      {
        topic: settings.topic,
        group: settings.group,
        fromBeginning: settings.fromBeginning,
        clientId: settings.clientId,
        maxBytesPerPartition,
        maxBytes: settings.maxBytes,
        minBytes: settings.minBytes,
        maxWaitMs: settings.maxWaitTimeInMs,
        connectTimeoutMs: settings.connectTimeoutMs,
        security: settings.security,
      },
      admin,
      this.log,
      {
        deliver: this.records,
        fetched: () => this.events.fetched(),
        failed: (error) => this.events.crashed(error.message, false, error),
      },
    );
    this.fetcher = fetcher;
    const consumer = this.kafka.consumer({
      groupId: settings.group,
      sessionTimeout: settings.sessionTimeoutMs,
      rebalanceTimeout: Math.max(REBALANCE_TIMEOUT_MS, settings.sessionTimeoutMs),
      heartbeatInterval: Math.min(
        HEARTBEAT_INTERVAL_MS,
        Math.floor(settings.sessionTimeoutMs / HEARTBEATS_PER_SESSION),
      ),
      maxBytesPerPartition,
      maxBytes: settings.maxBytes,
      minBytes: settings.minBytes,
      maxWaitTimeInMs: settings.maxWaitTimeInMs,
      allowAutoTopicCreation: false,
      retry: { ...RUN_RETRY },
    });
    this.consumer = consumer;
    this.watch(consumer, fetcher);
    this.events.consuming();
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [settings.topic], fromBeginning: settings.fromBeginning });
      await this.run(consumer);
    } catch (error) {
      throw new SourceError(
        this.failureCode(error),
        `cannot start reading ${settings.topic} from Kafka at ${this.where}: ${describeKafkaError(error)}`,
        { cause: error },
      );
    }
  }

  private run(consumer: Consumer): Promise<void> {
    return consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      // Paused on every join before its first fetch of the generation: never called.
      eachBatch: async () => undefined,
    });
  }

  /**
   * A heartbeat in a broker outage can end kafkajs's consumer for good (see
   * isCoordinatorNotFound). A source waits outages out, so while the broker
   * is away this is reported as a crash kafkajs recovers from, and the
   * consumer runs again (joining the group again) once the broker is back.
   * The same error with the broker there is a group the user may not read:
   * that fails as before.
   */
  private async resumeAfterOutage(consumer: Consumer, error: unknown): Promise<void> {
    const admin = this.admin;
    const reason = describeKafkaError(error);
    if (admin === undefined || (await brokerAnswers(admin))) {
      this.events.crashed(reason + this.groupHint(error), false, error);
      return;
    }
    this.events.crashed(`${reason}: the broker is away`, true, error);
    if (!(await waitUntilBrokerAnswers(admin, { stopped: () => this.closing }))) return;
    try {
      await this.run(consumer);
    } catch (failure) {
      this.events.crashed(
        `cannot resume reading ${this.settings.topic}: ${describeKafkaError(failure)}`,
        false,
        failure,
      );
    }
  }

  /**
   * Commits `positions` (partition -> next offset), already limited to the
   * partitions held. A failed commit is logged, not thrown: reading again
   * from an older commit loses nothing.
   */
  async commit(positions: ReadonlyMap<number, number>): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined || positions.size === 0) return;
    const offsets = [...positions].map(([partition, next]) => ({
      topic: this.settings.topic,
      partition,
      offset: String(next),
    }));
    try {
      await consumer.commitOffsets(offsets);
    } catch (error) {
      // At least once: a commit that did not happen means re-reading, never losing.
      this.log(
        'warn',
        `could not commit offsets of ${this.settings.topic} (${describeKafkaError(error)}); the next ` +
          `commit covers them`,
      );
    }
  }

  /**
   * Messages behind per partition of `assignment`: the high watermark minus
   * the next offset to hand on (`delivered`, else the group's committed
   * offset, else where fromBeginning starts).
   */
  async lag(assignment: readonly number[], delivered: ReadonlyMap<number, number>): Promise<Map<number, number>> {
    const admin = this.admin;
    if (admin === undefined) return new Map();
    const { topic, group, fromBeginning } = this.settings;
    let ends: Awaited<ReturnType<Admin['fetchTopicOffsets']>>;
    let committed: Awaited<ReturnType<Admin['fetchOffsets']>>;
    try {
      [ends, committed] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId: group, topics: [topic] }),
      ]);
    } catch (error) {
      throw new SourceError(
        'KAFKA_UNAVAILABLE',
        `cannot read the lag of ${topic} from Kafka at ${this.where}: ${describeKafkaError(error)}`,
        { cause: error },
      );
    }
    const committedAt = new Map<number, number>();
    for (const p of committed[0]?.partitions ?? []) committedAt.set(p.partition, Number(p.offset));
    const out = new Map<number, number>();
    for (const end of ends) {
      if (!assignment.includes(end.partition)) continue;
      const high = Number(end.high);
      const groupAt = committedAt.get(end.partition) ?? -1;
      const position =
        delivered.get(end.partition) ?? (groupAt >= 0 ? groupAt : fromBeginning ? Number(end.low) : high);
      out.set(end.partition, Math.max(0, high - position));
    }
    return out;
  }

  /** Reads these gained partitions from where their owner says (ignoring any no longer held). */
  startPartitions(starts: readonly PartitionStart[]): void {
    this.fetcher?.start(starts);
  }

  /** The owner saved its state for rebalance `id`: kafkajs may rejoin. A later rebalance's hold stays. */
  rejoin(id: number): void {
    if (id === this.rebalances) this.joinHold.release();
  }

  /** Stops fetching, leaves the group and disconnects; ends any connection kafkajs left open. */
  async close(): Promise<void> {
    this.closing = true;
    // kafkajs's disconnect waits for a rejoin under way.
    this.joinHold.release();
    await this.fetcher?.stop();
    await Promise.allSettled([this.consumer?.disconnect(), this.admin?.disconnect()]);
    const left = this.sockets.destroyAll();
    if (left > 0) this.log('debug', `closed ${left} connection${left === 1 ? '' : 's'} kafkajs left open`);
  }

  /**
   * kafkajs's SASL errors say little ("does not support the requested SASL
   * mechanism"): the fetch path's own login to the first broker says which
   * mechanism and user, and what the broker offers. Its line, or undefined
   * when it logs in (or fails otherwise).
   */
  private async loginProblem(): Promise<string | undefined> {
    const { brokers, connectTimeoutMs, clientId, security } = this.settings;
    const first = brokers[0] ?? '';
    const colon = first.lastIndexOf(':');
    const port = Number(first.slice(colon + 1));
    if (colon < 0 || !Number.isInteger(port)) return undefined;
    const connection = new BrokerConnection(first.slice(0, colon), port, {
      connectTimeoutMs: Math.min(connectTimeoutMs, LOGIN_CHECK_TIMEOUT_MS),
      clientId,
      security,
    });
    try {
      await connection.connected();
      return undefined;
    } catch (error) {
      return error instanceof KafkaSecurityError
        ? `cannot connect to Kafka at ${this.where}: ${error.message}`
        : undefined;
    } finally {
      connection.close();
    }
  }

  /**
   * kafkajs reports a group its user may not read as a coordinator it
   * cannot find (the broker's GROUP_AUTHORIZATION_FAILED stays in its debug
   * lines): with a login, that is the likely reason.
   */
  private groupHint(error: unknown): string {
    const user = this.settings.security?.sasl?.username;
    if (user === undefined || (error as { name?: unknown } | null)?.name !== 'KafkaJSGroupCoordinatorNotFound')
      return '';
    return ` (is user ${user} allowed to READ group ${this.settings.group}? an ACL for it may be missing)`;
  }

  /** KAFKA_SECURITY for TLS or a login that cannot work as set up, else KAFKA_UNAVAILABLE. */
  private failureCode(error: unknown): 'KAFKA_SECURITY' | 'KAFKA_UNAVAILABLE' {
    return securityFailureOf(error) === undefined ? 'KAFKA_UNAVAILABLE' : 'KAFKA_SECURITY';
  }

  private watch(consumer: Consumer, fetcher: DirectFetcher): void {
    const { GROUP_JOIN, CRASH, REBALANCING } = consumer.events;
    consumer.on(GROUP_JOIN, (event) => {
      const held = (event.payload.memberAssignment[this.settings.topic] ?? []).slice().sort((a, b) => a - b);
      // Emitted before kafkajs's first fetch of the generation (also after it restarted with a new consumer
      // group): paused, it fetches nothing.
      consumer.pause([{ topic: this.settings.topic }]);
      this.joinHold.release();
      fetcher.joined(held);
      this.events.joined(held);
    });
    // Emitted by the heartbeat that heard the rebalance (REBALANCE_IN_PROGRESS, or an outdated generation),
    // right before kafkajs rejoins: the earliest news of it on this thread. The rejoin is held from here.
    consumer.on(REBALANCING, () => {
      const id = ++this.rebalances;
      if (this.settings.holdRejoins) this.joinHold.hold(rebalanceHoldMaxMs(this.settings.sessionTimeoutMs));
      this.events.rebalancing(id);
    });
    consumer.on(CRASH, (event) => {
      // kafkajs left the group: nothing to hold a rejoin for.
      this.joinHold.release();
      const { error, restart } = event.payload;
      if (!restart && !this.closing && isCoordinatorNotFound(error)) {
        void this.resumeAfterOutage(consumer, error);
        return;
      }
      this.events.crashed(describeKafkaError(error) + this.groupHint(error), restart, error);
    });
  }
}
