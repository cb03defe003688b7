import { UniqstreamError } from '@uniqstream/core';

/** Closed list of the ways a source can fail. */
export const SOURCE_ERROR_CODES = [
  'FILE_NOT_FOUND',
  'FILE_UNREADABLE',
  'GZIP_CORRUPT',
  'READ_FAILED',
  'BAD_OPTION',
  'BAD_STATE',
  /** Kafka could not be reached at start, or was lost for longer than allowed during a run. */
  'KAFKA_UNAVAILABLE',
  /** The topic to read does not exist. */
  'KAFKA_TOPIC_NOT_FOUND',
  /** The Kafka consumer stopped for a reason retrying cannot fix. */
  'KAFKA_FAILED',
  /**
   * TLS or the SASL login with Kafka cannot work as set up: a certificate
   * not trusted or for another name, TLS to a plaintext port or the
   * reverse, a login refused, a mechanism the broker does not take.
   */
  'KAFKA_SECURITY',
] as const;
export type SourceErrorCode = (typeof SOURCE_ERROR_CODES)[number];

/** A source problem; its message is one line that names the input. */
export class SourceError extends UniqstreamError {
  override readonly name = 'SourceError';
  declare readonly code: SourceErrorCode;
  constructor(code: SourceErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

interface SystemErrorLike {
  readonly code?: unknown;
}

/** Turns an `fs` error about `path` into a SourceError a user can act on. */
export function fileError(path: string, cause: unknown): SourceError {
  if (cause instanceof SourceError) return cause;
  const code = (cause as SystemErrorLike | null)?.code;
  switch (code) {
    case 'ENOENT':
      return new SourceError('FILE_NOT_FOUND', `cannot read ${path}: no such file`, { cause });
    case 'EACCES':
    case 'EPERM':
      return new SourceError('FILE_UNREADABLE', `cannot read ${path}: permission denied`, { cause });
    case 'EISDIR':
      return new SourceError('FILE_UNREADABLE', `cannot read ${path}: it is a directory`, { cause });
    default: {
      const reason = cause instanceof Error ? cause.message : String(cause);
      return new SourceError('READ_FAILED', `cannot read ${path}: ${reason}`, { cause });
    }
  }
}
