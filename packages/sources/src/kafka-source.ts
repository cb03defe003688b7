import type { FrameBatch, Positions, Source } from '@uniqstream/core';
import {
  checkKafkaSecurity,
  DEFAULT_CLIENT_ID,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_UNAVAILABLE_TIMEOUT_MS,
  defaultKafkaLog,
  FETCH_STALE_MARGIN_MS,
  securityWarnings,
  type KafkaLog,
  type KafkaSecurity,
} from '@uniqstream/kafka';
import { SourceError } from './errors.js';
import { Assignment, type KafkaPartitionHooks, type PartitionStart } from './kafka-assignment.js';
import { BatchQueue } from './kafka-batch-queue.js';
import { DEFAULT_BUDGET_BYTES } from './kafka-buffers.js';
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_WAIT_MS,
  DEFAULT_MIN_BYTES,
  DEFAULT_SESSION_TIMEOUT_MS,
  MAX_SESSION_TIMEOUT_MS,
  MIN_SESSION_TIMEOUT_MS,
  type ReaderSettings,
} from './kafka-reader.js';
import { WorkerLink, workerScript, type LinkHost } from './kafka-worker-link.js';

export {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_WAIT_MS,
  DEFAULT_MIN_BYTES,
  defaultMaxBytesPerPartition,
  FETCH_TARGET_BYTES,
  MIN_MAX_BYTES_PER_PARTITION,
} from './kafka-reader.js';

/** With no data, an empty batch this often lets the pipeline check idleness. */
export const IDLE_TICK_MS = 500;
/** Fetched bytes held between the threads at most: about four fetch answers. */
export const DEFAULT_WORKER_BUFFER_BYTES = DEFAULT_BUDGET_BYTES;
/**
 * Garbage on the reader thread (kafkajs's, a fresh answer buffer per
 * fetch) with V8's small first old generation starts a full (mark-compact)
 * collection every few dozen ms; from 128 MB there are none, and the
 * `kafka` benchmark measures the difference side by side. The space is a
 * limit before collecting, not memory taken: peak RSS stays the same.
 */
export const DEFAULT_READER_OLD_SPACE_MB = 128;
/** A first old generation larger than this would only ever be a typo. */
const MAX_READER_OLD_SPACE_MB = 64 * 1024;

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
  /**
   * TLS and a SASL login for every connection: kafkajs's (group, commits,
   * metadata) and the reader thread's own fetch connections. Absent:
   * plaintext, no login.
   */
  readonly security?: KafkaSecurity;
  /**
   * Called after every group join that changed something, with the
   * partitions gained and lost: a notice, when the join is heard (maybe
   * while the caller handles a batch). To act on partitions, use `partitions`.
   */
  readonly onAssignment?: (assigned: readonly number[], revoked: readonly number[]) => void;
  /**
   * Partition lifecycle hooks for a caller that keeps state per partition:
   * adopt a gained partition's state and say where reading starts, drop a
   * lost one's, save state when the group rebalances. Called between
   * batches (see KafkaPartitionHooks). Without them, a gained partition
   * starts at the group's committed offset, else where fromBeginning says.
   */
  readonly partitions?: KafkaPartitionHooks;
  /** How long to wait for a broker at start before failing with KAFKA_UNAVAILABLE (default 30 s). */
  readonly connectTimeoutMs?: number;
  /** How long a broker may stay away during a run before failing with KAFKA_UNAVAILABLE (default 5 min, 0 =
   * forever). */
  readonly unavailableTimeoutMs?: number;
  /** Default: defaultMaxBytesPerPartition(partitions of the topic). */
  readonly maxBytesPerPartition?: number;
  readonly maxBytes?: number;
  readonly minBytes?: number;
  readonly maxWaitTimeInMs?: number;
  /**
   * Monotonic ms for timeouts and health (default performance.now). The
   * reader thread paces its log lines and its wait for a broker at start
   * with its own performance.now.
   */
  readonly now?: () => number;
  /** Bytes of fetched frames held between the reader thread and the caller's at most (default 16 MiB). */
  readonly workerBufferBytes?: number;
  /**
   * The first size (MB) of the reader thread's old generation, V8's
   * `--initial-old-space-size` (default DEFAULT_READER_OLD_SPACE_MB; 0:
   * V8's own). The flag is process-wide: threads started later get it
   * too. A caller whose Node flags or NODE_OPTIONS set it keeps theirs.
   */
  readonly readerOldSpaceMb?: number;
  /**
   * How long the group waits for this member when it falls silent (killed,
   * hung) before its partitions move (default 30 s; the broker allows 6 s
   * to 30 min). kafkajs heartbeats three times per session at least, and a
   * rejoin held for `partitions.rebalancing` waits two thirds of it at most.
   */
  readonly sessionTimeoutMs?: number;
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
  /**
   * Partitions of the topic this consumer holds now, ascending: adopted
   * (their `assigned` hook resolved) and still this member's as of the
   * last group join heard.
   */
  assigned(): number[];
  /**
   * Messages behind per held partition: the high watermark minus the next
   * offset to hand on (what was handed on, else where `assigned` started
   * it, else the group's committed offset, else where fromBeginning starts).
   */
  lag(): Promise<ReadonlyMap<number, number>>;
  /**
   * How long the broker has left the held partitions' fetches unanswered,
   * once that is longer than a fetch waits (maxWaitTimeInMs) plus
   * FETCH_STALE_MARGIN_MS: the sign that the broker is away. 0 while
   * fetches answer, and while none are due (no partition held, or gained
   * ones being adopted).
   */
  fetchesUnansweredForMs(): number;
  /**
   * Gives partitions up before the group says so: the owner learned from the
   * broker that another member has taken them over (a transactional id
   * fenced it). Nothing more of them is handed on and no hook is called for
   * them; a later group join that lists them gains them again (`assigned`).
   */
  giveUp(partitions: readonly number[]): void;
}

