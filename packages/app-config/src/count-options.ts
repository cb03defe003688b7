import {
  AGGREGATION_CHOICES,
  type AggregationChoice,
  DEFAULT_ENGINE_OPTIONS,
  EMIT_CHOICES,
  type EmitChoice,
  type EngineOptions,
  type Granularity,
  METHOD_CHOICES,
  type MethodChoice,
} from '@uniqstream/core';
import type { OptionSpec } from './option-spec.js';
import {
  BOOLEAN,
  oneOf,
  parseGranularities,
  parser,
  SECONDS,
  TEXT,
  type ValueParser,
  type ValueType,
  wholeNumber,
} from './values.js';

/**
 * The options of a counting run, shared by `uniqstream count` and the
 * consumer service so that both take the same flags; the service also reads
 * them from environment variables (`UNIQSTREAM_MAX_DELAY`, ...) and
 * config-file keys (`"max-delay"`), the CLI from flags only.
 */

export const PARSER_CHOICES = ['fast', 'fast-js', 'json', 'simdjson'] as const;
export type ParserChoice = (typeof PARSER_CHOICES)[number];
export const FORMAT_CHOICES = ['json', 'table'] as const;
export type FormatChoice = (typeof FORMAT_CHOICES)[number];

export interface CountConfig {
  /** Input endpoint; unset means the file arguments, or stdin. */
  readonly from?: string;
  readonly to: string;
  readonly format: FormatChoice;
  readonly deadLetter?: string;
  readonly parser: ParserChoice;
  readonly maxFrameBytes: number;
  readonly windows: readonly Granularity[];
  readonly maxDelay: number;
  readonly allowedLateness: number;
  readonly earlyEvery: number;
  readonly emit: EmitChoice;
  readonly maxFutureSkew: number;
  readonly timeZone: string;
  readonly method: MethodChoice;
  readonly hllPrecision: number;
  readonly aggregation: AggregationChoice;
  /** Kafka: consumer group id. */
  readonly group: string;
  /** Kafka: read from the earliest offset when the group has none committed. */
  readonly fromBeginning: boolean;
  /** Seconds without frames after which a partition stops holding the watermark back. */
  readonly idleTimeout: number;
  /** Seconds without frames after which a partition's event time follows the wall clock; 0 = never. */
  readonly wallClockAfter: number;
  /** End the run after this many seconds without a frame; 0 = never. */
  readonly untilIdle: number;
  /** Directory for checkpoints; unset = none. */
  readonly checkpoint?: string;
  /** Seconds between checkpoints. */
  readonly checkpointInterval: number;
}

/** An option of a counting run; it sets one property of CountConfig. */
export type CountOptionSpec = OptionSpec<keyof CountConfig>;

/** Frames longer than this are reported as too-long unless --max-frame-bytes says otherwise. */
const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;
const MIN_FRAME_BYTES = 16;
const MAX_FRAME_BYTES = 256 * 1024 * 1024;
const MIN_HLL_PRECISION = 4;
const MAX_HLL_PRECISION = 18;

export const DEFAULT_COUNT_CONFIG: CountConfig = {
  to: 'stdout',
  format: 'json',
  parser: 'fast',
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  windows: DEFAULT_ENGINE_OPTIONS.windows,
  maxDelay: DEFAULT_ENGINE_OPTIONS.maxDelay,
  allowedLateness: DEFAULT_ENGINE_OPTIONS.allowedLateness,
  earlyEvery: DEFAULT_ENGINE_OPTIONS.earlyEvery,
  emit: DEFAULT_ENGINE_OPTIONS.emit,
  maxFutureSkew: DEFAULT_ENGINE_OPTIONS.maxFutureSkew,
  timeZone: DEFAULT_ENGINE_OPTIONS.timeZone,
  method: DEFAULT_ENGINE_OPTIONS.method,
  hllPrecision: DEFAULT_ENGINE_OPTIONS.hllPrecision,
  aggregation: DEFAULT_ENGINE_OPTIONS.aggregation,
  group: 'uniqstream',
  fromBeginning: false,
  idleTimeout: 10,
  wallClockAfter: 0,
  untilIdle: 0,
  checkpointInterval: 10,
};

