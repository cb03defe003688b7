import { createCalendar, type Calendar } from './calendar.js';
import { createCounter, deserializeCounter, type DistinctCounter } from './counters/index.js';
import { CoreError } from './errors.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot.js';
import { methodFor, resolveEngineOptions, type EngineOptions } from './options.js';
import { TsGuard, type Held, type TsGuardSnapshot } from './ts-guard.js';
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
export class CountingEngine {
  readonly options: EngineOptions;
  readonly calendar: Calendar;
  readonly stats = new EngineStats();
  /** The effective watermark: windows ending at or before it have been emitted. */
  watermark = Number.NEGATIVE_INFINITY;

  private readonly stores: WindowStore[];
  private readonly partitions = new Map<number, PartitionCounter>();
  private readonly partitionList: PartitionCounter[] = [];
  private nextFireAt = Number.POSITIVE_INFINITY;
  private nextEarlyAt = Number.NEGATIVE_INFINITY;
  private results: WindowResult[] = [];
  private deadLetters: DeadLetter[] = [];

  constructor(options: Partial<EngineOptions> = {}) {
    this.options = resolveEngineOptions(options);
    this.calendar = createCalendar(this.options.timeZone);
    this.stores = this.options.windows.map((g, rank) => new WindowStore(g, rank, methodFor(this.options.method, g)));
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
      for (const window of store.windows.values()) out.push(this.resultOf(store, window, true));
      store.windows.clear();
      store.a = null;
      store.b = null;
    }
    this.pushResults(out);
    this.nextFireAt = Number.POSITIVE_INFINITY;
  }

  /**
   * Stopping without the end of input (a signal): a non-final result of every
   * open window that changed since its last result. State is kept.
   */
  flushOpen(): void {
    if (this.options.emit !== 'updates') return;
    const out: WindowResult[] = [];
    for (const store of this.stores) {
      for (const window of store.windows.values()) {
        if (!window.changed) continue;
        out.push(this.resultOf(store, window, false));
        window.changed = false;
      }
    }
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
    const coarsest = this.stores[this.stores.length - 1]!;
    for (const part of this.partitionList) {
      let safe = part.next;
      for (const held of part.guard.held) safe = Math.min(safe, held.item.position);
      for (const window of coarsest.windows.values()) {
        const first = window.firstPositions.get(part.id);
        if (first !== undefined) safe = Math.min(safe, first);
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
   * An engine with the state of `snapshot`. Windows, time zone, method and
   * precision must match the options the snapshot was taken with; delays and
   * lateness may change and apply from here on.
   */
  static restore(snapshot: Uint8Array, options: Partial<EngineOptions> = {}): CountingEngine {
    const engine = new CountingEngine(options);
    const state = decodeSnapshot(snapshot) as EngineState;
    if (state === null || typeof state !== 'object' || !Array.isArray(state.windows) || !Array.isArray(state.partitions)) {
      throw new CoreError('BAD_CHECKPOINT', 'checkpoint does not hold engine state');
    }
    const was = state.config;
    const now = configOf(engine.options);
    for (const key of ['windows', 'timeZone', 'method', 'hllPrecision'] as const) {
      if (JSON.stringify(was[key]) !== JSON.stringify(now[key])) {
        throw new CoreError('BAD_CHECKPOINT', `the checkpoint was written with ${key} ${JSON.stringify(was[key])}, this run has ${JSON.stringify(now[key])}: use the same, or start without the checkpoint`);
      }
    }
    engine.watermark = state.watermark;
    engine.nextFireAt = state.nextFireAt;
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
      part.hasData = saved.hasData;
      part.idle = saved.idle;
      part.next = saved.next;
      part.origin = saved.origin;
      part.guard.restore(saved.guard);
    }
    for (const saved of state.windows) {
      const store = engine.stores.find((s) => s.granularity === saved.granularity);
      if (store === undefined) throw new CoreError('BAD_CHECKPOINT', `checkpoint has a ${saved.granularity} window this run does not count`);
      store.windows.set(saved.start, {
        start: saved.start,
        end: saved.end,
        finalAt: saved.end + engine.options.allowedLateness,
        counter: deserializeCounter(saved.counter),
        frames: saved.frames,
        revision: saved.revision,
        fired: saved.fired,
        changed: saved.changed,
        lastEmitWatermark: saved.lastEmitWatermark,
        lastPartition: -1,
        firstPositions: new Map(saved.firstPositions),
      });
    }
    // Lateness may differ from the saved run's: plan the next emission afresh.
    engine.nextFireAt = Number.NEGATIVE_INFINITY;
    if (Number.isFinite(engine.watermark)) engine.fire();
    else engine.nextFireAt = Number.POSITIVE_INFINITY;
    return engine;
  }

  /** @internal called by PartitionCounter when its max ts rose. */
  recomputeWatermark(): void {
    let min = Number.POSITIVE_INFINITY;
    for (const part of this.partitionList) {
      if (part.hasData && !part.idle && part.maxTs < min) min = part.maxTs;
    }
    if (min === Number.POSITIVE_INFINITY) return;
    const candidate = min - this.options.maxDelay;
    // The watermark never goes back: emitted results cannot be taken back.
    if (candidate > this.watermark) {
      this.watermark = candidate;
      if (candidate >= this.nextFireAt) this.fire();
    }
  }

  /** @internal the hot path: counts one accepted frame in every granularity. */
  place(part: PartitionCounter, hi: number, lo: number, ts: number, position: number, frame: Uint8Array | null): void {
    const watermark = this.watermark;
    const stores = this.stores;
    const last = stores.length - 1;
    let finest = PLACED_ON_TIME;
    for (let i = 0; i <= last; i++) {
      const store = stores[i]!;
      // Frames mostly fall in the window of the frame before, or, around a
      // boundary, the one before that: two cached windows skip the map.
      let window = store.a;
      if (window === null || ts < window.start || ts >= window.end) {
        window = store.b;
        if (window !== null && ts >= window.start && ts < window.end) {
          store.b = store.a;
          store.a = window;
        } else {
          window = this.findOrCreate(store, ts, watermark);
          if (window === null) {
            if (i === 0) finest = PLACED_DROPPED;
            continue;
          }
          store.b = store.a;
          store.a = window;
        }
      }
      window.counter.add(hi, lo);
      window.frames++;
      if (window.fired) {
        if (i === 0) finest = PLACED_LATE;
        if (!window.changed) {
          window.changed = true;
          const due = window.lastEmitWatermark + this.options.revisionInterval;
          if (due < this.nextFireAt) this.nextFireAt = due;
        }
      } else {
        window.changed = true;
      }
      if (i === last && window.lastPartition !== part.id) {
        window.lastPartition = part.id;
        if (!window.firstPositions.has(part.id)) window.firstPositions.set(part.id, position);
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
        this.deadLetters.push({ reason: 'late', detail: `behind ${this.stores[0]!.granularity} window by more than the allowed lateness`, origin: part.origin, partition: part.id, position, ts, frame: frame.slice() });
      }
    }
  }

  /** @internal */
  rejectCorrupt(part: PartitionCounter, held: Held<HeldFrame>): void {
    this.stats.corruptTs++;
    if (this.options.deadLetters) {
      this.deadLetters.push({ reason: 'corrupt-ts', detail: `ts ${held.ts} far ahead of event time ${part.guard.maxTs} and not confirmed by later frames`, origin: held.item.origin, partition: part.id, position: held.item.position, ts: held.ts, frame: held.item.frame });
    }
  }

  private findOrCreate(store: WindowStore, ts: number, watermark: number): WindowState | null {
    const start = this.calendar.start(store.granularity, ts);
    const existing = store.windows.get(start);
    if (existing !== undefined) return existing;
    const end = this.calendar.end(store.granularity, start);
    const finalAt = end + this.options.allowedLateness;
    if (finalAt <= watermark) return null;
    const lateBorn = end <= watermark;
    const window: WindowState = {
      start,
      end,
      finalAt,
      counter: createCounter(store.method, this.options.hllPrecision),
      frames: 0,
      revision: 0,
      fired: lateBorn,
      changed: true,
      // A window born late is emitted at the next revision tick, like an update.
      lastEmitWatermark: watermark,
      lastPartition: -1,
      firstPositions: new Map(),
    };
    store.windows.set(start, window);
    let due = lateBorn ? watermark + this.options.revisionInterval : end;
    const earlyEvery = this.options.earlyEvery;
    if (earlyEvery > 0 && !lateBorn) {
      if (this.nextEarlyAt === Number.NEGATIVE_INFINITY) this.nextEarlyAt = (Math.floor(watermark / earlyEvery) + 1) * earlyEvery;
      if (this.nextEarlyAt < due) due = this.nextEarlyAt;
    }
    if (due < this.nextFireAt) this.nextFireAt = due;
    return window;
  }

  /** Emits what the watermark makes due, frees final windows, plans the next call. */
  private fire(): void {
    const watermark = this.watermark;
    const { emit, earlyEvery, revisionInterval } = this.options;
    const updates = emit === 'updates';
    const early = updates && earlyEvery > 0 && watermark >= this.nextEarlyAt;
    let next = Number.POSITIVE_INFINITY;
    let anyOpen = false;
    const out: WindowResult[] = [];
    for (const store of this.stores) {
      for (const window of store.windows.values()) {
        if (watermark >= window.finalAt) {
          out.push(this.resultOf(store, window, true));
          this.free(store, window);
          continue;
        }
        if (!window.fired) {
          if (watermark >= window.end) {
            window.fired = true;
            if (updates) out.push(this.resultOf(store, window, false));
            window.changed = false;
            window.lastEmitWatermark = watermark;
          } else {
            anyOpen = true;
            if (early && window.changed) {
              out.push(this.resultOf(store, window, false));
              window.changed = false;
            }
            if (window.end < next) next = window.end;
            continue;
          }
        } else if (window.changed && updates && watermark >= window.lastEmitWatermark + revisionInterval) {
          out.push(this.resultOf(store, window, false));
          window.changed = false;
          window.lastEmitWatermark = watermark;
        }
        if (window.finalAt < next) next = window.finalAt;
        if (window.changed && updates && window.lastEmitWatermark + revisionInterval < next) next = window.lastEmitWatermark + revisionInterval;
      }
    }
    if (early) this.nextEarlyAt = (Math.floor(watermark / earlyEvery) + 1) * earlyEvery;
    if (updates && earlyEvery > 0 && anyOpen && this.nextEarlyAt < next) next = this.nextEarlyAt;
    this.nextFireAt = next;
    this.pushResults(out);
  }

  private pushResults(out: WindowResult[]): void {
    if (out.length === 0) return;
    out.sort(compareResults);
    this.stats.resultsEmitted += out.length;
    for (const result of out) this.results.push(result);
  }

  private resultOf(store: WindowStore, window: WindowState, final: boolean): WindowResult {
    const revision = this.options.emit === 'final' ? 0 : window.revision++;
    const counter = window.counter;
    const base = {
      window: store.granularity,
      start: window.start,
      end: window.end,
      users: Math.round(counter.count()),
      frames: window.frames,
      revision,
      final,
      method: counter.method,
    };
    return counter.method === 'hll' ? { ...base, error: roundError(counter.relativeError()) } : base;
  }

  private free(store: WindowStore, window: WindowState): void {
    store.windows.delete(window.start);
    if (store.a === window) store.a = null;
    if (store.b === window) store.b = null;
  }
}

const PLACED_ON_TIME = 0;
const PLACED_LATE = 1;
const PLACED_DROPPED = 2;
const GRANULARITY_RANK: Record<Granularity, number> = { minute: 0, hour: 1, day: 2, week: 3, month: 4, year: 5 };

function compareResults(a: WindowResult, b: WindowResult): number {
  return a.end - b.end || GRANULARITY_RANK[a.window] - GRANULARITY_RANK[b.window] || a.start - b.start;
}

function roundError(error: number): number {
  return Math.round(error * 1e6) / 1e6;
}

/** What the guard keeps of a frame whose ts is in doubt. */
export interface HeldFrame {
  readonly hi: number;
  readonly lo: number;
  readonly position: number;
  readonly origin: string;
  /** A copy, since the source's buffers are reused or released. */
  readonly frame: Uint8Array;
}

/** One input partition's side of the engine: its guard, max ts and position. */
export class PartitionCounter {
  readonly guard: TsGuard<HeldFrame>;
  maxTs = Number.NEGATIVE_INFINITY;
  hasData = false;
  idle = false;
  /** Position to resume from after everything handed in so far. */
  next = Number.POSITIVE_INFINITY;
  /** Name of the input the current batch came from. */
  origin = '';

  constructor(
    private readonly engine: CountingEngine,
    readonly id: number,
  ) {
    const o = engine.options;
    this.guard = new TsGuard<HeldFrame>({
      maxFutureSkew: o.maxFutureSkew,
      confirmations: o.confirmations,
      patience: o.patience,
      bootstrapFrames: o.bootstrapFrames,
      maxHeld: o.maxHeld,
    });
  }

  /** Counts one decoded frame. `frame` is only read if it must be kept or reported. */
  add(hi: number, lo: number, ts: number, position: number, frame: Uint8Array): void {
    const guard = this.guard;
    if (guard.admit(ts)) {
      this.advance(guard.maxTs);
      this.engine.place(this, hi, lo, ts, position, frame);
      if (guard.rejected.length > 0) this.drainGuard();
      return;
    }
    guard.hold(ts, { hi, lo, position, origin: this.origin, frame: frame.slice() });
    this.drainGuard();
  }

  /** @internal counts what the guard released and reports what it rejected. */
  drainGuard(): void {
    const guard = this.guard;
    if (guard.rejected.length > 0) {
      for (const held of guard.rejected) this.engine.rejectCorrupt(this, held);
      guard.rejected.length = 0;
    }
    if (guard.released.length > 0) {
      // Released frames go through in arrival order, each moving event time
      // as it would have had it been admitted at once.
      const released = guard.released.splice(0);
      for (const held of released) {
        this.advance(held.ts);
        this.engine.place(this, held.item.hi, held.item.lo, held.ts, held.item.position, held.item.frame);
      }
    }
  }

  private advance(maxTs: number): void {
    if (maxTs <= this.maxTs) return;
    this.maxTs = maxTs;
    this.hasData = true;
    this.engine.recomputeWatermark();
  }
}

interface EngineState {
  readonly config: ReturnType<typeof configOf>;
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

function configOf(options: EngineOptions): { windows: readonly Granularity[]; timeZone: string; method: string; hllPrecision: number } {
  return { windows: options.windows, timeZone: options.timeZone, method: options.method, hllPrecision: options.hllPrecision };
}

interface WindowState {
  readonly start: number;
  readonly end: number;
  /** end + allowed lateness: when the window is final and freed. */
  readonly finalAt: number;
  readonly counter: DistinctCounter;
  frames: number;
  /** Revision number of the next result. */
  revision: number;
  /** Its on-time result (or its first, for a window born late) is out. */
  fired: boolean;
  /** Counted frames since its last result. */
  changed: boolean;
  lastEmitWatermark: number;
  /** Commit safety, kept on the coarsest granularity only. */
  lastPartition: number;
  readonly firstPositions: Map<number, number>;
}

class WindowStore {
  readonly windows = new Map<number, WindowState>();
  /** Most recently used window. */
  a: WindowState | null = null;
  /** The one used before it. */
  b: WindowState | null = null;

  constructor(
    readonly granularity: Granularity,
    readonly rank: number,
    readonly method: 'exact' | 'hll',
  ) {}
}

/** Running totals; frames = counted + lateDropped + corruptTs + malformed + held. */
export class EngineStats {
  /** Valid frames counted in their finest window (on time or as a late update). */
  counted = 0;
  /** Frames that arrived after their finest window's first result (updated or dropped). */
  late = 0;
  /** Frames too late even for the allowed lateness of their finest window. */
  lateDropped = 0;
  /** Frames whose ts was far ahead and never confirmed. */
  corruptTs = 0;
  resultsEmitted = 0;
  readonly malformed = new Map<string, number>();

  get malformedTotal(): number {
    let total = 0;
    for (const n of this.malformed.values()) total += n;
    return total;
  }

  addMalformed(kind: string): void {
    this.malformed.set(kind, (this.malformed.get(kind) ?? 0) + 1);
  }
}
