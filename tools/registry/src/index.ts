export { LOCAL_SCOPE, LOCAL_USER, UPSTREAM_URL } from './config.js';
export { REGISTRY_LOCAL_ERROR_CODES, RegistryLocalError, type RegistryLocalErrorCode } from './errors.js';
export { DEFAULT_REGISTRY_DIR } from './paths.js';
export { PORT_ENV } from './ports.js';
export {
  type RegistryInfo,
  type RegistryOptions,
  registryStatus,
  startRegistry,
  stopRegistry,
} from './registry.js';
