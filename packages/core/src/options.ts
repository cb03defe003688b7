import { CoreError } from './errors.js';
import { GRANULARITIES, type Granularity } from './types.js';

export const METHOD_CHOICES = ['exact', 'hll', 'auto'] as const;
export type MethodChoice = (typeof METHOD_CHOICES)[number];

export const AGGREGATION_CHOICES = ['cascade', 'per-frame'] as const;
/**
 * `cascade`: frames go into the finest windows only, which are merged into
 * the coarser ones when final; `per-frame`: every frame into every window.
 */
export type AggregationChoice = (typeof AGGREGATION_CHOICES)[number];

export const EMIT_CHOICES = ['updates', 'final'] as const;
/** `updates`: every result as soon as known, then revisions; `final`: only final results. */
export type EmitChoice = (typeof EMIT_CHOICES)[number];

/** How the engine windows, watermarks and counts. Every field has a default. */
export interface EngineOptions {
  /** Granularities computed in the same pass. */
  readonly windows: readonly Granularity[];
  /** Seconds a frame may trail the highest ts and still be on time (watermark = max ts - maxDelay). */
  readonly maxDelay: number;
  /** Seconds after a window's end during which late frames still update it (with revisions). */
  readonly allowedLateness: number;
  /** Seconds of watermark progress between revisions of one window. */
  readonly revisionInterval: number;
  /** Emit partial results of open windows every this many seconds of event time; 0 = never. */
  readonly earlyEvery: number;
  readonly emit: EmitChoice;
  /** Seconds a ts may be ahead of the highest accepted ts before it is held as suspect. */
  readonly maxFutureSkew: number;
  /** Frames that must agree before a jump in event time is accepted. */
  readonly confirmations: number;
  /** Ordinary frames after which an unconfirmed suspect ts is rejected as corrupt. */
  readonly patience: number;
  /** Frames held at the start of each partition to find where event time is. */
  readonly bootstrapFrames: number;
  /** Most frames held per partition while their ts is in doubt. */
  readonly maxHeld: number;
  /** IANA zone for hour, day, week, month and year boundaries. */
  readonly timeZone: string;
  readonly method: MethodChoice;
  /** HyperLogLog precision p: 2^p one-byte registers. */
  readonly hllPrecision: number;
  /** Build dead letters (frame copies) for dropped frames. */
  readonly deadLetters: boolean;
  /** How coarser windows are built; the results are the same either way. */
  readonly aggregation: AggregationChoice;
  /** Attach each window's serialized counter to its results (partial results for a merge stage). */
  readonly withState: boolean;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  windows: ['minute'],
  maxDelay: 5,
  allowedLateness: 60,
  revisionInterval: 1,
  earlyEvery: 0,
  emit: 'updates',
  maxFutureSkew: 5,
  confirmations: 3,
  patience: 1000,
  bootstrapFrames: 16,
  maxHeld: 10_000,
  timeZone: 'UTC',
  method: 'exact',
  hllPrecision: 14,
  deadLetters: false,
  aggregation: 'cascade',
  withState: false,
};

const MIN_HLL_PRECISION = 4;
const MAX_HLL_PRECISION = 18;

/** Fills defaults and checks every value; throws CoreError('BAD_OPTION') with one line. */
export function resolveEngineOptions(partial: Partial<EngineOptions> = {}): EngineOptions {
  const options: EngineOptions = { ...DEFAULT_ENGINE_OPTIONS, ...stripUndefined(partial) };
  if (options.windows.length === 0) throw bad('windows: at least one granularity is needed');
  for (const g of options.windows) {
    if (!GRANULARITIES.includes(g))
      throw bad(`windows: unknown granularity ${String(g)} (choose from ${GRANULARITIES.join(', ')})`);
  }
  const windows = GRANULARITIES.filter((g) => options.windows.includes(g));
  nonNegative('max-delay', options.maxDelay);
  nonNegative('allowed-lateness', options.allowedLateness);
  nonNegative('early-every', options.earlyEvery);
  nonNegative('max-future-skew', options.maxFutureSkew);
  if (!(options.revisionInterval > 0)) throw bad('revision interval must be > 0');
  positiveInteger('confirmations', options.confirmations);
  positiveInteger('patience', options.patience);
  positiveInteger('max-held', options.maxHeld);
  if (!Number.isInteger(options.bootstrapFrames) || options.bootstrapFrames < 0)
    throw bad('bootstrap-frames must be a whole number >= 0');
  if (!METHOD_CHOICES.includes(options.method)) throw bad(`method: expected one of ${METHOD_CHOICES.join(', ')}`);
  if (!AGGREGATION_CHOICES.includes(options.aggregation))
    throw bad(`aggregation: expected one of ${AGGREGATION_CHOICES.join(', ')}`);
  if (!EMIT_CHOICES.includes(options.emit)) throw bad(`emit: expected one of ${EMIT_CHOICES.join(', ')}`);
  if (
    !Number.isInteger(options.hllPrecision) ||
    options.hllPrecision < MIN_HLL_PRECISION ||
    options.hllPrecision > MAX_HLL_PRECISION
  ) {
    throw bad(`hll-precision must be a whole number from ${MIN_HLL_PRECISION} to ${MAX_HLL_PRECISION}`);
  }
  return { ...options, windows };
}

/** Which counter a granularity uses under a method choice. */
export function methodFor(choice: MethodChoice, granularity: Granularity): 'exact' | 'hll' {
  if (choice !== 'auto') return choice;
  return granularity === 'minute' || granularity === 'hour' ? 'exact' : 'hll';
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function bad(message: string): CoreError {
  return new CoreError('BAD_OPTION', message);
}

function nonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw bad(`${name} must be a number of seconds >= 0`);
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw bad(`${name} must be a whole number >= 1`);
}
