import { GeneratorError } from './errors.js';
import { MAX_USERS } from './users.js';

/** What stream to generate. Only `seed`, `users`, `rate`, `start` and one of `frames`/`duration` are required. */
export interface StreamOptions {
  /** Same seed and options, same bytes. A non-negative safe integer. */
  readonly seed: number;
  /** Size of the user pool; users are drawn from it uniformly or by `zipf`. */
  readonly users: number;
  /** Zipf exponent s > 0: user k (1-based rank) is drawn with weight 1 / k^s. Absent: uniform. */
  readonly zipf?: number;
  /** Frames per second of event time. */
  readonly rate: number;
  /** Event time of the first frame, unix seconds. */
  readonly start: number;
  /** How many frames to make. Give this or `duration`. */
  readonly frames?: number;
  /** Seconds of event time to cover (frames = round(duration * rate)). Give this or `frames`. */
  readonly duration?: number;
  /** Size each frame is filled to; the last member may overshoot it a little. Default 2048. */
  readonly frameBytes?: number;
  /** Fraction of frames whose root ts is a string (`"1468244384"`). Default 0. */
  readonly tsStringFraction?: number;
  /** Terminate lines with `\r\n` instead of `\n` (chunked output only). Default false. */
  readonly crlf?: boolean;
  /** Fraction of frames that arrive 1..maxDelay seconds late. Default 0. */
  readonly lateFraction?: number;
  /** Largest delay of a late frame, seconds. Default 5. */
  readonly maxDelay?: number;
  /** Fraction of frames that arrive maxDelay+1..tailDelay seconds late. Default 0. */
  readonly tailFraction?: number;
  /** Largest delay of a tail frame, seconds. Default 60. */
  readonly tailDelay?: number;
  /** Fraction of frames with one bit of their 32-bit ts flipped. Default 0. */
  readonly bitflipFraction?: number;
  /**
   * Lowest ts bit a bitflip may hit (0..31). Default 0: any bit, as in real
   * streams. Flips of low bits move ts by seconds or minutes, and nothing can
   * tell those from honest frames; 12 makes every flip move ts by over an hour.
   */
  readonly bitflipMinBit?: number;
  /** Fraction of malformed frames, split evenly over MALFORMED_KINDS. Default 0. */
  readonly malformedFraction?: number;
  /** IANA time zone for hour, day, week, month and year windows of the ground truth. Default UTC. */
  readonly tz?: string;
}

/** StreamOptions with every default filled in and checked. */
export interface ResolvedStreamOptions {
  readonly seed: number;
  readonly users: number;
  readonly zipf: number | null;
  readonly rate: number;
  readonly start: number;
  readonly frames: number;
  readonly frameBytes: number;
  readonly tsStringFraction: number;
  readonly crlf: boolean;
  readonly lateFraction: number;
  readonly maxDelay: number;
  readonly tailFraction: number;
  readonly tailDelay: number;
  readonly bitflipFraction: number;
  readonly bitflipMinBit: number;
  readonly malformedFraction: number;
  readonly tz: string;
}

export const DEFAULT_FRAME_BYTES = 2048;
export const DEFAULT_MAX_DELAY = 5;
export const DEFAULT_TAIL_DELAY = 60;
/** ts is a 32-bit unsigned value on the wire (bitflips act on those 32 bits). */
export const MAX_TS = 0xffff_ffff;
/** A frame larger than this is surely a mistake in the options. */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;
const TS_BITS = 32;

/**
 * Disorder and damage close to what docs/frames.md describes: 99.9% of frames
 * within 5 s, a thin tail up to a minute, rare bitflips and malformed frames.
 */
export const REALISTIC: Pick<
  StreamOptions,
  | 'lateFraction'
  | 'maxDelay'
  | 'tailFraction'
  | 'tailDelay'
  | 'bitflipFraction'
  | 'malformedFraction'
  | 'tsStringFraction'
> = {
  lateFraction: 0.05,
  maxDelay: 5,
  tailFraction: 0.001,
  tailDelay: 60,
  bitflipFraction: 0.0001,
  malformedFraction: 0.001,
  tsStringFraction: 0.01,
};

function fail(message: string): never {
  throw new GeneratorError('BAD_OPTION', message);
}

