import type { FrameBatch, Positions, Source } from '@uniqstream/core';
import { describeKafkaError, FETCH_STALE_MARGIN_MS, isRebalanceInProgress, onFetchAnswered } from '@uniqstream/kafka';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_WAIT_MS, DEFAULT_MIN_BYTES, defaultMaxBytesPerPartition, IDLE_TICK_MS } from '@uniqstream/sources';
import type { Batch, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { ConsumerError } from './errors.js';

/** The heartbeat, also how soon a rebalance is noticed while batches flow. */
const MAX_HEARTBEAT_INTERVAL_MS = 3_000;
const HEARTBEATS_PER_SESSION = 3;
/** A null record value is handed on as no bytes, which the decoder reports as 'empty'. */
const EMPTY_VALUE = Buffer.alloc(0);

/**
 * What the service does when partitions move. Every hook runs between two
 * batches of the pipeline (inside the source's iteration), so the engines
 * are never changed while the pipeline works on them.
 */
export interface PartitionHooks {
  /**
   * Partitions gained: load their checkpoints and adopt the state. Returns,
   * per partition, the offset its state covers (where reading resumes), or
   * undefined when it has none (a fresh start from the committed offset).
   */
  assign(partitions: readonly number[]): Promise<ReadonlyMap<number, number | undefined>>;
  /** Partitions lost: drop their state (the new owner adopts their checkpoint). */
  revoke(partitions: readonly number[]): Promise<void>;
  /** The group is rebalancing while these partitions are still held: checkpoint them now, before they move. */
  rebalancing(partitions: readonly number[]): Promise<void>;
}

export interface PartitionSourceOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /** Partitions of the topic, for the fetch size. */
  readonly topicPartitions: number;
  readonly group: string;
  readonly fromBeginning: boolean;
  readonly sessionTimeoutMs: number;
  readonly hooks: PartitionHooks;
  readonly log: Logger;
  /** Frames handed on, per batch (metrics). */
  readonly onBatch?: (partition: number, frames: number, bytes: number) => void;
}

type Taken = 'taken' | 'skipped' | 'closed';

interface Offered {
  readonly batch: FrameBatch;
  readonly settle: (taken: Taken) => void;
}

/**
 * The input topic read by the consumer group, as core's Source, with what
 * kafkajs leaves to its user for partitions that carry state:
 *
 * - a gained partition is paused at once (GROUP_JOIN), its checkpoint is
 *   loaded and adopted, the consumer seeks to the offset the checkpoint
 *   covers, and only then is it resumed: the pipeline never sees a frame of
 *   a partition whose state is not in place;
 * - a lost partition's state is dropped;
 * - when a heartbeat answers "rebalancing" while batches flow, the held
 *   partitions are checkpointed before kafkajs rejoins, so the new owners
 *   start where this one stopped (kafkajs has no revocation callback; when
 *   the rebalance is noticed elsewhere, the periodic checkpoint and the
 *   deterministic replay from it cover the handover);
 * - records below what was handed on are dropped (kafkajs fetches again
 *   from the committed offset after a rejoin).
 *
 * kafkajs pushes batches (eachBatch); the pipeline pulls them. A batch is
 * handed over when the pipeline asks, and eachBatch returns only once the
 * pipeline is back for the next one, so memory holds one fetch at most.
 */
export class PartitionSource implements Source {
  readonly name: string;
  readonly topic: string;
  private readonly options: PartitionSourceOptions;
  private readonly log: Logger;
  private consumer: Consumer | undefined;
  /** kafkajs's assignment, as of the last group join. */
  private target = new Set<number>();
  /** Partitions whose state is in the engines. */
  private readonly owned = new Set<number>();
  /** Per partition, the offset after the last frame handed on. */
  private readonly delivered = new Map<number, number>();
  /** Per partition, the log end offset last seen. */
  private readonly highs = new Map<number, number>();
  /** Per partition, a position no batch handed on may straddle (see cutAt). */
  private readonly cuts = new Map<number, number>();
  private dirty = false;
  private rebalanceRequests: (() => void)[] = [];
  private readonly queue: Offered[] = [];
  private current: Offered | undefined;
  private wakeTaker: (() => void) | undefined;
  private failure: ConsumerError | undefined;
  private started = false;
  private closed = false;
  private joinedGroup = false;
  /** When a fetch last answered (data or not). */
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  /** When the gained partitions were last resumed: fetches are due from then, not while adopting. */
  private fetchingSince = Number.NEGATIVE_INFINITY;
  /** Seen without the group or without fetches answering since it last yielded. */
  private cutOff = false;
  private releaseParked: () => void = () => undefined;
  private readonly parked: Promise<void>;

