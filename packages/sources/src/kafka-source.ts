import type { Batch, EachBatchPayload } from 'kafkajs';
import type { FrameBatch, Positions, Source } from '@uniqstream/core';
import { DEFAULT_CLIENT_ID, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_UNAVAILABLE_TIMEOUT_MS, defaultKafkaLog, FETCH_STALE_MARGIN_MS, type KafkaLog } from '@uniqstream/kafka';
import { SourceError } from './errors.js';
import type { BackendHost, KafkaBackend } from './kafka-backend.js';
import { Handoff } from './kafka-handoff.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_WAIT_MS, DEFAULT_MIN_BYTES, KAFKA_FETCHES, KafkaReader, type KafkaFetch, type ReaderSettings } from './kafka-reader.js';
import { DEFAULT_RING_BYTES, isRingHandoff, RING_HANDOFFS, type RingHandoff } from './kafka-ring.js';
import { WorkerLink } from './kafka-worker-link.js';

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
/**
 * kafkajs on a thread of its own by default: the `kafka` benchmark
 * (packages/bench/src/suites/kafka.ts, figures in the README) measured it
 * ahead of the in-thread consumer on 1 and 4 partitions.
 */
export const DEFAULT_WORKER = true;
/**
 * The worker fetches records itself by default: kafkajs's consumer, which
 * keeps the group, commits and metadata, makes an object, two Buffer views
 * and two offset strings per record, most of its cost per frame; the
 * `kafka` benchmark measures both paths side by side.
 */
export const DEFAULT_KAFKA_FETCH: KafkaFetch = 'direct';
export { KAFKA_FETCHES, type KafkaFetch };
/** How the worker hands batches to the source's thread (see KafkaSourceOptions.workerHandoff). */
export const WORKER_HANDOFFS = RING_HANDOFFS;
export type WorkerHandoff = RingHandoff;
/**
 * Copies into and out of shared memory take V8's slower path (relaxed
 * atomic copies), on both threads: the benchmark measured the shared ring
 * well behind buffers of their own, transferred and recycled.
 */
export const DEFAULT_WORKER_HANDOFF: WorkerHandoff = 'transfer';
/** Fetched bytes held between the threads at most: about four fetch answers. */
export const DEFAULT_WORKER_BUFFER_BYTES = DEFAULT_RING_BYTES;
/**
 * kafkajs leaves a few objects per record and a fresh buffer per fetch
 * answer; with V8's small first old generation that garbage starts a full
 * (mark-compact) collection every ~30 ms in the reader thread: 50 in a read
 * of 600k frames, and a quarter of the thread's time. From 128 MB none, and
 * the `kafka` benchmark measures the difference side by side. The space is
 * a limit before collecting, not memory taken: peak RSS stayed the same.
 */
export const DEFAULT_READER_OLD_SPACE_MB = 128;
/** A first old generation larger than this would only ever be a typo. */
const MAX_READER_OLD_SPACE_MB = 64 * 1024;
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
  /**
   * Monotonic ms for timeouts and log pacing (default performance.now). With
   * the worker, the reader thread paces its log lines and its wait for a
   * broker at start with its own performance.now.
   */
  readonly now?: () => number;
  /**
   * Run kafkajs on a worker thread of the source's own (default true): its
   * fetching and decoding then use another core than the pipeline. Frames
   * are views of memory the reader thread wrote, valid until the pipeline
   * asks for the next batch (then they are emptied or reused: copy what you
   * keep). false: kafkajs on the caller's thread, frames are kafkajs's
   * value Buffers.
   */
  readonly worker?: boolean;
  /**
   * With the worker: who fetches records, 'direct' (default: Fetch requests
   * of the source's own, record batches walked in place; kafkajs keeps the
   * group, offsets, commits and metadata, and fetches nothing) or 'kafkajs'
   * (its consumer's batches). Without the worker kafkajs always fetches.
   */
  readonly fetch?: KafkaFetch;
  /** With the worker: bytes of fetched frames held between the threads at most (default 16 MiB). */
  readonly workerBufferBytes?: number;
  /**
   * With the worker: each batch in a buffer of its own whose ownership
   * moves to the source's thread and back ('transfer', default), or in one
   * ring of shared memory ('shared-ring').
   */
  readonly workerHandoff?: WorkerHandoff;
  /**
   * With the worker: the first size (MB) of the reader thread's old
   * generation, V8's `--initial-old-space-size` (default
   * DEFAULT_READER_OLD_SPACE_MB; 0: V8's own). The flag is process-wide:
   * threads started later get it too. A caller whose Node flags or
   * NODE_OPTIONS set it keeps theirs.
   */
  readonly readerOldSpaceMb?: number;
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
 * values (views of the memory the reader thread wrote, valid until the
 * next batch is asked for, or with `worker: false` kafkajs's value
 * Buffers; no copy on this thread),
 * `positions` their offsets, `next` the last offset + 1. Offsets are
 * committed only by `commit()`, which the pipeline calls once the results
 * covering them are in the sink.
 */
export function openKafkaSource(options: KafkaSourceOptions): KafkaSource {
  return new KafkaSourceImpl(options);
}

