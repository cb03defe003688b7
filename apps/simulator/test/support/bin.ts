import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/uniqstream-sim', import.meta.url));
export const REPO = fileURLToPath(new URL('../../../..', import.meta.url));

export interface BinResult {
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs the shim from the repository root, as a person would. */
export function sim(args: readonly string[], options: { input?: Buffer; cwd?: string } = {}): BinResult {
  const result = spawnSync(BIN, [...args], {
    cwd: options.cwd ?? REPO,
    maxBuffer: 1 << 30,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
}
