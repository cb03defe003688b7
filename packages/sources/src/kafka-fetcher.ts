import { describeKafkaError, KafkaSecurityError, type KafkaLog, type KafkaSecurity } from '@uniqstream/kafka';
import type { Admin } from 'kafkajs';
import { SourceError } from './errors.js';
import type { PartitionStart } from './kafka-assignment.js';
import { findRecords, FoundRecords } from './kafka-record-batch.js';
import { BrokerConnection, decodeFetch, encodeFetch, READ_COMMITTED, type FetchPartition } from './kafka-wire.js';

/*
 * The direct fetch path: Fetch requests of its own to the partitions'
 * leaders, answers walked in place (kafka-record-batch.ts), for the
 * partitions a kafkajs consumer holds in the group, each once its owner
 * started it. kafkajs keeps everything else: joining, heartbeats, commits,
 * metadata and offsets (its consumer is paused, so it fetches nothing
 * itself).
 */

/** Kafka error codes the fetch path acts on (https://kafka.apache.org/protocol#protocol_error_codes). */
const NONE = 0;
const OFFSET_OUT_OF_RANGE = 1;
/** The partition's leader moved or is not known yet: read metadata again, then retry. */
const RETRY_AFTER_METADATA = new Set([3, 5, 6, 9, 56, 74, 75]);
const TOPIC_AUTHORIZATION_FAILED = 29;

/** Backoff after a failed fetch, doubling up to the maximum. */
const FETCH_RETRY_MIN_MS = 100;
const FETCH_RETRY_MAX_MS = 5_000;
/** A fetch may take maxWaitMs at the broker; beyond that plus this, the connection is given up. */
const ANSWER_GRACE_MS = 30_000;

export interface FetcherSettings {
  readonly topic: string;
  readonly group: string;
  readonly fromBeginning: boolean;
  readonly clientId: string;
  readonly maxBytesPerPartition: number;
  readonly maxBytes: number;
  readonly minBytes: number;
  readonly maxWaitMs: number;
  readonly connectTimeoutMs: number;
  /** TLS and a SASL login for the fetch connections, as for kafkajs's. */
  readonly security: KafkaSecurity | undefined;
}

export interface FetcherEvents {
  /**
   * The records of one partition from one answer, in offset order, read in
   * the partition's `session` (PartitionStart.session). The records (and
   * the bytes they point into) are reused once the promise resolves: copy
   * them before.
   */
  deliver(partition: number, found: FoundRecords, session: number): Promise<void>;
  /** A fetch answered (with data or not). */
  fetched(): void;
  /** The fetch path cannot go on (a format it does not read, no access to the topic). */
  failed(error: SourceError): void;
}

/** A Fetch request out, and the offsets it asked for. */
interface Inflight {
  readonly answer: Promise<Buffer>;
  readonly asked: ReadonlyMap<number, number>;
}

interface Leader {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

/**
 * Fetches the partitions started (and still held in the group), each from
 * where it was started, until stopped. A partition kept across a join
 * keeps its position; one lost is forgotten, and read again only once
 * started again.
 */
export class DirectFetcher {
  /** The group's assignment as of the last join. */
  private group = new Set<number>();
  /** The partitions read: started and held, ascending. A new array on every change. */
  private active: readonly number[] = [];
  /** Started partitions -> their session. */
  private readonly sessions = new Map<number, number>();
  /** Partition -> next offset to fetch; missing: not known yet (committed offset or reset to read). */
  private readonly positions = new Map<number, number>();
  /** Partitions whose offset was out of range: they start over at the earliest or latest offset, not the group's. */
  private readonly resets = new Set<number>();
  /** Partition -> its leader; empty: metadata to read. */
  private readonly leaders = new Map<number, Leader>();
  private readonly connections = new Map<number, BrokerConnection>();
  /** Per partition, reused from answer to answer. */
  private readonly found = new Map<number, FoundRecords>();
  /** Per leader, the request sent ahead: at most one per connection. */
  private readonly inflight = new Map<number, Inflight>();
  private correlationId = 0;
  private running = true;
  private wake: () => void = () => undefined;
  private readonly loop: Promise<void>;
  private retryMs = 0;
  /** Why fetching stopped working, while it does not; logged once per streak. */
  private trouble: string | undefined;

  constructor(
    private readonly settings: FetcherSettings,
    private readonly admin: Admin,
    private readonly log: KafkaLog,
    private readonly events: FetcherEvents,
  ) {
    this.loop = this.run();
  }

  /** The partitions held after a group join: kept ones are read on where they were; the others wait for start(). */
  joined(partitions: readonly number[]): void {
    this.group = new Set(partitions);
    for (const partition of this.sessions.keys()) if (!this.group.has(partition)) this.forget(partition);
    this.activate();
  }

  /** Reads these partitions (those still held) from their start offsets, or the group's committed offsets. */
  start(starts: readonly PartitionStart[]): void {
    for (const { partition, offset, session } of starts) {
      if (!this.group.has(partition)) continue;
      this.sessions.set(partition, session);
      this.resets.delete(partition);
      if (offset === undefined) this.positions.delete(partition);
      else this.positions.set(partition, offset);
    }
    this.activate();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const connection of this.connections.values()) connection.close();
    this.wake();
    await this.loop;
  }

