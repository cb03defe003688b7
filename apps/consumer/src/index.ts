export { CONSUMER_ERROR_CODES, ConsumerError, type ConsumerErrorCode } from './errors.js';
export {
  DEFAULT_HTTP_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_SESSION_TIMEOUT_SECONDS,
  envName,
  LOG_LEVELS,
  parseCommandLine,
  ROLES,
  SERVICE_OPTION_SPECS,
  type CommandLine,
  type ConfigIo,
  type KafkaTopicRef,
  type LogLevel,
  type Role,
  type ServiceConfig,
  type ServiceOptionSpec,
} from './config.js';
export {
  checkpointKey,
  decodeCheckpoint,
  decodePartial,
  decodeProgress,
  encodeCheckpoint,
  encodePartial,
  encodeProgress,
  parsePartialsKey,
  partialKey,
  progressKey,
  windowKey,
  type Checkpoint,
  type PartialsKey,
} from './records.js';
export { MergeState, type MergeCounts, type MergeStateOptions } from './merge-state.js';
export { ServiceMetrics, type LiveReadings } from './metrics.js';
export { startHealthServer, type HealthServer, type HealthServerOptions, type Readiness } from './http.js';
export { createLogger } from './log.js';
export { DEFAULT_STOP_TIMEOUT_MS, runService, type ServiceEnvironment } from './service.js';
