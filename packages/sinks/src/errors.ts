import { UniqstreamError } from '@uniqstream/core';
import type { KafkaError, KafkaErrorCode } from '@uniqstream/kafka';

/** Closed list of the ways a sink can fail. */
export const SINK_ERROR_CODES = [
  /** The output went away (EPIPE: the reader closed the pipe) or the sink was closed. */
  'CLOSED',
  'OPEN_FAILED',
  'WRITE_FAILED',
  /** An endpoint kind this package does not write to (yet). */
  'UNSUPPORTED',
  'BAD_OPTION',
  /** Kafka could not be reached at start, or stayed away longer than allowed. */
  'KAFKA_UNAVAILABLE',
  /** Kafka refused the records or the topic for a reason retrying cannot fix. */
  'KAFKA_FAILED',
  /**
   * TLS or the SASL login with Kafka cannot work as set up: a certificate
   * not trusted or for another name, TLS to a plaintext port or the
   * reverse, a login refused, a mechanism the broker does not take.
   */
  'KAFKA_SECURITY',
] as const;
export type SinkErrorCode = (typeof SINK_ERROR_CODES)[number];

/** A sink problem; its message is one line that names the output. */
export class SinkError extends UniqstreamError {
  override readonly name = 'SinkError';
  declare readonly code: SinkErrorCode;
  constructor(code: SinkErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The SinkError code of each @uniqstream/kafka failure. */
const KAFKA_CODES: Readonly<Record<KafkaErrorCode, SinkErrorCode>> = {
  BAD_OPTION: 'BAD_OPTION',
  UNAVAILABLE: 'KAFKA_UNAVAILABLE',
  FAILED: 'KAFKA_FAILED',
  CLOSED: 'CLOSED',
  SECURITY: 'KAFKA_SECURITY',
};

/** A failure of @uniqstream/kafka's writer as a SinkError: the same message, the matching code. */
export function sinkErrorOf(error: KafkaError): SinkError {
  return new SinkError(KAFKA_CODES[error.code], error.message, { cause: error });
}

interface SystemErrorLike {
  readonly code?: unknown;
}

/** Error codes meaning the reading side is gone, so writing further is pointless. */
const GONE_CODES: ReadonlySet<unknown> = new Set([
  'EPIPE',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
  'ECONNRESET',
]);

/** Turns a stream or fs error on the output `name` into a SinkError. */
export function writeError(name: string, cause: unknown): SinkError {
  if (cause instanceof SinkError) return cause;
  const code = (cause as SystemErrorLike | null)?.code;
  if (GONE_CODES.has(code)) {
    return new SinkError('CLOSED', `${name} was closed by its reader`, { cause });
  }
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new SinkError('WRITE_FAILED', `cannot write ${name}: ${reason}`, { cause });
}

export function openError(path: string, cause: unknown): SinkError {
  const code = (cause as SystemErrorLike | null)?.code;
  const reason =
    code === 'ENOENT'
      ? 'no such directory'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a directory'
          : cause instanceof Error
            ? cause.message
            : String(cause);
  return new SinkError('OPEN_FAILED', `cannot write ${path}: ${reason}`, { cause });
}
