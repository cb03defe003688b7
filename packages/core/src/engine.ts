import { createCalendar, type Calendar } from './calendar.js';
import type { CountingStage } from './counting-stage.js';
import { createCounter, deserializeCounter, type DistinctCounter } from './counters/index.js';
import { CoreError } from './errors.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot.js';
import { methodFor, resolveEngineOptions, type EngineOptions } from './options.js';
import { PartitionCounter, type HeldFrame } from './partition.js';
import { EngineStats } from './stats.js';
import type { Held, TsGuardSnapshot } from './ts-guard.js';
import { planStores, WindowStore, type WindowState } from './window-store.js';
import type { DeadLetter, Granularity, Positions, WindowResult } from './types.js';

/**
 * The counting engine: event-time windows of every granularity, one
 * watermark per input partition, distinct counting, emission and revisions.
 *
 * Everything is decided per frame, never per batch, so the results do not
 * depend on how the input was chunked: the same frames in the same order give
 * the same results. Time is event time only; there is no clock in here.
 *
 * A window [start, end) gets its first result when the watermark (highest ts
 * minus maxDelay, the minimum over partitions) reaches `end`. Frames that
 * arrive later but before `end + allowedLateness` update it; the update is
 * emitted as a new revision at most once per `revisionInterval` seconds of
 * watermark progress. At `end + allowedLateness` the window's last result is
 * emitted with `final: true` and its state is freed.
 */
export class CountingEngine implements CountingStage {
  readonly options: EngineOptions;
  readonly calendar: Calendar;
  readonly stats = new EngineStats();
  /** The effective watermark: windows ending at or before it have been emitted. */
  watermark = Number.NEGATIVE_INFINITY;

  /** Finest first: a child window is always handled before its parents. */
  private readonly stores: WindowStore[];
  private readonly leaves: WindowStore[];
  private readonly cascade: boolean;
  private readonly partitions = new Map<number, PartitionCounter>();
  private readonly partitionList: PartitionCounter[] = [];
  private nextFireAt = Number.POSITIVE_INFINITY;
  private nextEarlyAt = Number.NEGATIVE_INFINITY;
  private results: WindowResult[] = [];
  private deadLetters: DeadLetter[] = [];

  constructor(options: Partial<EngineOptions> = {}) {
    this.options = resolveEngineOptions(options);
    this.calendar = createCalendar(this.options.timeZone);
    this.cascade = this.options.aggregation === 'cascade';
    this.stores = this.options.windows.map((g) => new WindowStore(g, methodFor(this.options.method, g)));
    planStores(this.stores, this.cascade);
    this.leaves = this.stores.filter((s) => s.isLeaf);
  }

  /** The counter for one input partition; keep it for a whole batch. */
  partition(id: number): PartitionCounter {
    let part = this.partitions.get(id);
    if (part === undefined) {
      part = new PartitionCounter(this, id);
      this.partitions.set(id, part);
      this.partitionList.push(part);
    }
    return part;
  }

  /** Records a frame the decoder rejected. */
  malformed(kind: string, origin: string, partition: number, position: number, frame: Uint8Array): void {
    this.stats.addMalformed(kind);
    if (this.options.deadLetters) {
      this.deadLetters.push({ reason: 'malformed', detail: kind, origin, partition, position, frame: frame.slice() });
    }
  }

  /**
   * Marks a partition idle (no frames for a while) or active again. An idle
   * partition does not hold the watermark back.
   */
  setIdle(id: number, idle: boolean): void {
    const part = this.partitions.get(id);
    if (part === undefined || part.idle === idle) return;
    part.idle = idle;
    this.recomputeWatermark();
    // Revisions wait for the watermark to rise; an idle input does not make it
    // rise, so what was counted since the last result would wait for new
    // frames. Once every partition is idle, it goes out now.
    if (idle && this.partitionList.every((p) => p.idle || !p.hasData)) this.emitChanged(false);
  }