  constructor(options: PartitionSourceOptions) {
    this.options = options;
    this.topic = options.topic;
    this.name = `kafka:${options.topic}`;
    this.log = options.log;
    this.parked = new Promise<void>((resolve) => (this.releaseParked = resolve));
  }

  /** In the group, with the state of every assigned partition in place. */
  get ready(): boolean {
    return this.joinedGroup && !this.dirty && this.target.size > 0 && [...this.target].every((p) => this.owned.has(p));
  }

  get joined(): boolean {
    return this.joinedGroup;
  }

  /** Partitions whose state is held here, ascending. */
  ownedPartitions(): number[] {
    return [...this.owned].sort((a, b) => a - b);
  }

  /**
   * Held partitions that are still this member's as of the last group join:
   * the ones to checkpoint. A partition the group gave away is not written
   * for any more, even before its state is dropped between two batches.
   */
  heldPartitions(): number[] {
    return this.ownedPartitions().filter((p) => this.target.has(p));
  }

  /**
   * Gives partitions up before the group says so (another instance has
   * taken them over: exactly-once fencing). Nothing more of them is handed
   * on, and if a later assignment includes them, they are gained again
   * (adopted afresh from their checkpoints), not kept.
   */
  giveUp(partitions: readonly number[]): void {
    for (const p of partitions) {
      this.owned.delete(p);
      this.target.delete(p);
      this.delivered.delete(p);
      this.highs.delete(p);
      this.cuts.delete(p);
    }
    if (partitions.length > 0) this.consumer?.pause([{ topic: this.topic, partitions: [...partitions] }]);
  }

  /**
   * Hands on the frames of `partition` before `position` and those from it
   * in separate batches, so that the pipeline's results after a batch tell
   * which side of it they come from (the replay of a rebuild ends there).
   */
  cutAt(partition: number, position: number): void {
    this.cuts.set(partition, position);
  }

  /**
   * How long the broker has left the held partitions' fetches unanswered,
   * once that is longer than a fetch waits plus FETCH_STALE_MARGIN_MS (the
   * signal idleness uses: the broker is away); 0 while fetches answer, and
   * when none are due (no partitions held, or gained ones being adopted).
   */
  fetchesUnansweredForMs(): number {
    if (this.target.size === 0 || [...this.target].some((p) => !this.owned.has(p))) return 0;
    const silent = performance.now() - Math.max(this.lastFetchAt, this.fetchingSince);
    return silent < DEFAULT_MAX_WAIT_MS + FETCH_STALE_MARGIN_MS ? 0 : silent;
  }

  /** Messages behind per held partition: log end offset - next offset to hand on. */
  lag(): ReadonlyMap<number, number> {
    const out = new Map<number, number>();
    for (const p of this.owned) {
      const high = this.highs.get(p);
      const at = this.delivered.get(p);
      if (high !== undefined && at !== undefined) out.set(p, Math.max(0, high - at));
    }
    return out;
  }

