import { KafkaLocalError } from '../src/errors.js';

/** 'accepted' when `run` returns, else the KafkaLocalError's code (or the other error as text). */
export function codeOf(run: () => unknown): string {
  try {
    run();
    return 'accepted';
  } catch (error) {
    return error instanceof KafkaLocalError ? error.code : String(error);
  }
}