  /**
   * A partition has had no frame for a while: its event time moves on to
   * `seconds` past its newest ts (the wall-clock time of the silence, less
   * the allowance the caller gives), and the watermark with it. Frames that
   * arrive later behind the watermark are late like any other. Only a
   * partition that has had frames has an event time to move.
   */
  advanceSilent(id: number, seconds: number): void {
    const part = this.partitions.get(id);
    if (part === undefined || !part.hasData || !(seconds > 0)) return;
    const to = part.maxTs + Math.floor(seconds);
    if (to <= part.clockTs) return;
    part.clockTs = to;
    this.recomputeWatermark();
  }

  /** Results emitted since the last call, in emission order. */
  takeResults(): WindowResult[] {
    const out = this.results;
    this.results = [];
    return out;
  }

  /** Dead letters since the last call (only with the deadLetters option). */
  takeDeadLetters(): DeadLetter[] {
    const out = this.deadLetters;
    this.deadLetters = [];
    return out;
  }

  get openWindows(): number {
    let n = 0;
    for (const store of this.stores) n += store.windows.size;
    return n;
  }

  /**
   * End of input: releases or rejects held frames, then emits every open
   * window's final result.
   */
  finish(): void {
    for (const part of this.partitionList) {
      part.guard.finish();
      part.drainGuard();
    }
    const out: WindowResult[] = [];
    for (const store of this.stores) {
      for (const window of [...store.windows.values()]) this.finalize(store, window, out);
    }
    this.pushResults(out);
    this.nextFireAt = Number.POSITIVE_INFINITY;
  }

  /**
   * Stopping without the end of input (a signal): a non-final result of every
   * open window that changed since its last result. State is kept.
   */
  flushOpen(): void {
    this.emitChanged(true);
  }

  /**
   * A non-final result of every window that changed since its last result
   * (updates only): of the windows already emitted, or of every open one.
   */
  private emitChanged(unfiredToo: boolean): void {
    if (this.options.emit !== 'updates') return;
    const out: WindowResult[] = [];
    for (const store of this.stores) {
      for (const window of store.windows.values()) {
        if (!window.changed || !(window.fired || unfiredToo)) continue;
        out.push(this.resultOf(store, window, false));
        window.changed = false;
        if (window.fired) window.lastEmitWatermark = this.watermark;
      }
    }
    if (out.length === 0) return;
    this.nextFireAt = this.planNextFire();
    this.pushResults(out);
  }

  /** Per partition, the position after the last frame handed in (held frames included). */
  consumedPositions(): Positions {
    const out = new Map<number, number>();
    for (const part of this.partitionList) if (Number.isFinite(part.next)) out.set(part.id, part.next);
    return out;
  }

  /**
   * Per partition, the position up to which every frame is fully handled:
   * its windows are final (their results emitted) or it was dropped. Reading
   * again from there loses nothing.
   */
  safePositions(): Positions {
    const out = new Map<number, number>();
    for (const part of this.partitionList) {
      let safe = part.next;
      for (const held of part.guard.held) safe = Math.min(safe, held.item.position);
      for (const store of this.stores) {
        if (!store.isRoot) continue;
        for (const window of store.windows.values()) {
          const first = window.firstPositions.get(part.id);
          if (first !== undefined) safe = Math.min(safe, first);
        }
      }
      if (Number.isFinite(safe)) out.set(part.id, safe);
    }
    return out;
  }

