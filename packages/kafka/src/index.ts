export {
  CONNECTION_TIMEOUT_MS,
  createKafka,
  DEFAULT_CLIENT_ID,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_UNAVAILABLE_TIMEOUT_MS,
  type KafkaClientOptions,
  PROBE_RETRY,
  PRODUCER_RETRY,
  REQUEST_TIMEOUT_MS,
  type RetrySettings,
  RUN_RETRY,
} from './client.js';
export {
  AUTHORIZATION_FAILURES,
  type AuthorizationFailure,
  authorizationFailureOf,
  describeKafkaError,
  isBrokerAway,
  isRebalanceInProgress,
  isTransient,
} from './describe-error.js';
export { KAFKA_ERROR_CODES, KafkaError, type KafkaErrorCode } from './errors.js';
export { FETCH_STALE_MARGIN_MS, onFetchAnswered } from './fetch-answers.js';
export {
  defaultKafkaLog,
  KAFKA_LOG_LEVELS,
  type KafkaLog,
  type KafkaLogLevel,
  quietened,
  REPEAT_WINDOW_MS,
  summarizingLogCreator,
} from './log.js';
export {
  BROKER_PROBE_INTERVAL_MS,
  BROKER_PROBE_TIMEOUT_MS,
  type BrokerBackOptions,
  type BrokerWaitOptions,
  brokerAnswers,
  GaveUp,
  isCoordinatorNotFound,
  retryUntil,
  type WaitOptions,
  waitForBroker,
  waitUntilBrokerAnswers,
} from './retry.js';
export {
  checkKafkaSecurity,
  describeSecurity,
  type KafkaSasl,
  type KafkaSecurity,
  type KafkaTls,
  kafkajsSecurity,
  type Pem,
  parseSaslMechanism,
  REDACTED,
  redactSecurity,
  SASL_MECHANISMS,
  type SaslMechanism,
  secretScrubber,
  securityWarnings,
  tlsConnectOptions,
} from './security.js';
export {
  ANSWERED_IN_TLS,
  isTlsRecordStart,
  KafkaSecurityError,
  SECURITY_FAILURES,
  type SecurityFailure,
  securityFailureOf,
  securityLines,
} from './security-errors.js';
export { type KafkaSecurityFiles, type KafkaTlsFiles, loadKafkaSecurity } from './security-files.js';
export { SocketTracker } from './sockets.js';
export { OFFSETS_RETRY_MS, type ReadToEndOptions, readToEnd, topicOffsets } from './topic-reader.js';
export {
  type CloseOptions,
  DEFAULT_BATCH_BYTES,
  DEFAULT_BATCH_MESSAGES,
  DEFAULT_LINGER_MS,
  KafkaTopicWriter,
  type KafkaTopicWriterOptions,
  type OwnClientSettings,
  type SharedClientSettings,
  type TopicWriterSettings,
} from './topic-writer.js';
