import { UniqstreamError } from '@uniqstream/core';

/** Closed list of the ways a benchmark can fail. */
export const BENCH_ERROR_CODES = [
  /** A command-line option of the runner is wrong. */
  'BAD_OPTION',
  /** The uniqstream CLI (or another app) has no dist/ yet. */
  'NOT_BUILT',
  /** A spawned process exited with a failure. */
  'PROCESS_FAILED',
  /** A process's output did not hold the summary the suite reads. */
  'BAD_OUTPUT',
  /** A .cpuprofile file is not what V8 writes. */
  'BAD_PROFILE',
  /** A generated input on disk does not match its description. */
  'BAD_INPUT',
  /** The README has no (or broken) generated-block markers. */
  'BAD_README',
  /** A process or a Kafka reader did not get where it should within its time. */
  'TIMEOUT',
] as const;
export type BenchErrorCode = (typeof BENCH_ERROR_CODES)[number];

export class BenchError extends UniqstreamError {
  override readonly name = 'BenchError';
  declare readonly code: BenchErrorCode;
  constructor(code: BenchErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
