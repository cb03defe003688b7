import { readFileSync } from 'node:fs';

/**
 * The `version` of a package.json, read when asked so that what an app
 * reports cannot drift from what was released. Apps pass
 * `new URL('../package.json', import.meta.url)`: src/ and dist/ are both
 * one level below it.
 */
export function readPackageVersion(manifest: URL): string {
  const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : 'unknown';
}
