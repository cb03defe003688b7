import { CoreError } from './errors.js';
import type { Granularity } from './types.js';

/**
 * Window boundaries of every granularity, in UTC or in an IANA time zone.
 * Minutes are always UTC minutes (every zone in use today is offset by whole
 * minutes). Hours, days, ISO weeks (starting Monday), months and years follow
 * the zone's local clock, so a day in Europe/Zurich is 23 or 25 hours long on
 * the days its clocks change.
 */
export interface Calendar {
  readonly timeZone: string;
  /** Start (unix seconds, inclusive) of the `granularity` window holding `ts`. */
  start(granularity: Granularity, ts: number): number;
  /** End (exclusive) of the window that starts at `start`. */
  end(granularity: Granularity, start: number): number;
}

const SECONDS_PER_MINUTE = 60;
const SECONDS_PER_HOUR = 3600;
const SECONDS_PER_DAY = 86_400;
const DAYS_PER_WEEK = 7;
// 1970-01-01 was a Thursday; shifting by 3 makes Monday weekday 0.
const EPOCH_WEEKDAY_SHIFT = 3;
const MS_PER_SECOND = 1000;

export function createCalendar(timeZone = 'UTC'): Calendar {
  const canonical = canonicalZone(timeZone);
  return canonical === 'UTC' ? new UtcCalendar() : new ZonedCalendar(canonical);
}

function canonicalZone(timeZone: string): string {
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch (cause) {
    throw new CoreError(
      'BAD_OPTION',
      `unknown time zone ${timeZone}: expected an IANA name such as UTC or Europe/Zurich`,
      { cause },
    );
  }
  return resolved === 'Etc/UTC' || resolved === 'Etc/GMT' || resolved === 'GMT' ? 'UTC' : resolved;
}

function floorTo(ts: number, size: number): number {
  return ts - (((ts % size) + size) % size);
}

class UtcCalendar implements Calendar {
  readonly timeZone = 'UTC';

  start(granularity: Granularity, ts: number): number {
    switch (granularity) {
      case 'minute':
        return floorTo(ts, SECONDS_PER_MINUTE);
      case 'hour':
        return floorTo(ts, SECONDS_PER_HOUR);
      case 'day':
        return floorTo(ts, SECONDS_PER_DAY);
      case 'week': {
        const day = Math.floor(ts / SECONDS_PER_DAY);
        const weekday = (((day + EPOCH_WEEKDAY_SHIFT) % DAYS_PER_WEEK) + DAYS_PER_WEEK) % DAYS_PER_WEEK;
        return (day - weekday) * SECONDS_PER_DAY;
      }
      case 'month': {
        const date = new Date(ts * MS_PER_SECOND);
        return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / MS_PER_SECOND;
      }
      case 'year':
        return Date.UTC(new Date(ts * MS_PER_SECOND).getUTCFullYear(), 0, 1) / MS_PER_SECOND;
    }
  }

  end(granularity: Granularity, start: number): number {
    switch (granularity) {
      case 'minute':
        return start + SECONDS_PER_MINUTE;
      case 'hour':
        return start + SECONDS_PER_HOUR;
      case 'day':
        return start + SECONDS_PER_DAY;
      case 'week':
        return start + DAYS_PER_WEEK * SECONDS_PER_DAY;
      case 'month': {
        const date = new Date(start * MS_PER_SECOND);
        return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) / MS_PER_SECOND;
      }
      case 'year':
        return Date.UTC(new Date(start * MS_PER_SECOND).getUTCFullYear() + 1, 0, 1) / MS_PER_SECOND;
    }
  }
}

interface LocalDate {
  readonly year: number;
  /** 1-12 */
  readonly month: number;
  readonly day: number;
}

/**
 * Local calendar arithmetic through Intl, which knows every zone's rules.
 * Intl is slow (microseconds), so callers cache the window they are in; the
 * engine does, and this class keeps the last offsets it computed.
 */
