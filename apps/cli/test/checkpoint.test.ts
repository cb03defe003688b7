import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateChunks } from '@uniqstream/generator';
import { beforeAll, describe, expect, it } from 'vitest';

const BIN = new URL('../bin/uniqstream', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'uniqstream-ckpt-'));
const input = join(dir, 'in.jsonl');
const WINDOWS = 'minute,hour';

/**
 * The moments of the kills come from this seed, printed so that a failure can
 * be replayed: UNIQSTREAM_TEST_SEED=<seed> pnpm exec vitest run test/checkpoint.test.ts
 */
const SEED = process.env['UNIQSTREAM_TEST_SEED'] === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env['UNIQSTREAM_TEST_SEED']);
console.info(`checkpoint.test.ts: kill moments from seed ${SEED} (replay with UNIQSTREAM_TEST_SEED=${SEED})`);

/** The same small linear congruential generator everywhere in these tests: a seed gives one sequence. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
}

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

let referenceRun: Promise<string> | undefined;
/** The results of an uninterrupted run, made once. */
function reference(): Promise<string> {
  referenceRun ??= (async () => {
    const path = join(dir, 'reference.jsonl');
    const straight = await run(['count', input, '--windows', WINDOWS, '--to', `file:${path}`]);
    expect(straight.code).toBe(0);
    return readFileSync(path, 'utf8');
  })();
  return referenceRun;
}

let checkpoints = 0;
/** Arguments of a run with a checkpoint directory of its own, and where its file is. */
function checkpointed(extra: readonly string[] = []): { args: string[]; file: string; output: string } {
  const state = join(dir, `state${checkpoints}`);
  const output = join(dir, `out${checkpoints++}.jsonl`);
  return {
    args: ['count', input, '--windows', WINDOWS, '--to', `file:${output}`, '--checkpoint', state, '--checkpoint-interval', '0.05', ...extra],
    file: join(state, 'checkpoint.bin'),
    output,
  };
}

describe('uniqstream count --checkpoint', () => {
  it('killed with SIGKILL at random moments and restarted, ends with exactly the output of an uninterrupted run', async () => {
    const expected = await reference();
    const { args, file, output } = checkpointed();
    const next = random(SEED);
    let kills = 0;
    let resumed = 0;
    for (let attempt = 0; attempt < 40; attempt++) {
      const draw = next();
      const kill = kills < 6 ? { file, afterSaves: 1 + (draw % 4), extraMs: (draw >>> 8) % 40 } : undefined;
      const result = await run(args, kill);
      if (/resuming from the checkpoint/.test(result.stderr)) resumed++;
      if (result.signal === 'SIGKILL') {
        kills++;
        continue;
      }
      expect(result.code, `seed ${SEED}: ${result.stderr}`).toBe(0);
      break;
    }
    expect(kills, `seed ${SEED}`).toBeGreaterThanOrEqual(5);
    // Most restarts picked up a checkpoint rather than starting over.
    expect(resumed, `seed ${SEED}`).toBeGreaterThanOrEqual(3);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(output, 'utf8'), `seed ${SEED}`).toBe(expected);

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
