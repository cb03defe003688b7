import { SourceError } from './errors.js';

/**
 * What an owner of per-partition state does when partitions move
 * (KafkaSourceOptions.partitions). Every hook is called from inside
 * `batches()`, between two batches, one at a time: never while the caller
 * handles a batch. A hook that throws ends the iteration with its error;
 * ending the iteration or closing the source calls none.
 */
export interface KafkaPartitionHooks {
  /**
   * Partitions this member was given. No record of them is handed on before
   * this resolves; it says where each starts: an offset (the first record
   * handed on is the first at or after it), or undefined (the group's
   * committed offset, else where fromBeginning says).
   */
  assigned(partitions: readonly number[]): Promise<ReadonlyMap<number, number | undefined>>;
  /** Partitions this member lost. No record of them is handed on after this is called. */
  revoked(partitions: readonly number[]): Promise<void>;
  /**
   * Best effort: the group has started a rebalance while this member still
   * holds these partitions (save state now). The member's rejoin waits for
   * this to resolve, up to REBALANCE_HOLD_MAX_MS; no record is handed on
   * from the call until the rebalance's outcome (`revoked`, `assigned`, or
   * nothing when the partitions stay).
   */
  rebalancing?(partitions: readonly number[]): Promise<void>;
}

/** Where a gained partition starts reading, and the session that tags its batches. */
export interface PartitionStart {
  readonly partition: number;
  /** Undefined: the group's committed offset, else where fromBeginning says. */
  readonly offset: number | undefined;
  readonly session: number;
}

/** What reconcile() makes happen besides the hooks. */
export interface AssignmentEffects {
  /** Partitions dropped before `revoked` is called: forget their positions. */
  dropped(partitions: readonly number[]): void;
  /** Gained partitions whose `assigned` resolved: start reading them. */
  start(starts: readonly PartitionStart[]): void;
  /** The `rebalancing` hook for the rebalance `id` is done (or not due): the rejoin may go. */
  rejoin(id: number): void;
}

const NO_OFFSETS: ReadonlyMap<number, number | undefined> = new Map();

function ascending(partitions: Iterable<number>): number[] {
  return [...partitions].sort((a, b) => a - b);
}

/**
 * The Kafka source's partitions, on the caller's thread: the group's
 * assignment as the reader thread last joined, the partitions adopted
 * (their `assigned` resolved, each with a session that the reader tags
 * their batches with), and the hooks run between batches to bring the two
 * in line.
 *
 * The reader thread reads a partition only once it is started, and tags
 * what it reads with the session it was started with, so a batch belongs
 * to the partition's current adoption exactly when its session is the
 * current one; anything else (read before the partition was lost, or
 * before it was started again) is dropped, wherever it was on its way.
 */
export class Assignment {
  /** The group's assignment as of the reader's last join. */
  private group = new Set<number>();
  /** Partitions a join took away since the last reconcile (a later join may have given them back: they start again). */
  private readonly lost = new Set<number>();
  /** Adopted partitions -> their session. */
  private readonly sessions = new Map<number, number>();
  /** Partitions the owner gave up (giveUp) that the last join still lists: not adopted again before the next join. */
  private readonly givenUp = new Set<number>();
  private nextSession = 1;
  private joins = 0;
  /** A rebalance the reader announced whose `rebalancing` hook has not run. */
  private rebalance: number | undefined;
  private holdingSinceJoin: number | undefined;

  /** A group join: the partitions held now. Returns what it gained and lost against the join before. */
  joined(assignment: readonly number[]): { readonly gained: number[]; readonly lost: number[] } {
    const now = new Set(assignment);
    const gained = ascending(assignment.filter((p) => !this.group.has(p)));
    const lost = ascending([...this.group].filter((p) => !now.has(p)));
    for (const p of lost) this.lost.add(p);
    this.group = now;
    this.joins++;
    // This join's assignment is news: a partition given up before it and listed again is adopted afresh.
    this.givenUp.clear();
    // The rejoin went out (the hold ended): saving for it would come too late, and `revoked` follows.
    this.rebalance = undefined;
    this.holdingSinceJoin = undefined;
    return { gained, lost };
  }

