import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * What a new user's shell carries over. Everything else stays behind: the
 * npm_* and pnpm variables of the script that runs the tests, turbo's and
 * vitest's own, and NODE_OPTIONS.
 */
const KEPT_VARIABLES = [
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LC_ALL',
  'TMPDIR',
  'TERM',
  'SHELL',
  'JAVA_HOME',
  'MAVEN_OPTS',
] as const;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * PATH as a fresh clone's user has it: without the directories that hold a
 * pnpm (tools/pnpm and turbo put the pinned one first; a global one would
 * hide what a new user meets) and without node_modules/.bin directories
 * (package scripts put those first).
 */
export function freshPath(path: string): string {
  return path
    .split(delimiter)
    .filter((dir) => dir !== '' && !dir.split('/').includes('node_modules') && !isExecutable(join(dir, 'pnpm')))
    .join(delimiter);
}

/** The environment of a fresh login shell: the user's own variables and freshPath(PATH). */
export function freshShellEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const fresh: Record<string, string> = { PATH: freshPath(env.PATH ?? '') };
  for (const name of KEPT_VARIABLES) {
    const value = env[name];
    if (value !== undefined) fresh[name] = value;
  }
  return fresh;
}

export interface ShellResult {
  /** Exit status, or null when a signal (or the timeout) ended the command. */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ShellOptions {
  readonly cwd: string;
  readonly env: Record<string, string>;
  /** Kills a command that hangs; not a speed limit. */
  readonly timeoutMs: number;
}

/** Runs `command` with sh -c, exactly as it is written in a README. */
export function runAsWritten(command: string, options: ShellOptions): ShellResult {
  const result = spawnSync('/bin/sh', ['-c', command], {
    cwd: options.cwd,
    env: options.env,
    encoding: 'utf8',
    timeout: options.timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
