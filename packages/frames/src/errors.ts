/** Closed list of the ways this package refuses its configuration. */
export const FRAMES_ERROR_CODES = ['BAD_OPTION', 'UNKNOWN_DECODER', 'SIMDJSON_UNAVAILABLE'] as const;
export type FramesErrorCode = (typeof FRAMES_ERROR_CODES)[number];

/**
 * A problem the caller can fix; its message is one line meant for a person.
 * Decoding never throws: a bad frame is a malformed kind, not an error. Only
 * building a decoder can fail.
 */
export class FramesError extends Error {
  override readonly name = 'FramesError';
  readonly code: FramesErrorCode;
  constructor(code: FramesErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
