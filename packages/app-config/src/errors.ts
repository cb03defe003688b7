import { UniqstreamError } from '@uniqstream/core';

/**
 * Closed list of the ways a command line, the environment or a config file
 * can be wrong. Every one is a usage error: the apps exit with EXIT_USAGE.
 */
export const APP_CONFIG_ERROR_CODES = [
  /** A value that is not what its option takes, or options that do not go together. */
  'BAD_OPTION',
  /** Text that is not an endpoint (stdout, -, file:PATH, kafka://host:port/topic). */
  'BAD_ENDPOINT',
  /** A config file that cannot be read, is not a JSON object, or names a setting no option has. */
  'BAD_CONFIG_FILE',
] as const;
export type AppConfigErrorCode = (typeof APP_CONFIG_ERROR_CODES)[number];

/** A setting a user can fix; its message is one line that names the setting and where it came from. */
export class AppConfigError extends UniqstreamError {
  override readonly name = 'AppConfigError';
  declare readonly code: AppConfigErrorCode;
  constructor(code: AppConfigErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
