import { DAMAGE_KINDS, type DamageKind, type DisorderKind } from './damage.js';
import { GeneratorError } from './errors.js';
import { UserSet } from './user-set.js';
import { Calendar, GRANULARITIES, type Granularity } from './windows.js';

/** What the ground truth needs to know of a frame (a GeneratedFrame has all of it). */
export interface TruthFrame {
  /** True event time, unix seconds. */
  readonly ts: number;
  /** User index; distinct indices are distinct uids. */
  readonly user: number;
  readonly damage: DamageKind | null;
  readonly disorder: DisorderKind | null;
}

/** The exact count of one window. Start inclusive, end exclusive, unix seconds. */
export interface TruthWindow {
  readonly type: 'window';
  readonly window: Granularity;
  readonly start: number;
  readonly end: number;
  /** Distinct root uids among the valid frames whose ts falls in the window. */
  readonly users: number;
  /** Valid frames whose ts falls in the window. */
  readonly frames: number;
}

/** Totals over the whole stream. */
export interface TruthSummary {
  readonly type: 'summary';
  /** Frames made, damaged or not. */
  readonly frames: number;
  /** Frames that count: no damage of any kind. */
  readonly valid: number;
  /** Frames made with each kind of damage. */
  readonly damage: Readonly<Record<DamageKind, number>>;
  /** Frames delayed 1..maxDelay s, and beyond maxDelay (damaged ones included). */
  readonly late: number;
  readonly tail: number;
  /** Distinct users among valid frames. */
  readonly users: number;
  /** Smallest and largest ts of a valid frame, or null when there is none. */
  readonly firstTs: number | null;
  readonly lastTs: number | null;
  /** Windows reported so far. */
  readonly windows: number;
  readonly tz: string;
}

export type TruthRecord = TruthWindow | TruthSummary;

export interface GroundTruthOptions {
  /** IANA zone for hour..year windows. Default UTC. */
  readonly tz?: string;
  /** Size of the user pool, if known: lets big windows use a bitset instead of a Set. */
  readonly users?: number;
  /** Which windows to count. Default all. */
  readonly granularities?: readonly Granularity[];
}

interface OpenWindow {
  readonly start: number;
  readonly end: number;
  readonly users: UserSet;
  frames: number;
}

/**
 * Exact distinct users of every window, over valid frames only. Memory stays
 * bounded on long streams: the feeder calls finalizeBefore(t) once no frame
 * with ts < t can come any more, which turns those windows into records and
 * frees their user sets; drain() hands the records out.
 */
export class GroundTruth {
  readonly tz: string;
  private readonly calendar: Calendar;
  private readonly granularities: readonly Granularity[];
  private readonly capacity: number;
  private readonly open: Map<number, OpenWindow>[];
  /** Per granularity, the window the last frame went to: consecutive frames mostly share it. */
  private readonly current: (OpenWindow | null)[];
  private readonly everyone: UserSet;
  private ready: TruthWindow[] = [];
  private closedBefore = Number.NEGATIVE_INFINITY;
  private made = 0;
  private valid = 0;
  private late = 0;
  private tail = 0;
  private reported = 0;
  private firstTs: number | null = null;
  private lastTs: number | null = null;
  private readonly damage: Record<DamageKind, number>;

  constructor(options: GroundTruthOptions = {}) {
    this.calendar = new Calendar(options.tz ?? 'UTC');
    this.tz = this.calendar.tz;
    this.granularities = options.granularities ?? GRANULARITIES;
    this.capacity = options.users ?? 0;
    this.open = this.granularities.map(() => new Map());
    this.current = this.granularities.map(() => null);
    this.everyone = new UserSet(this.capacity);
    this.damage = Object.fromEntries(DAMAGE_KINDS.map((k) => [k, 0])) as Record<DamageKind, number>;
  }

