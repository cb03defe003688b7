/** Closed list of the ways the generator can refuse its options or be misused. */
export const GENERATOR_ERROR_CODES = ['BAD_OPTION', 'BAD_START', 'BAD_TIME_ZONE', 'BAD_STATE'] as const;
export type GeneratorErrorCode = (typeof GENERATOR_ERROR_CODES)[number];

/** A problem the caller can fix; its message is one line meant for a person. */
export class GeneratorError extends Error {
  override readonly name = 'GeneratorError';
  readonly code: GeneratorErrorCode;
  constructor(code: GeneratorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
