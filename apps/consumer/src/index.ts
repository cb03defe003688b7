export {
  type CommandLine,
  type ConfigIo,
  DEFAULT_HTTP_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_SESSION_TIMEOUT_SECONDS,
  type KafkaTopicRef,
  LOG_LEVELS,
  type LogLevel,
  parseCommandLine,
  ROLES,
  type Role,
  SERVICE_OPTION_SPECS,
  type ServiceConfig,
  type ServiceOptionSpec,
} from './config.js';
export { CONSUMER_ERROR_CODES, ConsumerError, type ConsumerErrorCode } from './errors.js';
export { type HealthServer, type HealthServerOptions, type Readiness, startHealthServer } from './http.js';
export { createLogger } from './log.js';
export { type MergeCounts, MergeState, type MergeStateOptions } from './merge-state.js';
export { type LiveReadings, ServiceMetrics } from './metrics.js';
export {
  type Checkpoint,
  checkpointKey,
  decodeCheckpoint,
  decodePartial,
  decodeProgress,
  encodeCheckpoint,
  encodePartial,
  encodeProgress,
  type PartialsKey,
  parsePartialsKey,
  partialKey,
  progressKey,
  windowKey,
} from './records.js';
export { DEFAULT_STOP_TIMEOUT_MS, runService, type ServiceEnvironment } from './service.js';