/**
 * Opens a Kafka source. Nothing connects until `batches()` is iterated; a
 * broker that cannot be reached within connectTimeoutMs then fails the
 * iteration with SourceError('KAFKA_UNAVAILABLE'), a topic that does not
 * exist with 'KAFKA_TOPIC_NOT_FOUND'.
 *
 * The records of one partition from one fetch answer become one
 * FrameBatch: `frames` are the records' values (views of the memory the
 * reader thread wrote, valid until the next batch is asked for; no copy on
 * this thread), `positions` their offsets, `next` the last offset + 1.
 * Offsets are committed only by `commit()`, which the pipeline calls once
 * the results covering them are in the sink.
 */
export function openKafkaSource(options: KafkaSourceOptions): KafkaSource {
  return new KafkaSourceImpl(options, workerScript());
}

/** openKafkaSource with another reader thread: the package's tests run stand-ins that speak its protocol. */
export function openKafkaSourceOn(options: KafkaSourceOptions, script: URL): KafkaSource {
  return new KafkaSourceImpl(options, script);
}

interface Pending {
  readonly batch: FrameBatch;
  /** The partition's session it was read in: handed on only while that is the partition's current one. */
  readonly session: number;
}

class KafkaSourceImpl implements KafkaSource, LinkHost {
  readonly name: string;
  readonly topic: string;
  readonly log: KafkaLog;
  private readonly options: KafkaSourceOptions;
  private readonly now: () => number;
  private readonly where: string;
  private readonly reader: WorkerLink;
  private readonly queue = new BatchQueue<Pending>();
  private readonly partitions = new Assignment();
  /** Per held partition, the offset of the next record to hand on, where known. */
  private readonly positions = new Map<number, number>();
  private started = false;
  private closed = false;
  /** In the group with an assignment, since the last crash. */
  private joinedGroup = false;
  private failure: SourceError | undefined;
  /** When the last fetch answered (data or not). */
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  /** When partitions were last started: fetches of them are due from then, not while they were adopted. */
  private fetchingSince = Number.NEGATIVE_INFINITY;
  private troubleSince: number | undefined;
  /** Seen unhealthy by the batches loop since it last handed anything on. */
  private cutOff = false;
  private lastTrouble = '';
  private readonly staleAfterMs: number;
  /** Aborted by close(): ends a wait for the broker at start. */
  private readonly stopStarting = new AbortController();
  private starting: Promise<void> | undefined;

