import { GeneratorError } from './errors.js';
import { checkTimeZone } from './options.js';

/** Window granularities, finest first (the same names as core's). */
export const GRANULARITIES = ['minute', 'hour', 'day', 'week', 'month', 'year'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** A window: start inclusive, end exclusive, unix seconds. */
export interface WindowBounds {
  readonly start: number;
  readonly end: number;
}

const SECONDS_PER_MINUTE = 60;
const SECONDS_PER_HOUR = 3600;
const SECONDS_PER_DAY = 86_400;
const DAYS_PER_WEEK = 7;
const MS_PER_SECOND = 1000;
/** 1970-01-01 was a Thursday: days since the epoch plus 3 give days since a Monday. */
const EPOCH_DAYS_AFTER_MONDAY = 3;
/** Local time is within this of UTC in every zone (offsets span -12 h .. +14 h). */
const MAX_ZONE_OFFSET_SECONDS = 15 * SECONDS_PER_HOUR;
/** Recent windows remembered per granularity; late frames mostly land in one of them. */
const RECENT_WINDOWS = 8;

interface LocalTime {
  readonly year: number;
  readonly month: number; // 1..12
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

/**
 * Finds the window of each granularity that contains a ts. Minute windows are
 * always UTC minutes; hour, day, week (ISO, from Monday), month and year
 * follow the wall clock of `tz`, so across a DST change a day lasts 23 or 25
 * hours and the repeated hour of autumn is two separate hour windows.
 */
export class Calendar {
  readonly tz: string;
  private readonly utc: boolean;
  private readonly format: Intl.DateTimeFormat | null;
  private readonly recent: WindowBounds[][] = GRANULARITIES.map(() => []);

  constructor(tz = 'UTC') {
    this.tz = checkTimeZone(tz);
    this.utc = this.tz === 'UTC' || this.tz === 'Etc/UTC';
    this.format = this.utc
      ? null
      : new Intl.DateTimeFormat('en-US', {
          timeZone: this.tz,
          hourCycle: 'h23',
          year: 'numeric',
          month: 'numeric',
          day: 'numeric',
          hour: 'numeric',
          minute: 'numeric',
          second: 'numeric',
        });
  }

  /** The window of `granularity` containing `ts`. */
  bounds(ts: number, granularity: Granularity): WindowBounds {
    const index = GRANULARITIES.indexOf(granularity);
    const recent = this.recent[index]!;
    for (const w of recent) if (ts >= w.start && ts < w.end) return w;
    const w = this.compute(ts, granularity);
    recent.unshift(w);
    if (recent.length > RECENT_WINDOWS) recent.pop();
    return w;
  }

  private compute(ts: number, granularity: Granularity): WindowBounds {
    if (granularity === 'minute') return floorTo(ts, SECONDS_PER_MINUTE);
    if (this.utc) {
      switch (granularity) {
        case 'hour':
          return floorTo(ts, SECONDS_PER_HOUR);
        case 'day':
          return floorTo(ts, SECONDS_PER_DAY);
        case 'week': {
          const days = Math.floor(ts / SECONDS_PER_DAY);
          const monday = days - ((days + EPOCH_DAYS_AFTER_MONDAY) % DAYS_PER_WEEK);
          return { start: monday * SECONDS_PER_DAY, end: (monday + DAYS_PER_WEEK) * SECONDS_PER_DAY };
        }
        case 'month': {
          const d = new Date(ts * MS_PER_SECOND);
          const y = d.getUTCFullYear();
          const m = d.getUTCMonth();
          return { start: Date.UTC(y, m, 1) / MS_PER_SECOND, end: Date.UTC(y, m + 1, 1) / MS_PER_SECOND };
        }
        case 'year': {
          const y = new Date(ts * MS_PER_SECOND).getUTCFullYear();
          return { start: Date.UTC(y, 0, 1) / MS_PER_SECOND, end: Date.UTC(y + 1, 0, 1) / MS_PER_SECOND };
        }
      }
    }
    const local = this.local(ts);
    switch (granularity) {
      case 'hour': {
        // The last instant the wall clock read HH:00:00; in the repeated autumn hour, the right one of the two.
        // Hours last 3600 s wherever offsets change by whole hours (all zones but Lord Howe Island's half-hour DST).
        const start = ts - local.minute * SECONDS_PER_MINUTE - local.second;
        return { start, end: start + SECONDS_PER_HOUR };
      }
      case 'day':
        return {
          start: this.firstInstant(local.year, local.month, local.day),
          end: this.firstInstant(local.year, local.month, local.day + 1),
        };
      case 'week': {
        const dayOfWeek = new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay();
        const monday = local.day - ((dayOfWeek + DAYS_PER_WEEK - 1) % DAYS_PER_WEEK);
        return {
          start: this.firstInstant(local.year, local.month, monday),
          end: this.firstInstant(local.year, local.month, monday + DAYS_PER_WEEK),
        };
      }
      case 'month':
        return {
          start: this.firstInstant(local.year, local.month, 1),
          end: this.firstInstant(local.year, local.month + 1, 1),
        };
      case 'year':
        return { start: this.firstInstant(local.year, 1, 1), end: this.firstInstant(local.year + 1, 1, 1) };
    }
  }

  /** Wall-clock fields of `ts` in the zone. */
  private local(ts: number): LocalTime {
    const fields = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
    for (const part of this.format!.formatToParts(ts * MS_PER_SECOND)) {
      if (part.type in fields) fields[part.type as keyof typeof fields] = Number(part.value);
    }
    return fields;
  }

  /** The wall clock read as if it were UTC, in seconds: orders local times. */
  private localSeconds(ts: number): number {
    const l = this.local(ts);
    return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second) / MS_PER_SECOND;
  }

  /**
   * The first instant whose local date is `year-month-day` or later (dates
   * may overflow: day 32 is the next month). That is local midnight, or the
   * first instant after it when a DST change skips midnight. Binary search on
   * whole seconds, since the offset at that instant is not known beforehand.
   */
  private firstInstant(year: number, month: number, day: number): number {
    const target = Date.UTC(year, month - 1, day) / MS_PER_SECOND;
    let lo = target - MAX_ZONE_OFFSET_SECONDS; // local time here is before target
    let hi = target + MAX_ZONE_OFFSET_SECONDS; // and here after it
    if (this.localSeconds(lo) >= target || this.localSeconds(hi) < target) {
      throw new GeneratorError('BAD_TIME_ZONE', `time zone ${this.tz} has an offset beyond 15 hours`);
    }
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.localSeconds(mid) >= target) hi = mid;
      else lo = mid;
    }
    return hi;
  }
}

function floorTo(ts: number, size: number): WindowBounds {
  const start = Math.floor(ts / size) * size;
  return { start, end: start + size };
}

/** The window of `granularity` containing `ts` in `tz` (default UTC). For many lookups, keep a Calendar. */
export function windowOf(ts: number, granularity: Granularity, tz = 'UTC'): WindowBounds {
  return new Calendar(tz).bounds(ts, granularity);
}
