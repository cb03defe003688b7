import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/uniqstream-sim', import.meta.url));
const REPO = fileURLToPath(new URL('../../../..', import.meta.url));

export interface BinResult {
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs the shim from the repository root, as a person would. */
export function sim(
  args: readonly string[],
  options: { input?: Buffer; cwd?: string; env?: Record<string, string> } = {},
): BinResult {
  const result = spawnSync(BIN, [...args], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, ...options.env },
    maxBuffer: 1 << 30,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
}

export interface Running {
  /** Everything written to stderr so far. */
  stderr(): string;
  readonly done: Promise<{ readonly status: number | null; readonly stderr: string }>;
  kill(): void;
}

/** Starts the shim from the repository root without waiting for it; stdout is dropped. */
export function start(args: readonly string[]): Running {
  const child = spawn(BIN, [...args], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  const err: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const stderr = (): string => Buffer.concat(err).toString('utf8');
  const done = new Promise<{ status: number | null; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr: stderr() }));
  });
  return { stderr, done, kill: () => child.kill('SIGKILL') };
}
