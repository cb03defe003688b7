import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The real binary, as a user runs it. */
export const BIN = fileURLToPath(new URL('../../bin/uniqstream', import.meta.url));
/** The repository root, where the walkthrough's commands run. */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

export interface Running {
  readonly child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  readonly done: Promise<Finished>;
}

/** Starts a command (no shell unless `file` is `sh`); stdin gets `input`, or nothing. */
export function start(
  file: string,
  args: readonly string[],
  options: { input?: Buffer; cwd?: string; env?: Record<string, string> } = {},
): Running {
  const started = performance.now();
  const child = spawn(file, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => err.push(d));
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(options.input);
  const done = new Promise<Finished>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        seconds: (performance.now() - started) / 1000,
      }),
    );
  });
  return { child, stderr: () => Buffer.concat(err).toString(), done };
}

export function run(
  file: string,
  args: readonly string[],
  options: { input?: Buffer; cwd?: string; env?: Record<string, string> } = {},
): Promise<Finished> {
  return start(file, args, options).done;
}

/** Frames counted so far, from the last `--progress` line on stderr (`12.3k frames`). */
export function framesInProgress(stderr: string): number {
  const matches = [...stderr.matchAll(/(\d+(?:\.\d+)?)(k|M)? frames /g)];
  const last = matches[matches.length - 1];
  if (last === undefined) return 0;
  const scale = last[2] === 'k' ? 1e3 : last[2] === 'M' ? 1e6 : 1;
  return Number(last[1]) * scale;
}

/** No JavaScript stack trace reached the user. */
export function hasStackTrace(stderr: string): boolean {
  return /^\s+at .+[(:]\d+/m.test(stderr);
}