  /**
   * Everything the engine holds, as bytes: open windows with their counters,
   * watermarks, held frames, positions and totals. Restoring it and feeding
   * the frames after `consumedPositions()` gives exactly the results an
   * uninterrupted run gives.
   */
  snapshot(): Uint8Array {
    const state: EngineState = {
      config: configOf(this.options),
      plan: {
        allowedLateness: this.options.allowedLateness,
        revisionInterval: this.options.revisionInterval,
        earlyEvery: this.options.earlyEvery,
        emit: this.options.emit,
      },
      watermark: this.watermark,
      nextFireAt: this.nextFireAt,
      nextEarlyAt: this.nextEarlyAt,
      stats: {
        counted: this.stats.counted,
        late: this.stats.late,
        lateDropped: this.stats.lateDropped,
        corruptTs: this.stats.corruptTs,
        resultsEmitted: this.stats.resultsEmitted,
        malformed: [...this.stats.malformed.entries()],
      },
      partitions: this.partitionList.map((part) => ({
        id: part.id,
        maxTs: part.maxTs,
        clockTs: part.clockTs,
        hasData: part.hasData,
        idle: part.idle,
        next: part.next,
        origin: part.origin,
        guard: part.guard.snapshot(),
      })),
      windows: this.stores.flatMap((store) =>
        [...store.windows.values()].map((w) => ({
          granularity: store.granularity,
          start: w.start,
          end: w.end,
          frames: w.frames,
          revision: w.revision,
          fired: w.fired,
          changed: w.changed,
          lastEmitWatermark: w.lastEmitWatermark,
          firstPositions: [...w.firstPositions.entries()],
          counter: w.counter.serialize(),
        })),
      ),
    };
    return encodeSnapshot(state);
  }

  /**
   * An engine with the state of `snapshot`. Windows, time zone, method,
   * precision and aggregation must match the options the snapshot was taken
   * with; delays and lateness may change and apply from here on.
   */
  static restore(snapshot: Uint8Array, options: Partial<EngineOptions> = {}): CountingEngine {
    try {
      return CountingEngine.restoreState(snapshot, options);
    } catch (error) {
      if (error instanceof CoreError) throw error;
      // Fields of the wrong kind (a header edited by hand, say) fail deep inside: one typed error for all of them.
      throw new CoreError(
        'BAD_CHECKPOINT',
        `checkpoint state is damaged (${error instanceof Error ? error.message : String(error)})`,
        { cause: error },
      );
    }
  }

  private static restoreState(snapshot: Uint8Array, options: Partial<EngineOptions>): CountingEngine {
    const engine = new CountingEngine(options);
    const state = decodeSnapshot(snapshot) as EngineState;
    if (
      state === null ||
      typeof state !== 'object' ||
      !Array.isArray(state.windows) ||
      !Array.isArray(state.partitions)
    ) {
      throw new CoreError('BAD_CHECKPOINT', 'checkpoint does not hold engine state');
    }
    const was = state.config;
    const now = configOf(engine.options);
    for (const key of ['windows', 'timeZone', 'method', 'hllPrecision', 'aggregation'] as const) {
      if (JSON.stringify(was[key]) !== JSON.stringify(now[key])) {
        throw new CoreError(
          'CHECKPOINT_MISMATCH',
          `the checkpoint was written with ${key} ${JSON.stringify(was[key])}, this run has ` +
            `${JSON.stringify(now[key])}: use the same, or start without the checkpoint`,
        );
      }
    }
    engine.watermark = state.watermark;
    engine.nextEarlyAt = state.nextEarlyAt;
    const stats = engine.stats;
    stats.counted = state.stats.counted;
    stats.late = state.stats.late;
    stats.lateDropped = state.stats.lateDropped;
    stats.corruptTs = state.stats.corruptTs;
    stats.resultsEmitted = state.stats.resultsEmitted;
    for (const [kind, n] of state.stats.malformed) stats.malformed.set(kind, n);
    for (const saved of state.partitions) {
      const part = engine.partition(saved.id);
      part.maxTs = saved.maxTs;
      // Absent in checkpoints from before wall-clock advance.
      part.clockTs = saved.clockTs ?? Number.NEGATIVE_INFINITY;
      part.hasData = saved.hasData;
      part.idle = saved.idle;
      part.next = saved.next;
      part.origin = saved.origin;
      part.guard.restore(saved.guard);
    }
    for (const saved of state.windows) {
      const store = engine.stores.find((s) => s.granularity === saved.granularity);
      if (store === undefined)
        throw new CoreError(
          'CHECKPOINT_MISMATCH',
          `checkpoint has a ${saved.granularity} window this run does not count`,
        );
      const window = newWindow(
        saved.start,
        saved.end,
        saved.end + engine.options.allowedLateness,
        deserializeCounter(saved.counter),
        saved.lastEmitWatermark,
        saved.fired,
      );
      window.frames = saved.frames;
      window.revision = saved.revision;
      window.changed = saved.changed;
      for (const [p, position] of saved.firstPositions) window.firstPositions.set(p, position);
      store.windows.set(saved.start, window);
    }
    // Parents before children, so that every window finds its roots.
    for (const store of [...engine.stores].reverse()) {
      for (const window of store.windows.values()) engine.link(store, window, engine.watermark);
    }
    // Nothing is emitted here: results go out at the next rise of the watermark, as in the
    // uninterrupted run (a window a late frame marked just before the snapshot would otherwise get
    // a revision early, without the frames that come before that rise). With the saved run's
    // emission settings, its plan holds; with others, they apply from here on.
    const samePlan = (['allowedLateness', 'revisionInterval', 'earlyEvery', 'emit'] as const).every(
      (key) => state.plan?.[key] === engine.options[key],
    );
    engine.nextFireAt = samePlan ? state.nextFireAt : engine.planNextFire();
    return engine;
  }

