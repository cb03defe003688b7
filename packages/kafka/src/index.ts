export { KAFKA_ERROR_CODES, KafkaError, type KafkaErrorCode } from './errors.js';
export {
  CONNECTION_TIMEOUT_MS,
  createKafka,
  DEFAULT_CLIENT_ID,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_UNAVAILABLE_TIMEOUT_MS,
  PROBE_RETRY,
  PRODUCER_RETRY,
  REQUEST_TIMEOUT_MS,
  RUN_RETRY,
  type KafkaClientOptions,
  type RetrySettings,
} from './client.js';
export {
  defaultKafkaLog,
  KAFKA_LOG_LEVELS,
  quietened,
  REPEAT_WINDOW_MS,
  summarizingLogCreator,
  type KafkaLog,
  type KafkaLogLevel,
} from './log.js';
export { SocketTracker } from './sockets.js';
export {
  checkKafkaSecurity,
  describeSecurity,
  kafkajsSecurity,
  parseSaslMechanism,
  REDACTED,
  redactSecurity,
  SASL_MECHANISMS,
  secretScrubber,
  securityWarnings,
  tlsConnectOptions,
  type KafkaSasl,
  type KafkaSecurity,
  type KafkaTls,
  type Pem,
  type SaslMechanism,
} from './security.js';
export {
  DEFAULT_SASL_MECHANISM,
  flagProperty,
  isKafkaConnectionSetting,
  KAFKA_CONNECTION_FLAG_SPECS,
  KAFKA_CONNECTION_OPTION_SPECS,
  KAFKA_PASSWORD_ENV,
  kafkaConnectionHelp,
  kafkaConnectionValuesFrom,
  kafkaConnectionValuesOfFlags,
  kafkaSecurityOf,
  resolveKafkaSecurity,
  type KafkaConnectionOptionSpec,
  type KafkaConnectionSources,
  type KafkaConnectionValues,
} from './connection-options.js';
export { loadKafkaSecurity, type KafkaSecurityFiles, type KafkaTlsFiles } from './security-files.js';
export {
  ANSWERED_IN_TLS,
  isTlsRecordStart,
  KafkaSecurityError,
  SECURITY_FAILURES,
  securityFailureOf,
  securityLines,
  type SecurityFailure,
} from './security-errors.js';
export {
  AUTHORIZATION_FAILURES,
  authorizationFailureOf,
  describeKafkaError,
  isBrokerAway,
  type AuthorizationFailure,
  isRebalanceInProgress,
  isTransient,
} from './describe-error.js';
export {
  BROKER_PROBE_INTERVAL_MS,
  BROKER_PROBE_TIMEOUT_MS,
  brokerAnswers,
  GaveUp,
  isCoordinatorNotFound,
  retryUntil,
  waitForBroker,
  waitUntilBrokerAnswers,
  type BrokerBackOptions,
  type BrokerWaitOptions,
  type WaitOptions,
} from './retry.js';
export { FETCH_STALE_MARGIN_MS, onFetchAnswered } from './fetch-answers.js';
export { OFFSETS_RETRY_MS, readToEnd, topicOffsets, type ReadToEndOptions } from './topic-reader.js';
export {
  DEFAULT_BATCH_BYTES,
  DEFAULT_BATCH_MESSAGES,
  DEFAULT_LINGER_MS,
  KafkaTopicWriter,
  type CloseOptions,
  type KafkaTopicWriterOptions,
  type OwnClientSettings,
  type SharedClientSettings,
  type TopicWriterSettings,
} from './topic-writer.js';