interface Pending {
  readonly batch: FrameBatch;
}

class KafkaSourceImpl implements KafkaSource, BackendHost {
  readonly name: string;
  readonly topic: string;
  readonly log: KafkaLog;
  private readonly options: KafkaSourceOptions;
  private readonly now: () => number;
  private readonly where: string;
  private readonly backend: KafkaBackend;
  private readonly handoff = new Handoff<Pending>();
  /** Per partition, the offset after the last frame handed on. */
  private readonly handedOn = new Map<number, number>();
  private assignment: number[] = [];
  private started = false;
  private closed = false;
  /** In the group with an assignment, since the last crash. */
  private joinedGroup = false;
  private failure: SourceError | undefined;
  /** When the last fetch answered (data or not). */
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private troubleSince: number | undefined;
  /** Seen unhealthy by the batches loop since it last handed anything on. */
  private cutOff = false;
  private lastTrouble = '';
  private readonly staleAfterMs: number;
  /** Aborted by close(): ends a wait for the broker at start. */
  private readonly stopStarting = new AbortController();
  private starting: Promise<void> | undefined;

  constructor(options: KafkaSourceOptions) {
    if (options.brokers.length === 0) throw new SourceError('BAD_OPTION', 'no Kafka broker given');
    if (options.topic === '') throw new SourceError('BAD_OPTION', 'no Kafka topic given');
    if (options.group === '') throw new SourceError('BAD_OPTION', 'the Kafka consumer group must not be empty');
    if (options.workerHandoff !== undefined && !isRingHandoff(options.workerHandoff)) {
      throw new SourceError('BAD_OPTION', `workerHandoff must be 'shared-ring' or 'transfer', got ${String(options.workerHandoff)}`);
    }
    if (options.fetch !== undefined && !(KAFKA_FETCHES as readonly string[]).includes(options.fetch)) {
      throw new SourceError('BAD_OPTION', `fetch must be 'direct' or 'kafkajs', got ${String(options.fetch)}`);
    }
    const worker = options.worker ?? DEFAULT_WORKER;
    if (!worker && options.fetch === 'direct') throw new SourceError('BAD_OPTION', "fetch 'direct' runs on the worker thread; it needs worker: true");
    const oldSpace = options.readerOldSpaceMb;
    if (oldSpace !== undefined && !(Number.isInteger(oldSpace) && oldSpace >= 0 && oldSpace <= MAX_READER_OLD_SPACE_MB)) {
      throw new SourceError('BAD_OPTION', `readerOldSpaceMb must be an integer from 0 to ${MAX_READER_OLD_SPACE_MB}, got ${String(oldSpace)}`);
    }
    this.options = options;
    this.topic = options.topic;
    this.where = options.brokers.join(',');
    this.name = `kafka://${this.where}/${options.topic}`;
    this.log = options.log ?? defaultKafkaLog;
    this.now = options.now ?? (() => performance.now());
    this.staleAfterMs = (options.maxWaitTimeInMs ?? DEFAULT_MAX_WAIT_MS) + FETCH_STALE_MARGIN_MS;
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
      fetch: worker ? (options.fetch ?? DEFAULT_KAFKA_FETCH) : 'kafkajs',
    };
    this.backend = worker
        ? new WorkerLink(this, {
            reader,
            ringBytes: options.workerBufferBytes ?? DEFAULT_WORKER_BUFFER_BYTES,
            handoff: options.workerHandoff ?? DEFAULT_WORKER_HANDOFF,
            initialOldSpaceMb: options.readerOldSpaceMb ?? DEFAULT_READER_OLD_SPACE_MB,
          })
        : new ThreadReader(this, reader, this.log, this.now);
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
      this.starting = this.backend.start(signal === undefined ? this.stopStarting.signal : AbortSignal.any([signal, this.stopStarting.signal]));
      await this.starting;
      let idleSince = this.now();
      while (!this.closed && signal?.aborted !== true) {
        const pending = await this.handoff.take(IDLE_TICK_MS, signal);
        if (this.failure !== undefined) throw this.failure;
        // Unhealthy (no fetch answered, or out of the group) and healthy again: the silence between was an outage.
        if (!this.healthy(this.now())) this.cutOff = true;
        else if (this.cutOff) {
          this.cutOff = false;
          idleSince = this.now();
          yield this.tick(true);
        }
        if (pending !== undefined) {
          const batch = pending.batch;
          this.handedOn.set(batch.partition, batch.next);
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
      this.backend.stop();
    }
  }

  async commit(positions: Positions): Promise<void> {
    if (this.closed) return;
    const held = new Set(this.assignment);
    const offsets = new Map<number, number>();
    for (const [partition, next] of positions) {
      // A partition moved to another member is committed by it now.
      if (held.has(partition) && Number.isSafeInteger(next) && next >= 0) offsets.set(partition, next);
    }
    if (offsets.size === 0) return;
    await this.backend.commit(offsets);
  }