const text: ValueParser<string> = parser(TEXT);

export const COUNT_OPTION_SPECS: readonly CountOptionSpec[] = [
  {
    name: 'from',
    key: 'from',
    value: 'endpoint',
    description: 'input: FILE or file:FILE (.jsonl or .jsonl.gz), - or stdin, or kafka://host:port/topic',
    parse: text,
  },
  {
    name: 'to',
    key: 'to',
    value: 'endpoint',
    description: 'results: stdout, PATH or file:PATH (.gz compresses), or kafka://host:port/topic',
    defaultText: 'stdout',
    parse: text,
  },
  {
    name: 'format',
    key: 'format',
    value: 'format',
    description: 'result format on stdout and files',
    defaultText: 'json',
    choices: FORMAT_CHOICES,
    parse: choice('format', FORMAT_CHOICES),
  },
  {
    name: 'dead-letter',
    key: 'deadLetter',
    value: 'endpoint',
    description: 'where dropped frames go, with the reason: stdout, PATH or file:PATH, or kafka://host:port/topic',
    parse: text,
  },
  {
    name: 'windows',
    key: 'windows',
    value: 'list',
    description: 'window granularities counted in one pass: minute,hour,day,week,month,year or all',
    defaultText: 'minute',
    parse: parseGranularities,
  },
  {
    name: 'max-delay',
    key: 'maxDelay',
    value: 'seconds',
    description: 'how far a frame may trail the newest ts and still be on time (watermark = max ts - this)',
    defaultText: String(DEFAULT_ENGINE_OPTIONS.maxDelay),
    parse: seconds('max-delay'),
  },
  {
    name: 'allowed-lateness',
    key: 'allowedLateness',
    value: 'seconds',
    description: 'late frames within this long after a window ends update it (new revision); later ones are dropped',
    defaultText: String(DEFAULT_ENGINE_OPTIONS.allowedLateness),
    parse: seconds('allowed-lateness'),
  },
  {
    name: 'early-every',
    key: 'earlyEvery',
    value: 'seconds',
    description: 'partial results of still-open windows every this many seconds of event time (0 = off)',
    defaultText: '0',
    parse: seconds('early-every'),
  },
  {
    name: 'emit',
    key: 'emit',
    value: 'mode',
    description: 'updates: results as soon as known, then revisions; final: only final results',
    defaultText: 'updates',
    choices: EMIT_CHOICES,
    parse: choice('emit', EMIT_CHOICES),
  },
  {
    name: 'max-future-skew',
    key: 'maxFutureSkew',
    value: 'seconds',
    description:
      'a ts further ahead of the newest ts is held as suspect until later frames confirm it, else rejected as ' +
      'corrupt-ts',
    defaultText: String(DEFAULT_ENGINE_OPTIONS.maxFutureSkew),
    parse: seconds('max-future-skew'),
  },
  {
    name: 'tz',
    key: 'timeZone',
    value: 'zone',
    description: 'IANA time zone for hour, day, week, month and year boundaries',
    defaultText: 'UTC',
    parse: text,
  },
  {
    name: 'method',
    key: 'method',
    value: 'method',
    description: 'exact, hll (HyperLogLog), or auto (exact for minute and hour, hll for longer windows)',
    defaultText: 'exact',
    choices: METHOD_CHOICES,
    parse: choice('method', METHOD_CHOICES),
  },
  {
    name: 'hll-precision',
    key: 'hllPrecision',
    value: 'p',
    description: 'HyperLogLog precision: 2^p registers, error about 1.04/sqrt(2^p)',
    defaultText: '14',
    parse: integer('hll-precision', MIN_HLL_PRECISION, MAX_HLL_PRECISION),
  },
  {
    name: 'aggregation',
    key: 'aggregation',
    value: 'how',
    description:
      'cascade: count frames in the finest windows and merge them into coarser ones when final; per-frame: ' +
      'every frame into every window (same results)',
    defaultText: DEFAULT_ENGINE_OPTIONS.aggregation,
    choices: AGGREGATION_CHOICES,
    parse: choice('aggregation', AGGREGATION_CHOICES),
  },
  {
    name: 'parser',
    key: 'parser',
    value: 'parser',
    description:
      'frame decoder: fast (WebAssembly SIMD byte scanner), fast-js (the same in plain JavaScript), json ' +
      '(JSON.parse) or simdjson',
    defaultText: 'fast',
    choices: PARSER_CHOICES,
    parse: choice('parser', PARSER_CHOICES),
  },
  {
    name: 'max-frame-bytes',
    key: 'maxFrameBytes',
    value: 'bytes',
    description: 'longer frames are reported as too-long',
    defaultText: String(DEFAULT_MAX_FRAME_BYTES),
    parse: integer('max-frame-bytes', MIN_FRAME_BYTES, MAX_FRAME_BYTES),
  },
  {
    name: 'group',
    key: 'group',
    value: 'id',
    description: 'Kafka consumer group',
    defaultText: 'uniqstream',
    parse: text,
  },
  {
    name: 'from-beginning',
    key: 'fromBeginning',
    description: 'Kafka: start at the earliest offset when the group has none committed (else the latest)',
    parse: parser(BOOLEAN, 'from-beginning'),
  },
  {
    name: 'idle-timeout',
    key: 'idleTimeout',
    value: 'seconds',
    description: 'a partition without frames this long stops holding windows back',
    defaultText: '10',
    parse: seconds('idle-timeout'),
  },
  {
    name: 'wall-clock-after',
    key: 'wallClockAfter',
    value: 'seconds',
    description:
      "after this many seconds without a frame, a partition's event time moves on with the wall clock, so its " +
      'last windows come out and close; frames that arrive later behind it are late (0 = event time moves only ' +
      'with frames)',
    defaultText: '0',
    parse: seconds('wall-clock-after'),
  },
  {
    name: 'until-idle',
    key: 'untilIdle',
    value: 'seconds',
    description: 'stop (flushing every window) after this many seconds without a frame; 0 = run until the input ends',
    defaultText: '0',
    parse: seconds('until-idle'),
  },
  {
    name: 'checkpoint',
    key: 'checkpoint',
    value: 'dir',
    description: 'save state and position to this directory and resume from it',
    parse: text,
  },
  {
    name: 'checkpoint-interval',
    key: 'checkpointInterval',
    value: 'seconds',
    description: 'seconds between checkpoints',
    defaultText: '10',
    parse: seconds('checkpoint-interval'),
  },
];

