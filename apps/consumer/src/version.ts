import { readPackageVersion } from '@uniqstream/app-config';

/**
 * The service's version, from its package.json (one directory up from
 * both src/ and dist/), so that what --version and /metrics report cannot
 * drift from what was released.
 */
export function serviceVersion(): string {
  return readPackageVersion(new URL('../package.json', import.meta.url));
}