  /** The watermark at which fire() next has something to do, from the windows as they are (nothing is emitted). */
  private planNextFire(): number {
    const { emit, earlyEvery, revisionInterval } = this.options;
    const updates = emit === 'updates';
    let next = Number.POSITIVE_INFINITY;
    let anyOpen = false;
    for (const store of this.stores) {
      for (const window of store.windows.values()) {
        if (!window.fired) {
          anyOpen = true;
          if (window.end < next) next = window.end;
          continue;
        }
        if (window.finalAt < next) next = window.finalAt;
        if (window.changed && updates && window.lastEmitWatermark + revisionInterval < next)
          next = window.lastEmitWatermark + revisionInterval;
      }
    }
    if (updates && earlyEvery > 0 && anyOpen && this.nextEarlyAt < next) next = this.nextEarlyAt;
    return next;
  }

  /** @internal called by PartitionCounter when its max ts rose. */
  recomputeWatermark(): void {
    let min = Number.POSITIVE_INFINITY;
    let active = false;
    for (const part of this.partitionList) {
      if (!part.hasData || part.idle) continue;
      active = true;
      const eventTime = Math.max(part.clockTs, part.maxTs);
      if (eventTime < min) min = eventTime;
    }
    if (!active) {
      // Every partition idle: only the wall clock (advanceSilent) moves event
      // time, and then no further than the partition furthest behind. Without
      // it this minimum is never above the watermark already reached.
      for (const part of this.partitionList) {
        if (!part.hasData) continue;
        const eventTime = Math.max(part.clockTs, part.maxTs);
        if (eventTime < min) min = eventTime;
      }
    }
    if (min === Number.POSITIVE_INFINITY) return;
    const candidate = min - this.options.maxDelay;
    // The watermark never goes back: emitted results cannot be taken back.
    if (candidate > this.watermark) {
      this.watermark = candidate;
      if (candidate >= this.nextFireAt) this.fire();
    }
  }

