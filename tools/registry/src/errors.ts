/** Closed list of the ways registry-local can fail; each one is something a user can act on. */
export const REGISTRY_LOCAL_ERROR_CODES = [
  'BAD_PORT',
  'PORT_IN_USE',
  'START_FAILED',
  'START_TIMEOUT',
  'LOGIN_FAILED',
  'STOP_FAILED',
] as const;
export type RegistryLocalErrorCode = (typeof REGISTRY_LOCAL_ERROR_CODES)[number];

/** A problem with the local registry; its message is one line meant for a person. */
export class RegistryLocalError extends Error {
  override readonly name = 'RegistryLocalError';
  readonly code: RegistryLocalErrorCode;
  constructor(code: RegistryLocalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
