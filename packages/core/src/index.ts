export { type Calendar, createCalendar } from './calendar.js';
export * from './counters/index.js';
export type { CountingStage } from './counting-stage.js';
export type { Endpoint } from './endpoint.js';
export { CountingEngine } from './engine.js';
export * from './errors.js';
export { COMBINE_CHOICES, type CombineChoice, type MergeOptions, MergeStage } from './merge.js';
export {
  AGGREGATION_CHOICES,
  type AggregationChoice,
  DEFAULT_ENGINE_OPTIONS,
  EMIT_CHOICES,
  type EmitChoice,
  type EngineOptions,
  METHOD_CHOICES,
  type MethodChoice,
  methodFor,
  resolveEngineOptions,
} from './options.js';
export { type HeldFrame, PartitionCounter } from './partition.js';
export { PartitionedEngines, type PartitionProgress } from './partitioned.js';
export {
  type Checkpointer,
  type Clock,
  type PipelineOptions,
  type PipelineProgress,
  type PipelineSummary,
  runPipeline,
  type StopReason,
} from './pipeline.js';
export { decodeSnapshot, encodeSnapshot } from './snapshot.js';
export { EngineStats } from './stats.js';
export { type Held, TsGuard, type TsGuardOptions, type TsGuardSnapshot } from './ts-guard.js';
export * from './types.js';