  constructor(options: KafkaSourceOptions, script: URL) {
    if (options.brokers.length === 0) throw new SourceError('BAD_OPTION', 'no Kafka broker given');
    if (options.topic === '') throw new SourceError('BAD_OPTION', 'no Kafka topic given');
    if (options.group === '') throw new SourceError('BAD_OPTION', 'the Kafka consumer group must not be empty');
    const oldSpace = options.readerOldSpaceMb;
    if (
      oldSpace !== undefined &&
      !(Number.isInteger(oldSpace) && oldSpace >= 0 && oldSpace <= MAX_READER_OLD_SPACE_MB)
    ) {
      throw new SourceError(
        'BAD_OPTION',
        `readerOldSpaceMb must be an integer from 0 to ${MAX_READER_OLD_SPACE_MB}, got ${String(oldSpace)}`,
      );
    }
    const session = options.sessionTimeoutMs;
    if (
      session !== undefined &&
      !(Number.isInteger(session) && session >= MIN_SESSION_TIMEOUT_MS && session <= MAX_SESSION_TIMEOUT_MS)
    ) {
      throw new SourceError(
        'BAD_OPTION',
        `sessionTimeoutMs must be an integer from ${MIN_SESSION_TIMEOUT_MS} to ${MAX_SESSION_TIMEOUT_MS} ` +
          `(the broker's bounds), got ${String(session)}`,
      );
    }
    if (options.security !== undefined) {
      try {
        checkKafkaSecurity(options.security);
      } catch (error) {
        throw new SourceError('BAD_OPTION', error instanceof Error ? error.message : String(error), { cause: error });
      }
    }
    this.options = options;
    this.topic = options.topic;
    this.where = options.brokers.join(',');
    this.name = `kafka://${this.where}/${options.topic}`;
    this.log = options.log ?? defaultKafkaLog;
    this.now = options.now ?? (() => performance.now());
    this.staleAfterMs = (options.maxWaitTimeInMs ?? DEFAULT_MAX_WAIT_MS) + FETCH_STALE_MARGIN_MS;
    for (const warning of securityWarnings(options.security)) this.log('warn', `${this.name}: ${warning}`);
    const reader: ReaderSettings = {
      brokers: [...options.brokers],
      topic: options.topic,
      group: options.group,
      fromBeginning: options.fromBeginning,
      clientId: options.clientId ?? DEFAULT_CLIENT_ID,
      verbose: options.verbose ?? false,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      maxBytesPerPartition: options.maxBytesPerPartition,
      maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
      minBytes: options.minBytes ?? DEFAULT_MIN_BYTES,
      maxWaitTimeInMs: options.maxWaitTimeInMs ?? DEFAULT_MAX_WAIT_MS,
      sessionTimeoutMs: options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
      holdRejoins: options.partitions?.rebalancing !== undefined,
      security: options.security,
    };
    this.reader = new WorkerLink(
      this,
      {
        reader,
        bufferBytes: options.workerBufferBytes ?? DEFAULT_WORKER_BUFFER_BYTES,
        initialOldSpaceMb: options.readerOldSpaceMb ?? DEFAULT_READER_OLD_SPACE_MB,
      },
      script,
    );
  }

  assigned(): number[] {
    return this.partitions.owned();
  }

  giveUp(partitions: readonly number[]): void {
    for (const partition of this.partitions.giveUp(partitions)) this.positions.delete(partition);
  }

