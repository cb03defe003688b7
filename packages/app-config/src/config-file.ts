import { AppConfigError } from './errors.js';
import { oneLine } from './exit-codes.js';

/** Why a file could not be read, in words, from Node's error code. */
export function fileErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return oneLine(error);
  }
}

/**
 * A JSON config file's settings (keys = long option names). Throws
 * AppConfigError('BAD_CONFIG_FILE') with one line when it cannot be read or
 * is not a JSON object.
 */
export function readConfigFile(path: string, readFile: (path: string) => string): Record<string, unknown> {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw bad(`cannot read the config file ${path}: ${fileErrorReason(error)}`, error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw bad(`the config file ${path} is not valid JSON: ${oneLine(error)}`, error);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw bad(`the config file ${path} must hold a JSON object of settings, e.g. {"windows": "minute,hour"}`);
  return parsed as Record<string, unknown>;
}

function bad(message: string, cause?: unknown): AppConfigError {
  return new AppConfigError('BAD_CONFIG_FILE', message, cause === undefined ? undefined : { cause });
}
