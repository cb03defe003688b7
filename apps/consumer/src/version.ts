import { readFileSync } from 'node:fs';

/**
 * The service's version, from its package.json (one directory up from
 * both src/ and dist/), so that what /metrics reports cannot drift from
 * what was released.
 */
export function serviceVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  const version = (JSON.parse(text) as { version?: unknown }).version;
  return typeof version === 'string' ? version : 'unknown';
}
