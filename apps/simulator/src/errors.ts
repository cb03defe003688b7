/** Closed list of the ways the simulator can fail. */
export const SIM_ERROR_CODES = [
  'BAD_OPTION',
  'INPUT_FAILED',
  'OUTPUT_FAILED',
  'KAFKA_UNREACHABLE',
  'KAFKA_REFUSED',
] as const;
export type SimErrorCode = (typeof SIM_ERROR_CODES)[number];

/** A failure with a one-line message meant for the person at the terminal. */
export class SimError extends Error {
  override readonly name = 'SimError';
  readonly code: SimErrorCode;
  constructor(code: SimErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
