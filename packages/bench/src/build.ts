import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

/**
 * The repository's pinned pnpm (tools/pnpm): pnpm is not installed globally
 * on a fresh clone, and turbo needs the pnpm of package.json's packageManager
 * on PATH, which tools/pnpm puts there.
 */
const PINNED_PNPM = join(REPO_ROOT, 'tools', 'pnpm');

/** The command a person runs to build `filter`, for messages. */
export function buildCommand(filter: string): string {
  return `sh tools/pnpm exec turbo run build --filter=${filter}`;
}

/**
 * Builds a workspace package and its dependencies with turbo (cached when
 * nothing changed); true when the build succeeded. Turbo's own output is
 * dropped but for errors on stderr.
 */
export function buildPackage(filter: string): boolean {
  const result = spawnSync(
    'sh',
    [PINNED_PNPM, 'exec', 'turbo', 'run', 'build', `--filter=${filter}`, '--output-logs=errors-only'],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  return result.status === 0;
}
