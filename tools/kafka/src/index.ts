export {
  brokerStatus,
  ensureBroker,
  restartBroker,
  startBroker,
  stopBroker,
  type BrokerInfo,
  type BrokerOptions,
} from './broker.js';
export { KAFKA_LOCAL_ERROR_CODES, KafkaLocalError, type KafkaLocalErrorCode } from './errors.js';
export { kafkaClassPath } from './fetch.js';
export { DEFAULT_PORT, PORT_ENV } from './ports.js';
export {
  closedPort,
  integrationTestConfig,
  setupForTests,
  SuiteBroker,
  type IntegrationTestConfig,
  type IntegrationTestOptions,
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
