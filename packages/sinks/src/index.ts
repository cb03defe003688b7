export { SINK_ERROR_CODES, SinkError, type SinkErrorCode } from './errors.js';
export { formatResultJson, formatResultLines } from './result-json.js';
export { isoSeconds, tableHeader, tableRow } from './table.js';
export {
  createFileSink,
  createStdoutSink,
  openResultSink,
  RESULT_FORMATS,
  type FileSinkOptions,
  type ResultFormat,
  type ResultSinkOptions,
  type StdoutSinkOptions,
} from './result-sink.js';
export {
  createDeadLetterSink,
  DEFAULT_DEAD_LETTER_FRAME_BYTES,
  formatDeadLetter,
  type DeadLetterFormatOptions,
  type DeadLetterSinkOptions,
} from './dead-letter.js';
export {
  createKafkaDeadLetterSink,
  createKafkaResultSink,
  deadLetterKey,
  RESULT_TOPIC_CONFIG,
  resultKey,
  sinkReady,
  type KafkaDeadLetterSink,
  type KafkaResultSink,
  type KafkaSink,
  type KafkaSinkOptions,
  type KafkaTarget,
} from './kafka-sink.js';
// The Kafka plumbing is @uniqstream/kafka's; what the sinks' options name is re-exported for apps.
export {
  DEFAULT_BATCH_BYTES,
  DEFAULT_BATCH_MESSAGES,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_UNAVAILABLE_TIMEOUT_MS,
  KAFKA_LOG_LEVELS,
  type KafkaLog,
  type KafkaLogLevel,
} from '@uniqstream/kafka';
