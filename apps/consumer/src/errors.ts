import { UniqstreamError } from '@uniqstream/core';
import type { KafkaError } from '@uniqstream/kafka';

/** Closed list of the ways the consumer service can refuse to start or stop working. */
export const CONSUMER_ERROR_CODES = [
  /** The configuration (flags, config file, environment) is wrong: exit 2 before anything connects. */
  'BAD_CONFIG',
  /** A record in the partials or checkpoint topic is not one this service wrote. */
  'BAD_RECORD',
  /** Kafka could not be reached, or refused a topic or a write for a reason retrying cannot fix. */
  'KAFKA_FAILED',
  /** Another instance has taken over a transactional id of this one (exactly-once): its partitions or the merge
   * moved. */
  'FENCED',
  /** The HTTP port for health and metrics could not be opened. */
  'HTTP_FAILED',
  /** A stop took longer than its limit (Kafka not acknowledging the last writes): what was not durable is replayed
   * from the last checkpoint. */
  'STOP_TIMEOUT',
] as const;
export type ConsumerErrorCode = (typeof CONSUMER_ERROR_CODES)[number];

/** A consumer-service problem; its message is one line meant for an operator. */
export class ConsumerError extends UniqstreamError {
  override readonly name = 'ConsumerError';
  declare readonly code: ConsumerErrorCode;
  constructor(code: ConsumerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A failure of @uniqstream/kafka's plumbing (state writers, readers, the broker wait) as KAFKA_FAILED, same
 * message. */
export function consumerErrorOf(error: KafkaError): ConsumerError {
  return new ConsumerError('KAFKA_FAILED', error.message, { cause: error });
}
