/**
 * Closed list of the ways core can refuse its input or configuration. BAD_CHECKPOINT: the bytes are not a
 * usable checkpoint; CHECKPOINT_MISMATCH: a sound one, written with other settings.
 */
export const CORE_ERROR_CODES = ['BAD_OPTION', 'BAD_CHECKPOINT', 'CHECKPOINT_MISMATCH', 'BAD_STATE'] as const;
export type CoreErrorCode = (typeof CORE_ERROR_CODES)[number];

/** A problem a user can fix; its message is one line meant for them. */
export class UniqstreamError extends Error {
  override readonly name: string = 'UniqstreamError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export class CoreError extends UniqstreamError {
  override readonly name = 'CoreError';
  declare readonly code: CoreErrorCode;
  constructor(code: CoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
