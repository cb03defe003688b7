/** Closed list of the ways this package's Kafka plumbing can fail. */
export const KAFKA_ERROR_CODES = [
  /** An option the caller gave cannot work (no broker, a partition count of 0, ...). */
  'BAD_OPTION',
  /** No broker answered in time: at start, or while a send waited for its acknowledgement. */
  'UNAVAILABLE',
  /** Kafka refused a topic, a read or a write for a reason retrying cannot fix. */
  'FAILED',
  /** The writer was used after close(). */
  'CLOSED',
  /**
   * TLS or the SASL login cannot work as set up, and retrying does not
   * help: a KafkaSecurityError, whose `failure` says which way.
   */
  'SECURITY',
] as const;
export type KafkaErrorCode = (typeof KAFKA_ERROR_CODES)[number];

/**
 * A Kafka problem; its message is one line that names the broker or topic.
 * This package is free of @uniqstream/core, so it is not a UniqstreamError:
 * callers that report their own typed errors (SourceError, SinkError,
 * ConsumerError) map the code and keep the message.
 */
export class KafkaError extends Error {
  override readonly name = 'KafkaError';
  readonly code: KafkaErrorCode;
  constructor(code: KafkaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