  async *batches(signal?: AbortSignal): AsyncGenerator<FrameBatch> {
    if (this.started) throw new ConsumerError('KAFKA_FAILED', `${this.name} can be iterated only once`);
    this.started = true;
    const onAbort = (): void => this.wake();
    signal?.addEventListener('abort', onAbort);
    try {
      await this.start();
      let idleSince = performance.now();
      while (!this.closed && signal?.aborted !== true) {
        this.finishCurrent('taken');
        // Partitions gained (after a rebalance, say) were not read here before: the time
        // without their frames says nothing of the input, as after an outage.
        if (await this.reconcile()) this.cutOff = true;
        if (aborted(signal)) break;
        const offered = await this.take(IDLE_TICK_MS, signal);
        if (this.failure !== undefined) throw this.failure;
        // Out of the group or unanswered, then back: the silence between was an outage, not idleness.
        if (!this.healthy()) this.cutOff = true;
        else if (this.cutOff) {
          this.cutOff = false;
          idleSince = performance.now();
          yield { partition: -1, frames: [], positions: [], next: -1, origin: this.topic, resumed: true };
        }
        if (offered !== undefined) {
          const batch = offered.batch;
          if (!this.owned.has(batch.partition) || !this.target.has(batch.partition) || this.dirty) {
            // Moved, or not adopted yet: kafkajs fetches it again after the seek.
            this.current = undefined;
            offered.settle('skipped');
            continue;
          }
          const fresh = dropBelow(batch, this.delivered.get(batch.partition) ?? 0);
          if (fresh === undefined) continue;
          this.delivered.set(fresh.partition, fresh.next);
          this.options.onBatch?.(fresh.partition, fresh.frames.length, byteLength(fresh.frames));
          const cut = this.cuts.get(fresh.partition);
          if (cut !== undefined && fresh.next > cut) {
            this.cuts.delete(fresh.partition);
            const before = below(fresh, cut);
            if (before !== undefined) yield before;
            const after = dropBelow(fresh, cut);
            if (after !== undefined) yield after;
          } else {
            yield fresh;
          }
          idleSince = performance.now();
          continue;
        }
        const at = performance.now();
        if (this.healthy() && at - idleSince >= IDLE_TICK_MS) {
          idleSince = at;
          yield { partition: -1, frames: [], positions: [], next: -1, origin: this.topic };
        }
      }
      // A Kafka topic has no end: ending without a stop request would make the pipeline finalize every open window.
      if (!aborted(signal)) throw this.failure ?? new ConsumerError('KAFKA_FAILED', `${this.name} was closed while the pipeline was reading it`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.finishCurrent('closed');
      for (const offered of this.queue.splice(0)) offered.settle('closed');
    }
  }

  /** Commits the offsets of the partitions held now. A failed commit is logged: the checkpoints hold the offsets anyway. */
  async commit(positions: Positions): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined || this.closed) return;
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    for (const [partition, next] of positions) {
      if (this.owned.has(partition) && this.target.has(partition) && Number.isSafeInteger(next) && next >= 0) offsets.push({ topic: this.topic, partition, offset: String(next) });
    }
    if (offsets.length === 0) return;
    try {
      await consumer.commitOffsets(offsets);
    } catch (error) {
      this.log.warn({ reason: describeKafkaError(error) }, `could not commit offsets of ${this.topic}; the checkpoints cover them and the next commit catches up`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.finishCurrent('closed');
    for (const offered of this.queue.splice(0)) offered.settle('closed');
    this.releaseParked();
    for (const done of this.rebalanceRequests.splice(0)) done();
    this.wake();
    await this.consumer?.disconnect().catch(() => undefined);
  }

  private async start(): Promise<void> {
    const session = this.options.sessionTimeoutMs;
    const consumer = this.options.kafka.consumer({
      groupId: this.options.group,
      sessionTimeout: session,
      heartbeatInterval: Math.min(MAX_HEARTBEAT_INTERVAL_MS, Math.floor(session / HEARTBEATS_PER_SESSION)),
      maxBytesPerPartition: defaultMaxBytesPerPartition(this.options.topicPartitions),
      maxBytes: DEFAULT_MAX_BYTES,
      minBytes: DEFAULT_MIN_BYTES,
      maxWaitTimeInMs: DEFAULT_MAX_WAIT_MS,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    this.watch(consumer);
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [this.topic], fromBeginning: this.options.fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        // One batch at a time: the pipeline is one loop.
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.eachBatch(payload),
      });
    } catch (error) {
      if (this.closed) return;
      throw new ConsumerError('KAFKA_FAILED', `cannot start reading ${this.topic}: ${describeKafkaError(error)}`, { cause: error });
    }
  }

