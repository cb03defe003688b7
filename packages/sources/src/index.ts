export { SOURCE_ERROR_CODES, SourceError, type SourceErrorCode } from './errors.js';
export { LineSplitter, type SplitterOptions } from './splitter.js';
export {
  checkReadable,
  DEFAULT_BATCH_FRAMES,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_MAX_FRAME_BYTES,
  openFileSource,
  STDIN_PATH,
  type FileSource,
  type FileSourceOptions,
} from './file-source.js';
export {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_WAIT_MS,
  DEFAULT_MIN_BYTES,
  DEFAULT_WORKER_BUFFER_BYTES,
  DEFAULT_READER_OLD_SPACE_MB,
  defaultMaxBytesPerPartition,
  FETCH_TARGET_BYTES,
  IDLE_TICK_MS,
  MIN_MAX_BYTES_PER_PARTITION,
  openKafkaSource,
  type KafkaSource,
  type KafkaSourceOptions,
} from './kafka-source.js';
export type { KafkaPartitionHooks } from './kafka-assignment.js';
export { REBALANCE_HOLD_MAX_MS } from './kafka-reader.js';
// The Kafka plumbing is @uniqstream/kafka's; what the source's options name is re-exported for apps.
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_UNAVAILABLE_TIMEOUT_MS,
  KAFKA_LOG_LEVELS,
  type KafkaLog,
  type KafkaLogLevel,
  type KafkaSasl,
  type KafkaSecurity,
  type KafkaTls,
  type SaslMechanism,
} from '@uniqstream/kafka';
export { DEFAULT_GROUP, openSource, type KafkaEndpointOptions, type OpenSourceOptions } from './open-source.js';
