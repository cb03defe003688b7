import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateChunks } from '@uniqstream/generator';
import { beforeAll, describe, expect, it } from 'vitest';

const BIN = new URL('../bin/uniqstream', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'uniqstream-ckpt-'));
const input = join(dir, 'in.jsonl');

interface Kill {
  /** The checkpoint file to watch. */
  readonly file: string;
  /** Kill after the run has replaced it this many times ... */
  readonly afterSaves: number;
  /** ... and then this many ms more, so kills land anywhere between two saves. */
  readonly extraMs: number;
}

const POLL_MS = 5;

function inodeOf(file: string): number | undefined {
  try {
    return statSync(file).ino;
  } catch {
    return undefined;
  }
}

/**
 * Kills are paced by the run's own checkpoints rather than by the clock:
 * on a loaded or a fast machine alike, every killed run has made progress
 * and none has finished before its kill.
 */
function run(args: readonly string[], kill?: Kill): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Spawn node directly (not the sh shim) so that SIGKILL hits the counter itself.
    const child = spawn(process.execPath, [new URL('../dist/main.js', import.meta.url).pathname, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    let poller: NodeJS.Timeout | undefined;
    let timer: NodeJS.Timeout | undefined;
    if (kill !== undefined) {
      let last = inodeOf(kill.file);
      let saves = 0;
      poller = setInterval(() => {
        const now = inodeOf(kill.file);
        if (now === undefined || now === last) return;
        last = now;
        if (++saves < kill.afterSaves) return;
        clearInterval(poller);
        timer = setTimeout(() => child.kill('SIGKILL'), kill.extraMs);
      }, POLL_MS);
    }
    child.on('close', (code, signal) => {
      clearInterval(poller);
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

beforeAll(() => {
  const options = { seed: 21, users: 5000, rate: 200, start: 1468244340, duration: 1500, frameBytes: 700, lateFraction: 0.05, maxDelay: 5, tailFraction: 0.01, tailDelay: 40, bitflipFraction: 0.001, malformedFraction: 0.002 };
  writeFileSync(input, Buffer.concat([...generateChunks(options)]));
  expect(BIN).toBeTruthy();
});

describe('uniqstream count --checkpoint', () => {
  it('killed with SIGKILL at random moments and restarted, ends with exactly the output of an uninterrupted run', async () => {
    const reference = join(dir, 'reference.jsonl');
    const straight = await run(['count', input, '--windows', 'minute,hour', '--to', `file:${reference}`]);
    expect(straight.code).toBe(0);

    const output = join(dir, 'resumed.jsonl');
    const checkpoint = join(dir, 'state');
    const args = ['count', input, '--windows', 'minute,hour', '--to', `file:${output}`, '--checkpoint', checkpoint, '--checkpoint-interval', '0.05'];
    let kills = 0;
    let resumed = 0;
    let seed = 7;
    for (let attempt = 0; attempt < 40; attempt++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const kill = kills < 6 ? { file: join(checkpoint, 'checkpoint.bin'), afterSaves: 1 + (seed % 4), extraMs: (seed >>> 8) % 40 } : undefined;
      const result = await run(args, kill);
      if (/resuming from the checkpoint/.test(result.stderr)) resumed++;
      if (result.signal === 'SIGKILL') {
        kills++;
        continue;
      }
      expect(result.code).toBe(0);
      break;
    }
    expect(kills).toBeGreaterThanOrEqual(5);
    // Most restarts picked up a checkpoint rather than starting over.
    expect(resumed).toBeGreaterThanOrEqual(3);
    expect(existsSync(join(checkpoint, 'checkpoint.bin'))).toBe(true);
    expect(readFileSync(output, 'utf8')).toBe(readFileSync(reference, 'utf8'));

    // The checkpoint now says the input was counted to its end.
    const again = await run(args);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/already counted/);
  }, 600_000);

  it('refuses a checkpoint made for other input, stdin and a named pipe', async () => {
    const checkpoint = join(dir, 'other');
    const first = await run(['count', input, '--checkpoint', checkpoint, '--to', `file:${join(dir, 'o1.jsonl')}`, '--checkpoint-interval', '0.05'], {
      file: join(checkpoint, 'checkpoint.bin'),
      afterSaves: 1,
      extraMs: 0,
    });
    expect(first.signal).toBe('SIGKILL');
    const otherInput = join(dir, 'other.jsonl');
    writeFileSync(otherInput, readFileSync(input).subarray(0, 10_000));
    const mismatch = await run(['count', otherInput, '--checkpoint', checkpoint]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/other input/);
    const stdin = await run(['count', '-', '--checkpoint', join(dir, 'stdin')]);
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toMatch(/--checkpoint needs input files/);
    const pipe = join(dir, 'pipe');
    execFileSync('mkfifo', [pipe]);
    const fifo = await run(['count', pipe, '--checkpoint', join(dir, 'fifo')]);
    expect(fifo.code).toBe(2);
    expect(fifo.stderr).toMatch(/--checkpoint needs input files: .*pipe is not a regular file/);
  }, 120_000);
});