function integer(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    fail(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function fraction(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isFinite(value) || value < 0 || value > 1)
    fail(`${name} must be a fraction from 0 to 1, got ${String(value)}`);
  return value;
}

/** Checks `options` and fills in defaults; throws GeneratorError('BAD_OPTION') with one line saying what is wrong. */
export function resolveOptions(options: StreamOptions): ResolvedStreamOptions {
  const seed = integer('seed', options.seed, 0, Number.MAX_SAFE_INTEGER);
  const users = integer('users', options.users, 1, MAX_USERS);
  let zipf: number | null = null;
  if (options.zipf !== undefined) {
    if (!Number.isFinite(options.zipf) || options.zipf <= 0 || options.zipf > 100) {
      fail(`zipf must be an exponent above 0 (and at most 100), got ${String(options.zipf)}`);
    }
    zipf = options.zipf;
  }
  if (!Number.isFinite(options.rate) || options.rate <= 0)
    fail(`rate must be a positive number of frames per second, got ${String(options.rate)}`);
  const rate = options.rate;
  const start = integer('start', options.start, 0, MAX_TS);

  let frames: number;
  if (options.frames !== undefined && options.duration !== undefined) fail('give frames or duration, not both');
  if (options.frames !== undefined) frames = integer('frames', options.frames, 0, Number.MAX_SAFE_INTEGER);
  else if (options.duration !== undefined) {
    if (!Number.isFinite(options.duration) || options.duration < 0)
      fail(`duration must be a non-negative number of seconds, got ${String(options.duration)}`);
    frames = Math.round(options.duration * rate);
  } else fail('give frames or duration');
  // The last frame's ts must still be a 32-bit value.
  if (frames > 0 && start + Math.floor((frames - 1) / rate) > MAX_TS)
    fail('the stream would run past the largest 32-bit ts (2106-02-07)');

  const frameBytes = integer('frameBytes', options.frameBytes ?? DEFAULT_FRAME_BYTES, 0, MAX_FRAME_BYTES);
  const lateFraction = fraction('lateFraction', options.lateFraction);
  const tailFraction = fraction('tailFraction', options.tailFraction);
  if (lateFraction + tailFraction > 1) fail('lateFraction + tailFraction must be at most 1');
  const maxDelay = integer('maxDelay', options.maxDelay ?? DEFAULT_MAX_DELAY, 1, MAX_TS);
  const tailDelay = integer('tailDelay', options.tailDelay ?? Math.max(DEFAULT_TAIL_DELAY, maxDelay + 1), 1, MAX_TS);
  if (tailFraction > 0 && tailDelay <= maxDelay)
    fail(`tailDelay (${tailDelay}) must be larger than maxDelay (${maxDelay})`);
  const bitflipFraction = fraction('bitflipFraction', options.bitflipFraction);
  const malformedFraction = fraction('malformedFraction', options.malformedFraction);
  if (bitflipFraction + malformedFraction > 1) fail('bitflipFraction + malformedFraction must be at most 1');
  const bitflipMinBit = integer('bitflipMinBit', options.bitflipMinBit ?? 0, 0, TS_BITS - 1);

  return {
    seed,
    users,
    zipf,
    rate,
    start,
    frames,
    frameBytes,
    tsStringFraction: fraction('tsStringFraction', options.tsStringFraction),
    crlf: options.crlf ?? false,
    lateFraction,
    maxDelay,
    tailFraction,
    tailDelay,
    bitflipFraction,
    bitflipMinBit,
    malformedFraction,
    tz: checkTimeZone(options.tz ?? 'UTC'),
  };
}

/** Returns the zone's canonical name, or throws BAD_TIME_ZONE. */
export function checkTimeZone(tz: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch (cause) {
    throw new GeneratorError(
      'BAD_TIME_ZONE',
      `unknown time zone ${JSON.stringify(tz)}: expected an IANA name such as UTC or Europe/Zurich`,
      { cause },
    );
  }
}

const SECONDS_PER_UNIT: Readonly<Record<string, number>> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 7 * 86_400,
  y: 365 * 86_400,
};

/**
 * Parses a start time: unix seconds (`1468244384`), an ISO date or date-time
 * (`2024-03-31`, `2024-03-31T02:30:00+02:00`; without a zone it is UTC, never
 * the machine's zone), or `now` / `now-2y` / `now-36h` relative to `nowSeconds`
 * (units s, m, h, d, w, y = 365 d). Returns whole unix seconds.
 */
export function parseStart(value: string, nowSeconds?: number): number {
  const text = value.trim();
  let seconds: number;
  if (/^\d+$/.test(text)) {
    seconds = Number(text);
  } else if (/^now([+-]\d+[smhdwy])?$/.test(text)) {
    if (nowSeconds === undefined)
      throw new GeneratorError(
        'BAD_START',
        `start ${JSON.stringify(value)} is relative to now, but no current time was given`,
      );
    const match = /^now(?:([+-])(\d+)([smhdwy]))?$/.exec(text);
    const sign = match?.[1] === '-' ? -1 : 1;
    const amount = match?.[2] === undefined ? 0 : Number(match[2]);
    seconds = Math.floor(nowSeconds) + sign * amount * (SECONDS_PER_UNIT[match?.[3] ?? 's'] ?? 1);
  } else if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(text)) {
    // A date-time without a zone would be read in the machine's zone by Date.parse.
    const zoned = text.length > 10 && !/(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? `${text}Z` : text;
    const ms = Date.parse(zoned);
    if (Number.isNaN(ms)) throw new GeneratorError('BAD_START', `start ${JSON.stringify(value)} is not a valid date`);
    seconds = Math.floor(ms / 1000);
  } else {
    throw new GeneratorError(
      'BAD_START',
      `start ${JSON.stringify(value)}: expected unix seconds, an ISO date such as 2024-03-31, or now-2y`,
    );
  }
  if (!Number.isSafeInteger(seconds) || seconds < 0 || seconds > MAX_TS) {
    throw new GeneratorError('BAD_START', `start ${JSON.stringify(value)} is outside 1970-01-01 .. 2106-02-07`);
  }
  return seconds;
}