  /**
   * @internal the hot path: counts one accepted frame. Without cascading it
   * goes into every granularity; with it, only into the finest, whose windows
   * are merged into the coarser ones when they are final.
   */
  place(part: PartitionCounter, hi: number, lo: number, ts: number, position: number, frame: Uint8Array | null): void {
    const watermark = this.watermark;
    const leaves = this.leaves;
    let finest = PLACED_ON_TIME;
    for (let i = 0; i < leaves.length; i++) {
      const store = leaves[i]!;
      // Frames mostly fall in the window of the frame before, or, around a
      // boundary, the one before that: two cached windows skip the map.
      let window = store.a;
      if (window === null || ts < window.start || ts >= window.end) {
        window = store.b;
        if (window !== null && ts >= window.start && ts < window.end) {
          store.b = store.a;
          store.a = window;
        } else {
          window = this.findOrCreate(store, this.calendar.start(store.granularity, ts), watermark, false);
          if (window === null) {
            if (i === 0) finest = PLACED_DROPPED;
            // Too late for this window, maybe not for the coarser ones.
            if (this.cascade) this.placeAbove(part, store, hi, lo, ts, position, watermark);
            continue;
          }
          store.b = store.a;
          store.a = window;
        }
      }
      window.counter.add(hi, lo);
      window.frames++;
      if (i === 0 && window.fired) finest = PLACED_LATE;
      this.touch(window);
      const roots = window.roots;
      for (let r = 0; r < roots.length; r++) {
        const root = roots[r]!;
        if (root.lastPartition !== part.id) {
          root.lastPartition = part.id;
          if (!root.firstPositions.has(part.id)) root.firstPositions.set(part.id, position);
        }
      }
    }
    if (finest === PLACED_ON_TIME) {
      this.stats.counted++;
    } else if (finest === PLACED_LATE) {
      this.stats.counted++;
      this.stats.late++;
    } else {
      this.stats.late++;
      this.stats.lateDropped++;
      if (this.options.deadLetters && frame !== null) {
        this.deadLetters.push({
          reason: 'late',
          detail: `behind ${leaves[0]!.granularity} window by more than the allowed lateness`,
          origin: part.origin,
          partition: part.id,
          position,
          ts,
          frame: frame.slice(),
        });
      }
    }
  }

  /** @internal */
  rejectCorrupt(part: PartitionCounter, held: Held<HeldFrame>): void {
    this.stats.corruptTs++;
    if (this.options.deadLetters) {
      this.deadLetters.push({
        reason: 'corrupt-ts',
        detail: `ts ${held.ts} far ahead of event time ${part.guard.maxTs} and not confirmed by later frames`,
        origin: held.item.origin,
        partition: part.id,
        position: held.item.position,
        ts: held.ts,
        frame: held.item.frame,
      });
    }
  }

  /** Cascading, for a frame too late for its `store` window: count it in the nearest coarser windows that take it. */
  private placeAbove(
    part: PartitionCounter,
    store: WindowStore,
    hi: number,
    lo: number,
    ts: number,
    position: number,
    watermark: number,
  ): void {
    for (const parentStore of store.parents) {
      const window = this.findOrCreate(parentStore, this.calendar.start(parentStore.granularity, ts), watermark, false);
      if (window === null) {
        this.placeAbove(part, parentStore, hi, lo, ts, position, watermark);
        continue;
      }
      window.counter.add(hi, lo);
      window.frames++;
      this.touch(window);
      for (const root of window.roots)
        if (!root.firstPositions.has(part.id)) root.firstPositions.set(part.id, position);
    }
  }

  /** Marks a window and, with cascading, every window its result includes it in, as changed. */
  private touch(window: WindowState): void {
    if (!window.changed) {
      window.changed = true;
      if (window.fired) {
        const due = window.lastEmitWatermark + this.options.revisionInterval;
        if (due < this.nextFireAt) this.nextFireAt = due;
      }
    }
    const parents = window.parents;
    for (let i = 0; i < parents.length; i++) this.touch(parents[i]!);
  }

