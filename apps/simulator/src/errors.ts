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

/** Exit statuses: 2 for a bad command line (as commander and most CLIs do), 1 for a run that failed. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** 128 + SIGINT, what a shell reports for Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

/** The first line of an error's message, without a stack. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}