/** Builds a config from parsed values (by key), filling defaults. */
export function resolveCountConfig(values: Partial<Record<keyof CountConfig, unknown>>): CountConfig {
  const merged: Record<string, unknown> = { ...DEFAULT_COUNT_CONFIG };
  for (const [key, value] of Object.entries(values)) if (value !== undefined) merged[key] = value;
  return merged as unknown as CountConfig;
}

/** The engine's share of a count config. */
export function engineOptionsOf(config: CountConfig): Partial<EngineOptions> {
  return {
    windows: config.windows,
    maxDelay: config.maxDelay,
    allowedLateness: config.allowedLateness,
    earlyEvery: config.earlyEvery,
    emit: config.emit,
    maxFutureSkew: config.maxFutureSkew,
    timeZone: config.timeZone,
    method: config.method,
    hllPrecision: config.hllPrecision,
    aggregation: config.aggregation,
    deadLetters: config.deadLetter !== undefined,
  };
}

function seconds(name: string): ValueParser<number> {
  return parser(SECONDS, name);
}

function integer(name: string, min: number, max: number): ValueParser<number> {
  return parser(wholeNumber(min, max), name);
}

function choice<T extends string>(name: string, choices: readonly T[]): ValueParser<T> {
  const type: ValueType<T> = oneOf(choices);
  return parser(type, name);
}

/** One result line as the apps' help texts show it (the shape of `@uniqstream/sinks`' JSON results). */
export const EXAMPLE_RESULT_LINE =
  '{"window":"minute","start":1468244340,"end":1468244400,"users":5823,"frames":59231,' +
  '"revision":0,"final":true,"method":"exact"}';
