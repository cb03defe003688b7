import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** tools/registry: this file sits in src/ (tests) or dist/ (built), one level down. */
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
/** The repository's root, whose .cache/ holds everything the tools download or run. */
export const REPO_DIR = join(PACKAGE_DIR, '..', '..');
/** The registry people start: config, storage, log and state; safe to delete while it is stopped. */
export const DEFAULT_REGISTRY_DIR = join(REPO_DIR, '.cache', 'registry');

export interface RegistryLayout {
  readonly root: string;
  /** Verdaccio's config.yaml, written at every start. */
  readonly config: string;
  /** Published and proxied packages. */
  readonly storage: string;
  /** The one local user (mode 0600). */
  readonly htpasswd: string;
  /** That user's password, alone on one line (mode 0600). */
  readonly password: string;
  /** An npm user config with the registry and a token for it (mode 0600): NPM_CONFIG_USERCONFIG. */
  readonly npmrc: string;
  /** Verdaccio's stdout and stderr (JSON lines). */
  readonly logFile: string;
  /** { pid, port } of the running registry. */
  readonly stateFile: string;
}

export function registryLayout(root: string = DEFAULT_REGISTRY_DIR): RegistryLayout {
  return {
    root,
    config: join(root, 'config.yaml'),
    storage: join(root, 'storage'),
    htpasswd: join(root, 'htpasswd'),
    password: join(root, 'user.password'),
    npmrc: join(root, 'npmrc'),
    logFile: join(root, 'verdaccio.log'),
    stateFile: join(root, 'registry.json'),
  };
}
