export * from './types.js';
export * from './errors.js';
export * from './endpoint.js';
export * from './counters/index.js';
export { createCalendar, type Calendar } from './calendar.js';
export {
  AGGREGATION_CHOICES,
  DEFAULT_ENGINE_OPTIONS,
  EMIT_CHOICES,
  METHOD_CHOICES,
  methodFor,
  parseGranularities,
  resolveEngineOptions,
  type AggregationChoice,
  type EmitChoice,
  type EngineOptions,
  type MethodChoice,
} from './options.js';
export { TsGuard, type Held, type TsGuardOptions, type TsGuardSnapshot } from './ts-guard.js';
export { CountingEngine } from './engine.js';
export { EngineStats } from './stats.js';
export { PartitionCounter, type HeldFrame } from './partition.js';
export {
  runPipeline,
  type Checkpointer,
  type Clock,
  type PipelineOptions,
  type PipelineProgress,
  type PipelineSummary,
  type StopReason,
} from './pipeline.js';
export {
  COUNT_OPTION_SPECS,
  DEFAULT_COUNT_CONFIG,
  FORMAT_CHOICES,
  PARSER_CHOICES,
  countValuesFrom,
  engineOptionsOf,
  envName,
  resolveCountConfig,
  type CountConfig,
  type CountOptionSpec,
  type FormatChoice,
  type ParserChoice,
} from './count-options.js';
export type { CountingStage } from './counting-stage.js';
export { PartitionedEngines, type PartitionProgress } from './partitioned.js';
export { COMBINE_CHOICES, MergeStage, type CombineChoice, type MergeOptions } from './merge.js';
export { decodeSnapshot, encodeSnapshot } from './snapshot.js';