  lag(): Promise<ReadonlyMap<number, number>> {
    return this.backend.lag(this.assignment, this.handedOn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handoff.close();
    this.stopStarting.abort();
    // A start still under way would otherwise connect after the disconnect and keep the process alive.
    await this.starting?.catch(() => undefined);
    await this.backend.close();
  }

  // BackendHost: what the reader (on this thread or its own) reports.

  offer(batch: FrameBatch): Promise<boolean> {
    return this.handoff.offer({ batch });
  }

  delivered(partition: number): number {
    return this.handedOn.get(partition) ?? 0;
  }

  consuming(): void {
    // The clock for KAFKA_UNAVAILABLE starts now, while the group is joined.
    this.lastFetchAt = this.now();
  }

  joined(now: readonly number[]): void {
    const before = new Set(this.assignment);
    const after = new Set(now);
    const gained = now.filter((p) => !before.has(p));
    const lost = this.assignment.filter((p) => !after.has(p));
    this.assignment = [...now];
    this.joinedGroup = true;
    this.lastFetchAt = this.now();
    this.recovered();
    for (const partition of lost) this.handedOn.delete(partition);
    this.log('info', `joined group ${this.options.group}: partitions ${now.length === 0 ? 'none' : now.join(',')} of ${this.topic}`);
    if (gained.length > 0 || lost.length > 0) this.options.onAssignment?.(gained, lost);
  }

  fetched(): void {
    this.lastFetchAt = this.now();
    this.recovered();
  }

  crashed(reason: string, restart: boolean, cause: unknown): void {
    this.lastTrouble = reason;
    this.joinedGroup = false;
    if (restart) {
      if (this.troubleSince === undefined) {
        this.troubleSince = this.now();
        this.log('warn', `lost Kafka at ${this.where} (${reason}); reconnecting`);
      }
      return;
    }
    this.failed(new SourceError('KAFKA_FAILED', `reading ${this.topic} from Kafka at ${this.where} failed: ${reason}`, { cause }));
  }

  failed(error: SourceError): void {
    if (this.closed || this.failure !== undefined) return;
    this.failure = error;
    this.handoff.wake();
  }

  private recovered(): void {
    if (this.troubleSince === undefined) return;
    const seconds = (this.now() - this.troubleSince) / 1000;
    this.troubleSince = undefined;
    this.log('info', `reconnected to Kafka at ${this.where} after ${seconds.toFixed(1)} s`);
  }

  /** In the group and fetches answer, so "no batch" means the topic is idle. */
  private healthy(at: number): boolean {
    if (!this.joinedGroup || this.troubleSince !== undefined) return false;
    // Without partitions kafkajs sends no fetch, and there is nothing to be idle.
    return this.assignment.length === 0 || at - this.lastFetchAt < this.staleAfterMs;
  }

  private checkUnavailable(at: number): void {
    const limit = this.options.unavailableTimeoutMs ?? DEFAULT_UNAVAILABLE_TIMEOUT_MS;
    if (limit === 0) return;
    const since = this.troubleSince ?? this.lastFetchAt;
    if (at - since < limit) return;
    const reason = this.lastTrouble === '' ? 'no answer' : this.lastTrouble;
    throw new SourceError('KAFKA_UNAVAILABLE', `lost Kafka at ${this.where} for ${Math.round((at - since) / 1000)} s: ${reason}`);
  }

  private tick(resumed = false): FrameBatch {
    return { partition: -1, frames: [], positions: [], next: -1, origin: this.topic, resumed };
  }
}

/**
 * kafkajs on the source's own thread (`worker: false`): every batch is
 * handed over as it is, and eachBatch waits until the pipeline has
 * processed it before kafkajs fetches again.
 */
class ThreadReader implements KafkaBackend {
  private readonly reader: KafkaReader;
  /** Parks eachBatch calls once the pipeline stopped reading, until close(). */
  private releaseParked: () => void = () => undefined;
  private readonly parked: Promise<void>;

  constructor(
    private readonly host: BackendHost,
    settings: ReaderSettings,
    log: KafkaLog,
    now: () => number,
  ) {
    this.reader = new KafkaReader(settings, log, now, host, { eachBatch: (payload) => this.eachBatch(payload) });
    this.parked = new Promise<void>((resolve) => (this.releaseParked = resolve));
  }

  start(signal: AbortSignal): Promise<void> {
    return this.reader.start(signal);
  }

  commit(positions: ReadonlyMap<number, number>): Promise<void> {
    return this.reader.commit(positions);
  }

  lag(assignment: readonly number[], delivered: ReadonlyMap<number, number>): Promise<Map<number, number>> {
    return this.reader.lag(assignment, delivered);
  }

  stop(): void {
    // The handoff, closed by the source, settles the batch offered with false: eachBatch parks.
  }

  async close(): Promise<void> {
    this.releaseParked();
    await this.reader.close();
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const frameBatch = toFrameBatch(batch, this.host.delivered(batch.partition));
    if (frameBatch === undefined) {
      // Handed on before a restart or rejoin re-read it from the committed offset.
      resolveOffset(batch.lastOffset());
      return;
    }
    const taken = await this.host.offer(frameBatch);
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
