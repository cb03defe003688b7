export { fileErrorReason, readConfigFile } from './config-file.js';
export {
  COUNT_OPTION_SPECS,
  type CountConfig,
  type CountOptionSpec,
  DEFAULT_COUNT_CONFIG,
  engineOptionsOf,
  EXAMPLE_RESULT_LINE,
  FORMAT_CHOICES,
  type FormatChoice,
  PARSER_CHOICES,
  type ParserChoice,
  resolveCountConfig,
} from './count-options.js';
export { formatEndpoint, type ParseEndpointOptions, parseEndpoint } from './endpoint.js';
export { APP_CONFIG_ERROR_CODES, AppConfigError, type AppConfigErrorCode } from './errors.js';
export {
  commanderExitCode,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_USAGE,
  isPrintedByCommander,
  oneLine,
} from './exit-codes.js';
export {
  DEFAULT_SASL_MECHANISM,
  KAFKA_CONNECTION_FLAG_SPECS,
  KAFKA_CONNECTION_OPTION_SPECS,
  KAFKA_PASSWORD_ENV,
  type KafkaConnectionOptionSpec,
  type KafkaConnectionSources,
  type KafkaConnectionValues,
  kafkaConnectionHelp,
  kafkaSecurityOf,
  resolveKafkaSecurity,
} from './kafka-connection.js';
export { layeredValues, refuseUnknownSettings, type SettingSources } from './layers.js';
export {
  envName,
  flagProperty,
  type OptionOverrides,
  type OptionSpec,
  optionOf,
  valuesOfFlags,
} from './option-spec.js';
export {
  argParser,
  BOOLEAN,
  DURATION,
  FILE_PATH,
  FRACTION,
  NON_EMPTY,
  oneOf,
  POSITIVE,
  POSITIVE_SECONDS,
  parseGranularities,
  parser,
  SECONDS,
  TEXT,
  TOPIC_NAME,
  TOPIC_PATTERN,
  type ValueParser,
  type ValueType,
  wholeNumber,
} from './values.js';
export { readPackageVersion } from './version.js';