  private forget(partition: number): void {
    this.sessions.delete(partition);
    this.positions.delete(partition);
    this.resets.delete(partition);
    this.found.delete(partition);
  }

  private activate(): void {
    this.active = [...this.sessions.keys()].sort((a, b) => a - b);
    this.wake();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (this.active.length === 0) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          continue;
        }
        await this.fetchOnce();
        this.recovered();
      } catch (error) {
        if (!this.running) return;
        // TLS or a login that cannot work as set up: retrying does not help.
        if (error instanceof KafkaSecurityError) {
          this.running = false;
          this.events.failed(new SourceError('KAFKA_SECURITY', error.message, { cause: error }));
          return;
        }
        if (error instanceof SourceError) {
          this.running = false;
          this.events.failed(error);
          return;
        }
        await this.backOff(error);
      }
    }
  }

  /**
   * Reads what is missing (positions, leaders), then takes one answer per
   * leader, one leader after the other: the request already out (sent
   * while the last answer's records were handed on), else a new one.
   */
  private async fetchOnce(): Promise<void> {
    const active = this.active;
    const unknown = active.filter((p) => !this.positions.has(p));
    if (unknown.length > 0) await this.readPositions(unknown);
    if (active.some((p) => !this.leaders.has(p))) await this.readLeaders();
    const byLeader = this.byLeader(active);
    // Leaders just read and still none for the partitions held: the topic's metadata is catching up.
    if (byLeader.size === 0)
      throw new Error(`no leader known for partitions ${active.join(',')} of ${this.settings.topic}`);
    for (const [nodeId, out] of this.inflight) {
      if (byLeader.has(nodeId)) continue;
      // Asked for partitions no longer held there: the connection takes a new request once this one is answered.
      this.inflight.delete(nodeId);
      await out.answer.catch(() => undefined);
    }
    for (const [nodeId, partitions] of byLeader) {
      // Started or lost meanwhile: ask again with the positions as they are now.
      if (!this.running || this.active !== active) return;
      await this.takeAnswer(nodeId, partitions);
    }
  }

  /** Partitions of `partitions` with a known leader and position, by leader, at their positions now. */
  private byLeader(partitions: readonly number[]): Map<number, FetchPartition[]> {
    const byLeader = new Map<number, FetchPartition[]>();
    for (const partition of partitions) {
      const leader = this.leaders.get(partition);
      const fetchOffset = this.positions.get(partition);
      if (leader === undefined || fetchOffset === undefined) continue;
      let list = byLeader.get(leader.nodeId);
      if (list === undefined) byLeader.set(leader.nodeId, (list = []));
      list.push({ partition, fetchOffset, maxBytes: this.settings.maxBytesPerPartition });
    }
    return byLeader;
  }

  private send(nodeId: number, partitions: readonly FetchPartition[]): Inflight {
    const { settings } = this;
    const connection = this.connectionTo(nodeId);
    const correlationId = (this.correlationId = (this.correlationId + 1) | 0);
    const request = encodeFetch(correlationId, settings.clientId, {
      topic: settings.topic,
      maxWaitMs: settings.maxWaitMs,
      minBytes: settings.minBytes,
      maxBytes: settings.maxBytes,
      isolationLevel: READ_COMMITTED,
      partitions,
    });
    const answer = connection.request(request, correlationId, settings.maxWaitMs + ANSWER_GRACE_MS);
    // Awaited later, or dropped with its connection after a failure.
    answer.catch(() => undefined);
    return { answer, asked: new Map(partitions.map((p) => [p.partition, p.fetchOffset])) };
  }

  /**
   * Takes one answer of `nodeId` and hands its records on. Each part is
   * checked on its own against the partition's state now (a join or a
   * start may have come while the answer was on its way or while earlier
   * parts were handed on), so no part read into a position is skipped.
   */
  private async takeAnswer(nodeId: number, partitions: readonly FetchPartition[]): Promise<void> {
    const { settings } = this;
    const out = this.inflight.get(nodeId) ?? this.send(nodeId, partitions);
    this.inflight.delete(nodeId);
    const answer = await out.answer;
    this.events.fetched();
    if (!this.running) return;
    const ready: { readonly found: FoundRecords; readonly session: number }[] = [];
    let failure: Error | undefined;
    for (const part of decodeFetch(answer, settings.topic)) {
      const session = this.sessions.get(part.partition);
      const fetchOffset = this.positions.get(part.partition);
      // Not held any more, or asked for at another offset (before a start or a reset): not handed on.
      if (session === undefined || fetchOffset === undefined || out.asked.get(part.partition) !== fetchOffset) continue;
      if (part.errorCode === OFFSET_OUT_OF_RANGE) {
        this.log(
          'warn',
          `offset ${fetchOffset} of ${settings.topic} partition ${part.partition} is out of range; ` +
            `reading from the ${settings.fromBeginning ? 'earliest' : 'latest'} offset`,
        );
        this.positions.delete(part.partition);
        this.resets.add(part.partition);
        continue;
      }
      if (part.errorCode === TOPIC_AUTHORIZATION_FAILED)
        throw new SourceError('KAFKA_FAILED', `not authorized to read topic ${settings.topic}`);
      if (part.errorCode !== NONE) {
        // Thrown once the other parts, whose positions moved on, are handed on: none of their records is skipped.
        this.leaders.clear();
        const moved = RETRY_AFTER_METADATA.has(part.errorCode) ? ' (leader moved)' : '';
        failure ??= new Error(
          `fetching ${settings.topic} partition ${part.partition} failed with Kafka error ${part.errorCode}${moved}`,
        );
        continue;
      }
      const found = this.foundFor(part.partition);
      found.reset(fetchOffset);
      findRecords(answer, part.recordsFrom, part.recordsTo, fetchOffset, part.aborted, found);
      if (found.next > fetchOffset) this.positions.set(part.partition, found.next);
      if (found.count > 0) ready.push({ found, session });
    }
    // The next request goes out before these records are handed on, so the broker answers while the threads copy
    // and count.
    const next = this.byLeader(this.active).get(nodeId);
    if (next !== undefined) this.inflight.set(nodeId, this.send(nodeId, next));
    for (const { found, session } of ready) {
      if (!this.running) return;
      // Lost, or started again, while the parts before were handed on: its position went with that.
      if (this.sessions.get(found.partition) !== session) continue;
      await this.events.deliver(found.partition, found, session);
    }
    if (failure !== undefined) throw failure;
  }

  private foundFor(partition: number): FoundRecords {
    let found = this.found.get(partition);
    if (found === undefined) this.found.set(partition, (found = new FoundRecords(partition)));
    return found;
  }

  private connectionTo(nodeId: number): BrokerConnection {
    const existing = this.connections.get(nodeId);
    if (existing !== undefined && !existing.closed) return existing;
    const leader = [...this.leaders.values()].find((l) => l.nodeId === nodeId);
    if (leader === undefined) throw new Error(`no address for broker ${nodeId}`);
    const { connectTimeoutMs, clientId, security } = this.settings;
    const connection = new BrokerConnection(leader.host, leader.port, { connectTimeoutMs, clientId, security });
    this.connections.set(nodeId, connection);
    return connection;
  }

  /** The group's committed offsets for `partitions`, else the earliest or latest offset. */
  private async readPositions(partitions: readonly number[]): Promise<void> {
    const { topic, group, fromBeginning } = this.settings;
    const [committed, ends] = await Promise.all([
      this.admin.fetchOffsets({ groupId: group, topics: [topic] }),
      this.admin.fetchTopicOffsets(topic),
    ]);
    const wanted = new Set(partitions);
    const committedAt = new Map<number, number>();
    for (const p of committed[0]?.partitions ?? []) committedAt.set(p.partition, Number(p.offset));
    for (const end of ends) {
      // Started at an offset, or lost, while the offsets were read.
      if (!wanted.has(end.partition) || this.positions.has(end.partition) || !this.sessions.has(end.partition))
        continue;
      const at = this.resets.delete(end.partition) ? -1 : (committedAt.get(end.partition) ?? -1);
      const low = Number(end.low);
      const high = Number(end.high);
      // A committed offset outside what the log holds now (retention deleted it) resets like kafkajs does.
      const valid = at >= low && at <= high;
      this.positions.set(end.partition, valid ? at : fromBeginning ? low : high);
    }
  }

  private async readLeaders(): Promise<void> {
    const [metadata, cluster] = await Promise.all([
      this.admin.fetchTopicMetadata({ topics: [this.settings.topic] }),
      this.admin.describeCluster(),
    ]);
    const brokers = new Map(cluster.brokers.map((b) => [b.nodeId, b]));
    this.leaders.clear();
    for (const p of metadata.topics[0]?.partitions ?? []) {
      const broker = brokers.get(p.leader);
      if (broker !== undefined)
        this.leaders.set(p.partitionId, { nodeId: broker.nodeId, host: broker.host, port: broker.port });
    }
  }

  private async backOff(error: unknown): Promise<void> {
    const reason = error instanceof Error ? error.message : describeKafkaError(error);
    if (this.trouble === undefined) this.log('warn', `fetching ${this.settings.topic} failed (${reason}); retrying`);
    else this.log('debug', `fetching ${this.settings.topic} failed again (${reason})`);
    this.trouble = reason;
    this.leaders.clear();
    this.inflight.clear();
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
    this.retryMs = Math.min(FETCH_RETRY_MAX_MS, this.retryMs === 0 ? FETCH_RETRY_MIN_MS : this.retryMs * 2);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.retryMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private recovered(): void {
    this.retryMs = 0;
    if (this.trouble === undefined) return;
    this.trouble = undefined;
    this.log('info', `fetching ${this.settings.topic} again`);
  }
}