  async *batches(signal?: AbortSignal): AsyncGenerator<FrameBatch> {
    if (this.started) throw new SourceError('BAD_STATE', `${this.name} can be iterated only once`);
    this.started = true;
    const onAbort = (): void => this.queue.wake();
    signal?.addEventListener('abort', onAbort);
    try {
      this.starting = this.reader.start(
        signal === undefined ? this.stopStarting.signal : AbortSignal.any([signal, this.stopStarting.signal]),
      );
      await this.starting;
      let idleSince = this.now();
      while (!this.closed && signal?.aborted !== true) {
        // The caller is back: it is done with the last batch, and touches no state until the next one.
        this.queue.finish();
        if (this.failure !== undefined) throw this.failure;
        if (this.partitions.due) {
          // Partitions gained were not read here before: the time without their frames says nothing of the input.
          if (await this.reconcile()) this.cutOff = true;
          continue;
        }
        let pending: Pending | undefined;
        // Rebalancing, the state saved: what was read stays queued until the join says whose it is.
        if (this.partitions.holding) await this.queue.idle(IDLE_TICK_MS, signal);
        else pending = await this.queue.take(IDLE_TICK_MS, signal);
        if (this.failure !== undefined) throw this.failure;
        // Unhealthy (no fetch answered, out of the group, rebalancing) and healthy again: the silence between was
        // an outage.
        if (!this.healthy(this.now())) this.cutOff = true;
        else if (this.cutOff) {
          this.cutOff = false;
          idleSince = this.now();
          yield this.tick(true);
        }
        if (pending !== undefined) {
          const batch = pending.batch;
          // Read before its partition was lost, or before it was started again: not this adoption's.
          if (!this.partitions.accepts(batch.partition, pending.session)) continue;
          this.positions.set(batch.partition, batch.next);
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
      this.queue.close();
      this.reader.stop();
    }
  }

  async commit(positions: Positions): Promise<void> {
    if (this.closed) return;
    const held = new Set(this.partitions.owned());
    const offsets = new Map<number, number>();
    for (const [partition, next] of positions) {
      // A partition moved to another member is committed by it now.
      if (held.has(partition) && Number.isSafeInteger(next) && next >= 0) offsets.set(partition, next);
    }
    if (offsets.size === 0) return;
    await this.reader.commit(offsets);
  }

  lag(): Promise<ReadonlyMap<number, number>> {
    const held = this.partitions.owned();
    const positions = new Map<number, number>();
    for (const partition of held) {
      const at = this.positions.get(partition);
      if (at !== undefined) positions.set(partition, at);
    }
    return this.reader.lag(held, positions);
  }

  fetchesUnansweredForMs(): number {
    if (this.partitions.groupSize === 0 || this.partitions.adopting) return 0;
    const silent = this.now() - Math.max(this.lastFetchAt, this.fetchingSince);
    return silent < this.staleAfterMs ? 0 : silent;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.close();
    this.stopStarting.abort();
    // A start still under way would otherwise connect after the disconnect and keep the process alive.
    await this.starting?.catch(() => undefined);
    await this.reader.close();
  }

  // LinkHost: what the reader thread reports.

  offer(batch: FrameBatch, session: number): Promise<boolean> {
    return this.queue.offer({ batch, session });
  }

  consuming(): void {
    // The clock for KAFKA_UNAVAILABLE starts now, while the group is joined.
    this.lastFetchAt = this.now();
  }

  joined(now: readonly number[]): void {
    const { gained, lost } = this.partitions.joined(now);
    this.joinedGroup = true;
    this.lastFetchAt = this.now();
    this.recovered();
    this.log(
      'info',
      `joined group ${this.options.group}: partitions ${now.length === 0 ? 'none' : now.join(',')} of ${this.topic}`,
    );
    if (gained.length > 0 || lost.length > 0) this.options.onAssignment?.(gained, lost);
    // Hooks to run: between batches, as soon as the caller is back.
    this.queue.wake();
  }

  rebalancing(id: number): void {
    this.partitions.rebalancing(id);
    this.log(
      'info',
      `group ${this.options.group} is rebalancing${
        this.options.partitions?.rebalancing === undefined ? '' : '; saving the partitions ' + 'held before rejoining'
      }`,
    );
    this.queue.wake();
  }

  fetched(): void {
    this.lastFetchAt = this.now();
    this.recovered();
  }

  crashed(reason: string, restart: boolean, cause: unknown): void {
    this.lastTrouble = reason;
    this.joinedGroup = false;
    this.partitions.crashed();
    if (restart) {
      if (this.troubleSince === undefined) {
        this.troubleSince = this.now();
        this.log('warn', `lost Kafka at ${this.where} (${reason}); reconnecting`);
      }
      return;
    }
    // The reader's own failures keep their code (KAFKA_SECURITY: TLS or a login that cannot work); kafkajs's are
    // KAFKA_FAILED.
    const code = cause instanceof SourceError ? cause.code : 'KAFKA_FAILED';
    this.failed(
      new SourceError(code, `reading ${this.topic} from Kafka at ${this.where} failed: ${reason}`, { cause }),
    );
  }

  failed(error: SourceError): void {
    if (this.closed || this.failure !== undefined) return;
    this.failure = error;
    this.queue.wake();
  }

  /** Runs the partition hooks due (between two batches); true when partitions were gained. */
  private reconcile(): Promise<boolean> {
    return this.partitions.reconcile(this.options.partitions, {
      dropped: (partitions) => {
        for (const partition of partitions) this.positions.delete(partition);
      },
      start: (starts: readonly PartitionStart[]) => {
        for (const { partition, offset } of starts) {
          if (offset === undefined) this.positions.delete(partition);
          else this.positions.set(partition, offset);
        }
        this.fetchingSince = this.now();
        this.reader.startPartitions(starts);
      },
      rejoin: (id) => this.reader.rejoin(id),
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
    if (!this.joinedGroup || this.troubleSince !== undefined || this.partitions.holding) return false;
    // Without partitions nothing is fetched, and there is nothing to be idle.
    return this.partitions.groupSize === 0 || at - Math.max(this.lastFetchAt, this.fetchingSince) < this.staleAfterMs;
  }

  private checkUnavailable(at: number): void {
    const limit = this.options.unavailableTimeoutMs ?? DEFAULT_UNAVAILABLE_TIMEOUT_MS;
    if (limit === 0) return;
    const since = this.troubleSince ?? Math.max(this.lastFetchAt, this.fetchingSince);
    if (at - since < limit) return;
    const reason = this.lastTrouble === '' ? 'no answer' : this.lastTrouble;
    throw new SourceError(
      'KAFKA_UNAVAILABLE',
      `lost Kafka at ${this.where} for ${Math.round((at - since) / 1000)} s: ${reason}`,
    );
  }

  private tick(resumed = false): FrameBatch {
    return { partition: -1, frames: [], positions: [], next: -1, origin: this.topic, resumed };
  }
}
