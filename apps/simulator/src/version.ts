import { readFileSync } from 'node:fs';

/** The simulator's version, from its package.json (src/ and dist/ are both one level below it), so it is never out of step. */
export function readVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