class ZonedCalendar implements Calendar {
  private readonly format: Intl.DateTimeFormat;
  private readonly offsetCache = new Map<number, number>();

  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  start(granularity: Granularity, ts: number): number {
    switch (granularity) {
      case 'minute':
        return floorTo(ts, SECONDS_PER_MINUTE);
      case 'hour': {
        const offset = this.offset(ts);
        return ts - ((((ts + offset) % SECONDS_PER_HOUR) + SECONDS_PER_HOUR) % SECONDS_PER_HOUR);
      }
      case 'day':
        return this.midnight(this.localDate(ts));
      case 'week': {
        const local = this.localDate(ts);
        const weekday = (new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay() + 6) % DAYS_PER_WEEK;
        return this.midnight(addDays(local, -weekday));
      }
      case 'month': {
        const local = this.localDate(ts);
        return this.midnight({ year: local.year, month: local.month, day: 1 });
      }
      case 'year':
        return this.midnight({ year: this.localDate(ts).year, month: 1, day: 1 });
    }
  }

  end(granularity: Granularity, start: number): number {
    switch (granularity) {
      case 'minute':
        return start + SECONDS_PER_MINUTE;
      case 'hour':
        return start + SECONDS_PER_HOUR;
      case 'day':
        return this.midnight(addDays(this.localDate(start), 1));
      case 'week':
        return this.midnight(addDays(this.localDate(start), DAYS_PER_WEEK));
      case 'month': {
        const local = this.localDate(start);
        return this.midnight(
          local.month === 12
            ? { year: local.year + 1, month: 1, day: 1 }
            : { year: local.year, month: local.month + 1, day: 1 },
        );
      }
      case 'year':
        return this.midnight({ year: this.localDate(start).year + 1, month: 1, day: 1 });
    }
  }

  /** Seconds to add to UTC to get local wall-clock time at `ts`. */
  offset(ts: number): number {
    // Offsets change at most a few times a year, and never between two
    // instants of the same UTC quarter hour in any zone in use: cache by it.
    const key = Math.floor(ts / (15 * SECONDS_PER_MINUTE));
    const cached = this.offsetCache.get(key);
    if (cached !== undefined) return cached;
    const parts = this.fields(ts);
    const localAsUtc =
      Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) / MS_PER_SECOND;
    const offset = localAsUtc - ts;
    if (this.offsetCache.size > 4096) this.offsetCache.clear();
    this.offsetCache.set(key, offset);
    return offset;
  }

  private localDate(ts: number): LocalDate {
    const local = new Date((ts + this.offset(ts)) * MS_PER_SECOND);
    return { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate() };
  }

  /** The first instant of a local date (usually 00:00; later if a clock change skips midnight). */
  private midnight(date: LocalDate): number {
    const wall = Date.UTC(date.year, date.month - 1, date.day) / MS_PER_SECOND;
    // The offset at local midnight is the offset at (wall - offset); two
    // rounds settle it, as offsets change by far less than a day.
    let guess = wall - this.offset(wall);
    guess = wall - this.offset(guess);
    if (this.sameDate(guess, date)) {
      // A backward change near midnight can make an earlier instant the same date.
      const earlier = wall - this.offset(guess - SECONDS_PER_HOUR);
      return earlier < guess && this.sameDate(earlier, date) ? earlier : guess;
    }
    // Midnight does not exist (the clock jumped past it): the day starts at the jump.
    return this.firstInstantOf(date, guess - 3 * SECONDS_PER_HOUR, guess + 3 * SECONDS_PER_HOUR);
  }

  private sameDate(ts: number, date: LocalDate): boolean {
    const local = this.localDate(ts);
    return local.year === date.year && local.month === date.month && local.day === date.day;
  }

  private firstInstantOf(date: LocalDate, low: number, high: number): number {
    const target = Date.UTC(date.year, date.month - 1, date.day);
    let lo = low;
    let hi = high;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      const local = this.localDate(mid);
      if (Date.UTC(local.year, local.month - 1, local.day) >= target) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  private fields(ts: number): {
    year: number;
    month: number;
    day: number;
    hour: number;
    minute: number;
    second: number;
  } {
    const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
    for (const part of this.format.formatToParts(new Date(ts * MS_PER_SECOND))) {
      switch (part.type) {
        case 'year':
          out.year = Number(part.value);
          break;
        case 'month':
          out.month = Number(part.value);
          break;
        case 'day':
          out.day = Number(part.value);
          break;
        case 'hour':
          out.hour = Number(part.value);
          break;
        case 'minute':
          out.minute = Number(part.value);
          break;
        case 'second':
          out.second = Number(part.value);
          break;
        default:
          break;
      }
    }
    return out;
  }
}

function addDays(date: LocalDate, days: number): LocalDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}
