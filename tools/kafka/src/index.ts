export {
  brokerStatus,
  ensureBroker,
  restartBroker,
  startBroker,
  stopBroker,
  type BrokerInfo,
  type BrokerOptions,
} from './broker.js';
export type { CertificateFiles } from './certificates.js';
export { SASL_MECHANISMS, SCRAM_MECHANISMS, type SaslMechanism, type ScramMechanism } from './config.js';
export { KAFKA_LOCAL_ERROR_CODES, KafkaLocalError, type KafkaLocalErrorCode } from './errors.js';
export { kafkaClassPath } from './fetch.js';
export { DEFAULT_PORT, PORT_ENV } from './ports.js';
export {
  SecureAdmin,
  type AclBinding,
  type AclOperation,
  type AclPatternType,
  type AclPermission,
  type AclResource,
  type AclRule,
  type SecureAdminOptions,
} from './secure-admin.js';
export {
  SECURE_ENV,
  SECURE_LISTENER_ENV,
  secureKafkaConfig,
  secureListenerOrWhyNot,
  testSecureListener,
  type Login,
  type SecureKafkaConfigOptions,
  type SecureListener,
} from './secure-listener.js';
export {
  closedPort,
  integrationTestConfig,
  setupForTests,
  setupSecureForTests,
  SuiteBroker,
  type IntegrationTestConfig,
  type IntegrationTestOptions,
  type SuiteBrokerOptions,
} from './testing.js';
export {
  BOOTSTRAP_ENV,
  roundRobin,
  TestKafka,
  testBootstrap,
  uniqueName,
  type ReadOptions,
  type ReadRecord,
  type TestKafkaOptions,
  type TestRecord,
} from './test-kafka.js';
export { DEFAULT_KAFKA_VERSION, KAFKA_3_VERSION, VERSION_ENV } from './version.js';