  /**
   * The window of `store` starting at `start`; created if it is not too late
   * (or if `force`), with its parents when cascading.
   */
  private findOrCreate(store: WindowStore, start: number, watermark: number, force: boolean): WindowState | null {
    const existing = store.windows.get(start);
    if (existing !== undefined) return existing;
    const end = this.calendar.end(store.granularity, start);
    const finalAt = end + this.options.allowedLateness;
    if (finalAt <= watermark && !force) return null;
    const lateBorn = end <= watermark;
    // A window born late is emitted at the next revision tick, like an update.
    const window = newWindow(
      start,
      end,
      finalAt,
      createCounter(store.method, this.options.hllPrecision),
      watermark,
      lateBorn,
    );
    store.windows.set(start, window);
    this.link(store, window, watermark);
    let due = lateBorn ? watermark + this.options.revisionInterval : end;
    const earlyEvery = this.options.earlyEvery;
    if (earlyEvery > 0 && !lateBorn) {
      if (this.nextEarlyAt === Number.NEGATIVE_INFINITY)
        this.nextEarlyAt = (Math.floor(watermark / earlyEvery) + 1) * earlyEvery;
      if (this.nextEarlyAt < due) due = this.nextEarlyAt;
    }
    if (due < this.nextFireAt) this.nextFireAt = due;
    return window;
  }

  /** Connects a window to the parent windows it merges into and to its roots. */
  private link(store: WindowStore, window: WindowState, watermark: number): void {
    if (store.isRoot) window.roots.push(window);
    for (const parentStore of store.parents) {
      // A parent ends no earlier than its child, so it is never too late for it.
      const parent = this.findOrCreate(
        parentStore,
        this.calendar.start(parentStore.granularity, window.start),
        watermark,
        true,
      )!;
      window.parents.push(parent);
      parent.children.add(window);
      for (const root of parent.roots) if (!window.roots.includes(root)) window.roots.push(root);
    }
  }

  /** Emits what the watermark makes due, frees final windows, plans the next call. */
  private fire(): void {
    const watermark = this.watermark;
    const { emit, earlyEvery, revisionInterval } = this.options;
    const updates = emit === 'updates';
    const early = updates && earlyEvery > 0 && watermark >= this.nextEarlyAt;
    const out: WindowResult[] = [];
    // Finest first, so a child is merged into its parent before the parent's final result.
    for (const store of this.stores) {
      for (const window of [...store.windows.values()]) {
        if (watermark >= window.finalAt) {
          this.finalize(store, window, out);
          continue;
        }
        if (!window.fired) {
          if (watermark >= window.end) {
            window.fired = true;
            if (updates) out.push(this.resultOf(store, window, false));
            window.changed = false;
            window.lastEmitWatermark = watermark;
          } else if (early && window.changed) {
            out.push(this.resultOf(store, window, false));
            window.changed = false;
          }
        } else if (window.changed && updates && watermark >= window.lastEmitWatermark + revisionInterval) {
          out.push(this.resultOf(store, window, false));
          window.changed = false;
          window.lastEmitWatermark = watermark;
        }
      }
    }
    if (early) this.nextEarlyAt = (Math.floor(watermark / earlyEvery) + 1) * earlyEvery;
    this.nextFireAt = this.planNextFire();
    this.pushResults(out);
  }

  /** The final result; then the window is merged into its parents and freed. */
  private finalize(store: WindowStore, window: WindowState, out: WindowResult[]): void {
    out.push(this.resultOf(store, window, true));
    for (const parent of window.parents) {
      parent.counter.mergeFrom(window.counter);
      parent.frames += window.frames;
      parent.children.delete(window);
    }
    store.free(window);
  }

  private pushResults(out: WindowResult[]): void {
    if (out.length === 0) return;
    out.sort(compareResults);
    this.stats.resultsEmitted += out.length;
    for (const result of out) this.results.push(result);
  }