  private watch(consumer: Consumer): void {
    const { GROUP_JOIN, CRASH } = consumer.events;
    onFetchAnswered(consumer, () => {
      this.lastFetchAt = performance.now();
    });
    consumer.on(GROUP_JOIN, (event) => {
      const now = (event.payload.memberAssignment[this.topic] ?? []).slice().sort((a, b) => a - b);
      this.target = new Set(now);
      this.joinedGroup = true;
      this.lastFetchAt = performance.now();
      const gained = now.filter((p) => !this.owned.has(p));
      // Nothing of a gained partition may be fetched before its state is adopted and the consumer has sought to its offset.
      if (gained.length > 0) consumer.pause([{ topic: this.topic, partitions: gained }]);
      for (const p of now) {
        const at = this.delivered.get(p);
        // A kept partition: continue where it was, not from the (older) committed offset.
        if (this.owned.has(p) && at !== undefined) consumer.seek({ topic: this.topic, partition: p, offset: String(at) });
      }
      this.log.info({ partitions: now, gained, lost: [...this.owned].filter((p) => !this.target.has(p)), group: this.options.group }, `joined group ${this.options.group}: partitions ${now.length === 0 ? 'none' : now.join(',')} of ${this.topic}`);
      this.dirty = true;
      this.wake();
    });
    consumer.on(CRASH, (event) => {
      this.joinedGroup = false;
      const reason = describeKafkaError(event.payload.error);
      if (event.payload.restart) {
        this.log.warn({ reason }, `the consumer of ${this.topic} stopped; kafkajs restarts it`);
        return;
      }
      if (this.closed) return;
      this.failure = new ConsumerError('KAFKA_FAILED', `reading ${this.topic} failed: ${reason}`, { cause: event.payload.error });
      this.wake();
    });
  }

  /** In the group and fetches answer, so "no batch" means the topic is idle. */
  private healthy(): boolean {
    if (!this.joinedGroup) return false;
    // Without partitions kafkajs does not fetch, and there is nothing to be idle.
    return this.target.size === 0 || performance.now() - this.lastFetchAt < DEFAULT_MAX_WAIT_MS + FETCH_STALE_MARGIN_MS;
  }

  /** Brings the engines in line with the assignment; runs between batches. True when it gained partitions. */
  private async reconcile(): Promise<boolean> {
    let gainedAny = false;
    while (this.dirty && !this.closed) {
      this.dirty = false;
      const lost = [...this.owned].filter((p) => !this.target.has(p)).sort((a, b) => a - b);
      if (lost.length > 0) {
        await this.options.hooks.revoke(lost);
        for (const p of lost) {
          this.owned.delete(p);
          this.delivered.delete(p);
          this.highs.delete(p);
          this.cuts.delete(p);
        }
      }
      const gained = [...this.target].filter((p) => !this.owned.has(p)).sort((a, b) => a - b);
      if (gained.length === 0) continue;
      gainedAny = true;
      const offsets = await this.options.hooks.assign(gained);
      const consumer = this.consumer;
      for (const p of gained) {
        this.owned.add(p);
        const offset = offsets.get(p);
        if (offset !== undefined) {
          this.delivered.set(p, offset);
          consumer?.seek({ topic: this.topic, partition: p, offset: String(offset) });
        }
      }
      consumer?.resume([{ topic: this.topic, partitions: gained }]);
      this.fetchingSince = performance.now();
    }
    if (this.rebalanceRequests.length > 0) {
      const requests = this.rebalanceRequests.splice(0);
      try {
        const held = this.heldPartitions();
        if (held.length > 0) await this.options.hooks.rebalancing(held);
      } finally {
        for (const done of requests) done();
      }
    }
    return gainedAny;
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    this.highs.set(batch.partition, Number(batch.highWatermark));
    if (!this.owned.has(batch.partition)) return;
    const frameBatch = toFrameBatch(batch);
    if (frameBatch === undefined) return;
    const taken = await this.offer(frameBatch);
    if (taken === 'closed') {
      // The pipeline stopped reading: hold kafkajs here rather than let it fetch again until close().
      await this.parked;
      return;
    }
    if (taken === 'skipped' || !isRunning() || isStale()) return;
    resolveOffset(String(frameBatch.next - 1));
    try {
      await heartbeat();
    } catch (error) {
      if (isRebalanceInProgress(error) && !this.closed) {
        // Still a member of the generation: the group waits for this rejoin, so checkpoint what moves first.
        this.log.info({ topic: this.topic }, 'the group is rebalancing: checkpointing the held partitions before rejoining');
        await new Promise<void>((resolve) => {
          this.rebalanceRequests.push(resolve);
          this.wake();
        });
      }
      throw error;
    }
  }

