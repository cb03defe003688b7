/** Closed list of the ways kafka-local can fail; each one is something a user can act on. */
export const KAFKA_LOCAL_ERROR_CODES = [
  'BAD_VERSION',
  'BAD_PORT',
  'JAVA_MISSING',
  'JAVA_TOO_OLD',
  'MAVEN_MISSING',
  'MAVEN_FAILED',
  'FORMAT_FAILED',
  'PORT_IN_USE',
  'VERSION_MISMATCH',
  'START_FAILED',
  'START_TIMEOUT',
  'STOP_FAILED',
  'LOCK_TIMEOUT',
  // The secured listener (--secure):
  'BAD_SECURE',
  'NOT_SECURE',
  'OPENSSL_MISSING',
  'CERTIFICATE_FAILED',
  'BAD_USER',
  'USER_FAILED',
  'BAD_ACL',
  'ACL_FAILED',
] as const;
export type KafkaLocalErrorCode = (typeof KAFKA_LOCAL_ERROR_CODES)[number];

/** A problem with the local broker; its message is one line meant for a person. */
export class KafkaLocalError extends Error {
  override readonly name = 'KafkaLocalError';
  readonly code: KafkaLocalErrorCode;
  constructor(code: KafkaLocalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