  private resultOf(store: WindowStore, window: WindowState, final: boolean): WindowResult {
    const revision = this.options.emit === 'final' ? 0 : window.revision++;
    let counter = window.counter;
    let frames = window.frames;
    if (window.children.size > 0) {
      // Cascading: the window's own counter lacks its children still open.
      counter = createCounter(store.method, this.options.hllPrecision);
      counter.mergeFrom(window.counter);
      const pending = [...window.children];
      while (pending.length > 0) {
        const child = pending.pop()!;
        counter.mergeFrom(child.counter);
        frames += child.frames;
        for (const grandchild of child.children) pending.push(grandchild);
      }
    }
    const base = {
      window: store.granularity,
      start: window.start,
      end: window.end,
      users: Math.round(counter.count()),
      frames,
      revision,
      final,
      method: counter.method,
    };
    const result: WindowResult =
      counter.method === 'hll' ? { ...base, error: roundError(counter.relativeError()) } : base;
    if (!this.options.withState) return result;
    return withLazyState(result, counter);
  }
}

function newWindow(
  start: number,
  end: number,
  finalAt: number,
  counter: DistinctCounter,
  watermark: number,
  lateBorn: boolean,
): WindowState {
  return {
    start,
    end,
    finalAt,
    counter,
    frames: 0,
    revision: 0,
    fired: lateBorn,
    changed: true,
    lastEmitWatermark: watermark,
    parents: [],
    children: new Set(),
    roots: [],
    lastPartition: -1,
    firstPositions: new Map(),
  };
}

const PLACED_ON_TIME = 0;
const PLACED_LATE = 1;
const PLACED_DROPPED = 2;
const GRANULARITY_RANK: Record<Granularity, number> = { minute: 0, hour: 1, day: 2, week: 3, month: 4, year: 5 };

function compareResults(a: WindowResult, b: WindowResult): number {
  return a.end - b.end || GRANULARITY_RANK[a.window] - GRANULARITY_RANK[b.window] || a.start - b.start;
}

/**
 * The result with its counter's bytes, serialized when `state` is first
 * read: a consumer that keeps only the latest of a window's results (the
 * service coalesces revisions) serializes only those it sends. Read before
 * more frames are counted, the state is the counter as of the result;
 * later, it may hold frames counted since (counters only grow), never fewer.
 */
function withLazyState(result: WindowResult, counter: DistinctCounter): WindowResult & { readonly state: Uint8Array } {
  let bytes: Uint8Array | undefined;
  return Object.defineProperty({ ...result }, 'state', {
    enumerable: true,
    get: () => (bytes ??= counter.serialize()),
  }) as WindowResult & { readonly state: Uint8Array };
}

function roundError(error: number): number {
  return Math.round(error * 1e6) / 1e6;
}

interface EngineState {
  readonly config: ReturnType<typeof configOf>;
  /** The settings nextFireAt was planned with (absent in older checkpoints: planned afresh). */
  readonly plan?: Pick<EngineOptions, 'allowedLateness' | 'revisionInterval' | 'earlyEvery' | 'emit'>;
  readonly watermark: number;
  readonly nextFireAt: number;
  readonly nextEarlyAt: number;
  readonly stats: {
    readonly counted: number;
    readonly late: number;
    readonly lateDropped: number;
    readonly corruptTs: number;
    readonly resultsEmitted: number;
    readonly malformed: readonly [string, number][];
  };
  readonly partitions: readonly {
    readonly id: number;
    readonly maxTs: number;
    readonly clockTs?: number;
    readonly hasData: boolean;
    readonly idle: boolean;
    readonly next: number;
    readonly origin: string;
    readonly guard: TsGuardSnapshot<HeldFrame>;
  }[];
  readonly windows: readonly {
    readonly granularity: Granularity;
    readonly start: number;
    readonly end: number;
    readonly frames: number;
    readonly revision: number;
    readonly fired: boolean;
    readonly changed: boolean;
    readonly lastEmitWatermark: number;
    readonly firstPositions: readonly [number, number][];
    readonly counter: Uint8Array;
  }[];
}

function configOf(options: EngineOptions): {
  windows: readonly Granularity[];
  timeZone: string;
  method: string;
  hllPrecision: number;
  aggregation: string;
} {
  return {
    windows: options.windows,
    timeZone: options.timeZone,
    method: options.method,
    hllPrecision: options.hllPrecision,
    aggregation: options.aggregation,
  };
}