  private offer(batch: FrameBatch): Promise<Taken> {
    if (this.closed) return Promise.resolve('closed');
    return new Promise<Taken>((settle) => {
      this.queue.push({ batch, settle });
      this.wake();
    });
  }

  private take(timeoutMs: number, signal: AbortSignal | undefined): Promise<Offered | undefined> {
    const next = (): Offered | undefined => {
      const offered = this.queue.shift();
      this.current = offered;
      return offered;
    };
    if (this.queue.length > 0 || this.dirty || this.rebalanceRequests.length > 0 || this.closed || signal?.aborted === true) return Promise.resolve(next());
    return new Promise<Offered | undefined>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wakeTaker === done) this.wakeTaker = undefined;
        resolve(next());
      };
      const timer = setTimeout(done, timeoutMs);
      this.wakeTaker = done;
    });
  }

  private finishCurrent(taken: Taken): void {
    const current = this.current;
    this.current = undefined;
    current?.settle(taken);
  }

  private wake(): void {
    const wake = this.wakeTaker;
    this.wakeTaker = undefined;
    wake?.();
  }
}

function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** A kafkajs batch as a FrameBatch: the record values without a copy, offsets as positions. */
function toFrameBatch(batch: Pick<Batch, 'topic' | 'partition' | 'messages'>): FrameBatch | undefined {
  const messages = batch.messages;
  const count = messages.length;
  if (count === 0) return undefined;
  const frames = new Array<Uint8Array>(count);
  const positions = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const message = messages[i]!;
    frames[i] = message.value ?? EMPTY_VALUE;
    positions[i] = Number(message.offset);
  }
  return { partition: batch.partition, frames, positions, next: positions[count - 1]! + 1, origin: batch.topic };
}

/** The batch without the records below `from` (handed on already); undefined when none is left. */
function dropBelow(batch: FrameBatch, from: number): FrameBatch | undefined {
  const positions = batch.positions;
  let first = 0;
  while (first < batch.frames.length && positions[first]! < from) first++;
  if (first === 0) return batch;
  if (first === batch.frames.length) return undefined;
  const kept = Float64Array.from({ length: batch.frames.length - first }, (_, i) => positions[first + i]!);
  return { partition: batch.partition, frames: batch.frames.slice(first), positions: kept, next: batch.next, origin: batch.origin };
}

/** The batch's records below `to`; undefined when there are none. */
function below(batch: FrameBatch, to: number): FrameBatch | undefined {
  const positions = batch.positions;
  let end = 0;
  while (end < batch.frames.length && positions[end]! < to) end++;
  if (end === 0) return undefined;
  const kept = Float64Array.from({ length: end }, (_, i) => positions[i]!);
  return { partition: batch.partition, frames: batch.frames.slice(0, end), positions: kept, next: to, origin: batch.origin };
}

function byteLength(frames: readonly Uint8Array[]): number {
  let bytes = 0;
  for (const frame of frames) bytes += frame.length;
  return bytes;
}