  /**
   * The owner gives partitions up before the group says so (another member
   * has taken them over: it learned so from the broker). Nothing more of
   * them is handed on and no hook is called for them; they are adopted
   * afresh (assigned) only if a later join lists them. Returns those that
   * were held.
   */
  giveUp(partitions: readonly number[]): number[] {
    const held = ascending(partitions.filter((p) => this.sessions.has(p)));
    for (const p of held) {
      this.sessions.delete(p);
      if (this.group.has(p)) this.givenUp.add(p);
    }
    return held;
  }

  /** The reader's consumer crashed: it left the group, and joins again. */
  crashed(): void {
    this.rebalance = undefined;
    this.holdingSinceJoin = undefined;
  }

  /** The reader heard the group rebalance (rebalance `id`) and holds its rejoin until effects.rejoin(id). */
  rebalancing(id: number): void {
    this.rebalance = id;
  }

  /** Something for reconcile() to do before the next batch. */
  get due(): boolean {
    if (this.rebalance !== undefined || this.adopting) return true;
    for (const p of this.sessions.keys()) if (!this.group.has(p)) return true;
    return false;
  }

  /** After `rebalancing`, until the join: nothing is handed on. */
  get holding(): boolean {
    return this.holdingSinceJoin === this.joins;
  }

  /** Partitions the last join gave that are not adopted yet, or lost ones not revoked yet. */
  get adopting(): boolean {
    if (this.lost.size > 0) return true;
    for (const p of this.group) if (!this.sessions.has(p) && !this.givenUp.has(p)) return true;
    return false;
  }

  /** Partitions held: adopted, and still this member's as of the last join. Ascending. */
  owned(): number[] {
    return ascending([...this.sessions.keys()].filter((p) => this.group.has(p) && !this.lost.has(p)));
  }

  /** Partitions of the group as of the last join. */
  get groupSize(): number {
    return this.group.size;
  }

  /** A batch of `partition` read in `session` may be handed on: the partition is held, in that very adoption. */
  accepts(partition: number, session: number): boolean {
    return this.sessions.get(partition) === session && this.group.has(partition) && !this.lost.has(partition);
  }

  /**
   * Runs the hooks the joins since the last call call for (`revoked`, then
   * `assigned`, again until nothing is left: a join may come while a hook
   * runs), then `rebalancing` if the reader announced a rebalance. Returns
   * true when partitions were gained.
   */
  async reconcile(hooks: KafkaPartitionHooks | undefined, effects: AssignmentEffects): Promise<boolean> {
    let gainedAny = false;
    for (;;) {
      const lost = ascending([...this.sessions.keys()].filter((p) => this.lost.has(p) || !this.group.has(p)));
      this.lost.clear();
      if (lost.length > 0) {
        for (const p of lost) this.sessions.delete(p);
        effects.dropped(lost);
        await hooks?.revoked(lost);
        continue;
      }
      const gained = ascending([...this.group].filter((p) => !this.sessions.has(p) && !this.givenUp.has(p)));
      if (gained.length === 0) break;
      const offsets = hooks === undefined ? NO_OFFSETS : await hooks.assigned(gained);
      const starts = gained.map(
        (partition): PartitionStart => ({
          partition,
          offset: startOffset(offsets, partition),
          session: this.nextSession++,
        }),
      );
      for (const start of starts) this.sessions.set(start.partition, start.session);
      effects.start(starts);
      gainedAny = true;
    }
    const id = this.rebalance;
    if (id !== undefined) {
      this.rebalance = undefined;
      const joins = this.joins;
      try {
        const owned = this.owned();
        if (owned.length > 0) await hooks?.rebalancing?.(owned);
      } finally {
        effects.rejoin(id);
      }
      // Unless the join came meanwhile (the hold ran out), nothing more goes on until it does.
      if (this.joins === joins) this.holdingSinceJoin = joins;
    }
    return gainedAny;
  }
}

function startOffset(offsets: ReadonlyMap<number, number | undefined>, partition: number): number | undefined {
  const offset = offsets.get(partition);
  if (offset !== undefined && !(Number.isSafeInteger(offset) && offset >= 0)) {
    throw new SourceError(
      'BAD_OPTION',
      `partitions.assigned gave partition ${partition} the offset ${String(offset)}; an offset is an integer from 0`,
    );
  }
  return offset;
}
