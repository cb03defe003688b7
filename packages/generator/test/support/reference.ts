/**
 * Independent references for the tests: a frame classifier written from
 * docs/frames.md with JSON.parse and TextDecoder, and a tiny JSON reader that
 * lists the root object's keys in order (JSON.parse hides order of
 * duplicates and keeps only the last of a repeated key).
 */

export type Classified =
  | { readonly kind: 'valid'; readonly uid: string; readonly ts: number; readonly tsIsString: boolean }
  | {
      readonly kind:
        | 'empty'
        | 'invalid-utf8'
        | 'truncated'
        | 'not-object'
        | 'missing-uid'
        | 'missing-ts'
        | 'invalid-ts';
    };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** What docs/frames.md says a frame is: JSON object, root uid string, root ts integer or digit string. */
export function classify(bytes: Uint8Array): Classified {
  if (bytes.length === 0) return { kind: 'empty' };
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return { kind: 'invalid-utf8' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: text.startsWith('{') ? 'truncated' : 'not-object' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'not-object' };
  const root = value as Record<string, unknown>;
  if (!Object.hasOwn(root, 'uid') || typeof root.uid !== 'string') return { kind: 'missing-uid' };
  if (!Object.hasOwn(root, 'ts')) return { kind: 'missing-ts' };
  const ts = root.ts;
  if (typeof ts === 'number' && Number.isInteger(ts) && ts >= 0)
    return { kind: 'valid', uid: root.uid, ts, tsIsString: false };
  if (typeof ts === 'string' && /^\d+$/.test(ts))
    return { kind: 'valid', uid: root.uid, ts: Number(ts), tsIsString: true };
  return { kind: 'invalid-ts' };
}

/** Keys of the root object of `text`, in order, duplicates kept. Throws on anything that is not a JSON object. */
export function rootKeys(text: string): string[] {
  const reader = new Reader(text);
  const keys = reader.objectKeys();
  reader.end();
  return keys;
}

class Reader {
  private i = 0;
  constructor(private readonly s: string) {}

  end(): void {
    if (this.i !== this.s.length) throw new SyntaxError(`trailing text at ${this.i}`);
  }

  private expect(c: string): void {
    if (this.s[this.i] !== c) throw new SyntaxError(`expected ${c} at ${this.i}`);
    this.i++;
  }

  objectKeys(): string[] {
    const keys: string[] = [];
    this.expect('{');
    if (this.s[this.i] === '}') {
      this.i++;
      return keys;
    }
    for (;;) {
      keys.push(this.string());
      this.expect(':');
      this.value();
      if (this.s[this.i] === ',') {
        this.i++;
        continue;
      }
      this.expect('}');
      return keys;
    }
  }

  private value(): void {
    const c = this.s[this.i];
    if (c === '{') this.objectKeys();
    else if (c === '[') {
      this.i++;
      if (this.s[this.i] === ']') {
        this.i++;
        return;
      }
      for (;;) {
        this.value();
        if (this.s[this.i] === ',') {
          this.i++;
          continue;
        }
        this.expect(']');
        return;
      }
    } else if (c === '"') this.string();
    else {
      const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(this.s.slice(this.i, this.i + 40));
      if (m === null) throw new SyntaxError(`bad value at ${this.i}`);
      this.i += m[0].length;
    }
  }

  private string(): string {
    const start = this.i;
    this.expect('"');
    while (this.s[this.i] !== '"') {
      if (this.i >= this.s.length) throw new SyntaxError('unterminated string');
      this.i += this.s[this.i] === '\\' ? 2 : 1;
    }
    this.i++;
    return JSON.parse(this.s.slice(start, this.i)) as string;
  }
}

/**
 * True when `count` successes in `n` trials is plausible for probability `p`:
 * within 5 standard deviations (a false alarm about once in 3.5 million runs).
 */
export function plausible(count: number, n: number, p: number): boolean {
  const sd = Math.sqrt(n * p * (1 - p));
  return Math.abs(count - n * p) <= 5 * sd + 1;
}

/** UTC window starts computed with Date getters, not the generator's arithmetic. */
export function utcWindowStart(ts: number, window: string): number {
  const d = new Date(ts * 1000);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const day = d.getUTCDate();
  switch (window) {
    case 'minute':
      return Date.UTC(y, m, day, d.getUTCHours(), d.getUTCMinutes()) / 1000;
    case 'hour':
      return Date.UTC(y, m, day, d.getUTCHours()) / 1000;
    case 'day':
      return Date.UTC(y, m, day) / 1000;
    case 'week': {
      const sinceMonday = (d.getUTCDay() + 6) % 7; // getUTCDay: 0 = Sunday
      return Date.UTC(y, m, day - sinceMonday) / 1000;
    }
    case 'month':
      return Date.UTC(y, m, 1) / 1000;
    case 'year':
      return Date.UTC(y, 0, 1) / 1000;
    default:
      throw new Error(`unknown window ${window}`);
  }
}

const H = 3600;

/**
 * Europe/Zurich by its rule, written out independently of Intl: CET (+1),
 * and CEST (+2) from the last Sunday of March 01:00 UTC to the last Sunday
 * of October 01:00 UTC.
 */
function zurichOffset(ts: number): number {
  const year = new Date(ts * 1000).getUTCFullYear();
  const lastSunday = (month: number) => {
    const last = new Date(Date.UTC(year, month, 0)); // day 0 of the next month
    return Date.UTC(year, month - 1, last.getUTCDate() - last.getUTCDay(), 1) / 1000;
  };
  return ts >= lastSunday(3) && ts < lastSunday(10) ? 2 * H : H;
}

/** Zurich window start: walk back to the local boundary by the rule above. */
export function zurichStart(ts: number, g: string): number {
  if (g === 'minute') return ts - (ts % 60);
  const localAsUtc = ts + zurichOffset(ts);
  const localStart = utcWindowStart(localAsUtc, g);
  if (g === 'hour') return ts - (localAsUtc - localStart);
  // Midnight is never skipped or repeated in Zurich: its offset is the one before any change that day.
  let start = localStart - zurichOffset(localStart - H);
  if (zurichOffset(start) !== zurichOffset(localStart - H)) start = localStart - zurichOffset(start);
  return start;
}