  /** Counts one frame. Throws BAD_STATE if its window was already finalized. */
  observe(frame: TruthFrame): void {
    if (frame.damage === null && frame.ts < this.closedBefore) this.refuseIfClosed(frame.ts);
    this.made++;
    if (frame.disorder === 'late') this.late++;
    else if (frame.disorder === 'tail') this.tail++;
    if (frame.damage !== null) {
      this.damage[frame.damage]++;
      return;
    }
    this.valid++;
    const ts = frame.ts;
    if (this.firstTs === null || ts < this.firstTs) this.firstTs = ts;
    if (this.lastTs === null || ts > this.lastTs) this.lastTs = ts;
    this.everyone.add(frame.user);
    for (let i = 0; i < this.granularities.length; i++) {
      let w = this.current[i]!;
      if (w === null || ts < w.start || ts >= w.end) {
        w = this.windowAt(i, ts);
        this.current[i] = w;
      }
      w.users.add(frame.user);
      w.frames++;
    }
  }

  /** Throws, before anything is counted, if a window of `ts` is already final. */
  private refuseIfClosed(ts: number): void {
    for (const g of this.granularities) {
      if (this.calendar.bounds(ts, g).end <= this.closedBefore) {
        throw new GeneratorError('BAD_STATE', `a frame at ts ${ts} came after its ${g} window was finalized`);
      }
    }
  }

  private windowAt(index: number, ts: number): OpenWindow {
    const bounds = this.calendar.bounds(ts, this.granularities[index]!);
    const open = this.open[index]!;
    let w = open.get(bounds.start);
    if (w === undefined) {
      w = { start: bounds.start, end: bounds.end, users: new UserSet(this.capacity), frames: 0 };
      open.set(bounds.start, w);
    }
    return w;
  }

  /** Finalizes every window that ends at or before `ts`: the caller promises no more frames with ts < `ts`. */
  finalizeBefore(ts: number): void {
    if (ts <= this.closedBefore) return;
    this.closedBefore = ts;
    for (let i = 0; i < this.granularities.length; i++) {
      const open = this.open[i]!;
      const done: OpenWindow[] = [];
      for (const w of open.values()) if (w.end <= ts) done.push(w);
      if (done.length === 0) continue;
      done.sort((a, b) => a.start - b.start);
      const window = this.granularities[i]!;
      for (const w of done) {
        open.delete(w.start);
        if (this.current[i] === w) this.current[i] = null;
        this.ready.push({ type: 'window', window, start: w.start, end: w.end, users: w.users.size, frames: w.frames });
        this.reported++;
      }
    }
  }

  /** Finalizes every window: the stream has ended. */
  finish(): void {
    this.finalizeBefore(Number.POSITIVE_INFINITY);
  }

  /** Hands out (and forgets) the windows finalized so far, finest granularity first within each finalization. */
  *drain(): Generator<TruthWindow, void, undefined> {
    while (this.ready.length > 0) {
      const batch = this.ready;
      this.ready = [];
      yield* batch;
    }
  }

  /** Windows still open, across all granularities (bounded on a long stream). */
  get openWindows(): number {
    let n = 0;
    for (const open of this.open) n += open.size;
    return n;
  }

  summary(): TruthSummary {
    return {
      type: 'summary',
      frames: this.made,
      valid: this.valid,
      damage: { ...this.damage },
      late: this.late,
      tail: this.tail,
      users: this.everyone.size,
      firstTs: this.firstTs,
      lastTs: this.lastTs,
      windows: this.reported,
      tz: this.tz,
    };
  }
}

/** One JSONL line (with its `\n`) for a truth record. */
export function formatTruthRecord(record: TruthRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/** Reads one line of a truth file back; throws BAD_STATE on anything else. */
export function parseTruthRecord(line: string): TruthRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (cause) {
    throw new GeneratorError('BAD_STATE', 'not a truth record: invalid JSON', { cause });
  }
  if (typeof value === 'object' && value !== null && 'type' in value) {
    if (value.type === 'window' && 'window' in value && GRANULARITIES.includes(value.window as Granularity))
      return value as TruthWindow;
    if (value.type === 'summary') return value as TruthSummary;
  }
  throw new GeneratorError('BAD_STATE', 'not a truth record: expected type "window" or "summary"');
}
