import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineOptionsOf, resolveCountConfig } from '@uniqstream/app-config';
import { encodeSnapshot } from '@uniqstream/core';
import { generateChunks } from '@uniqstream/generator';
import { seededRandom, testRandom } from '@uniqstream/reference';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointDir, identify, UnusableCheckpointError } from '../src/checkpoint.js';

const BIN = new URL('../bin/uniqstream', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'uniqstream-ckpt-'));
const input = join(dir, 'in.jsonl');
const WINDOWS = 'minute,hour';

/**
 * The moments of the kills come from this seed, printed so that a failure can
 * be replayed: UNIQSTREAM_TEST_SEED=<seed> sh tools/pnpm --filter @uniqstream/cli exec vitest run
 * test/checkpoint.test.ts
 */
const SEED = testRandom('checkpoint.test.ts kill moments').seed;

/** Whole numbers in [0, 2^32) from a seed: one sequence per seed. */
function random(seed: number): () => number {
  const next = seededRandom(seed);
  return () => Math.floor(next() * 2 ** 32);
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
function run(
  args: readonly string[],
  kill?: Kill,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Spawn node directly (not the sh shim) so that SIGKILL hits the counter itself.
    const child = spawn(process.execPath, [new URL('../dist/main.js', import.meta.url).pathname, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
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
  const options = {
    seed: 21,
    users: 5000,
    rate: 200,
    start: 1468244340,
    duration: 1500,
    frameBytes: 700,
    lateFraction: 0.05,
    maxDelay: 5,
    tailFraction: 0.01,
    tailDelay: 40,
    bitflipFraction: 0.001,
    malformedFraction: 0.002,
  };
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
    args: [
      'count',
      input,
      '--windows',
      WINDOWS,
      '--to',
      `file:${output}`,
      '--checkpoint',
      state,
      '--checkpoint-interval',
      '0.05',
      ...extra,
    ],
    file: join(state, 'checkpoint.bin'),
    output,
  };
}

/** Runs until the run has saved a checkpoint twice, then kills it: a checkpoint from the middle of the input. */
async function midRunCheckpoint(args: readonly string[], file: string): Promise<Buffer> {
  const killed = await run(args, { file, afterSaves: 2, extraMs: 0 });
  expect(killed.signal).toBe('SIGKILL');
  return readFileSync(file);
}

describe('uniqstream count --checkpoint', () => {
  it('killed with SIGKILL at random moments and restarted, ends with exactly the output of an ' +
    'uninterrupted run', async () => {
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
    const first = await run(
      [
        'count',
        input,
        '--checkpoint',
        checkpoint,
        '--to',
        `file:${join(dir, 'o1.jsonl')}`,
        '--checkpoint-interval',
        '0.05',
      ],
      {
        file: join(checkpoint, 'checkpoint.bin'),
        afterSaves: 1,
        extraMs: 0,
      },
    );
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

describe('a damaged --checkpoint file', () => {
  /** One line on stderr that names the file and says how to start over. */
  function expectRefusal(result: { code: number | null; stderr: string }, file: string, problem: RegExp): void {
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`checkpoint ${file} `);
    expect(lines[0]).toMatch(problem);
    expect(lines[0]).toMatch(/remove it to count from the beginning, or pass --checkpoint-damaged restart$/);
  }

  it(
    'is refused in one line, ' + 'whether bytes in its middle were garbled or its position was edited by hand',
    async () => {
      const { args, file } = checkpointed();
      const pristine = await midRunCheckpoint(args, file);
      const next = random(SEED ^ 0x5eed);
      const middle = Math.floor(pristine.length / 2);

      const garbled = Buffer.from(pristine);
      for (let i = 0; i < 64; i++) garbled[middle + i] = (garbled[middle + i]! + 1 + (next() % 255)) & 0xff;
      writeFileSync(file, garbled);
      expectRefusal(await run(args), file, /is damaged \(its checksum does not match\)/);

      const ones = Buffer.from(pristine);
      ones.fill(0xff, middle, middle + 8);
      writeFileSync(file, ones);
      expectRefusal(await run(args), file, /is damaged/);

      // Position: one digit changed by hand, the same length, so the file still decodes.
      writeFileSync(file, editPosition(pristine));
      expectRefusal(await run(args), file, /is damaged \(its checksum does not match\)/);

      writeFileSync(file, pristine.subarray(0, pristine.length - 1));
      expectRefusal(await run(args), file, /is damaged/);

      // The file as it was resumes.
      writeFileSync(file, pristine);
      const resumed = await run(args);
      expect(resumed.code).toBe(0);
      expect(resumed.stderr).toMatch(/resuming from the checkpoint/);
    },
  );

  it(
    'with --checkpoint-damaged restart, starts over with a warning and ends exactly like an ' + 'uninterrupted run',
    async () => {
      const expected = await reference();
      const { args, file, output } = checkpointed(['--checkpoint-damaged', 'restart']);
      const pristine = await midRunCheckpoint(args, file);
      writeFileSync(file, editPosition(pristine));
      const restarted = await run(args);
      expect(restarted.code).toBe(0);
      const warnings = restarted.stderr.split('\n').filter((l) => /warning/.test(l));
      expect(warnings).toEqual([
        `uniqstream: warning: checkpoint ${file} is damaged (its checksum does not match): counting ` +
          `from the beginning (--checkpoint-damaged restart)`,
      ]);
      expect(restarted.stderr).not.toMatch(/resuming/);
      expect(readFileSync(output, 'utf8')).toBe(expected);
    },
  );

  it('written by an older uniqstream (format 1) is refused in one clear line', async () => {
    const { args, file } = checkpointed();
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(
      file,
      encodeSnapshot({
        format: 'uniqstream-cli-checkpoint/1',
        inputs: [],
        position: 0,
        complete: false,
        outputBytes: null,
        engine: new Uint8Array(8),
      }),
    );
    expectRefusal(await run(args), file, /was written by an older uniqstream \(format 1, without a checksum\)/);
  });

  it('is refused whatever bytes are garbled and wherever it is cut', async () => {
    const { args, file } = checkpointed();
    const pristine = await midRunCheckpoint(args, file);
    const state = join(dir, 'garbled');
    mkdirSync(state, { recursive: true });
    const copy = join(state, 'checkpoint.bin');
    const checkpoint = new CheckpointDir(state, await identify([input]));
    const engineOptions = engineOptionsOf(resolveCountConfig({ windows: WINDOWS.split(',') }));
    copyFileSync(file, copy);
    await expect(checkpoint.load(engineOptions)).resolves.toMatchObject({ position: expect.any(Number) });

    const refused = async (bytes: Uint8Array): Promise<void> => {
      writeFileSync(copy, bytes);
      const error = await checkpoint.load(engineOptions).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UnusableCheckpointError);
      expect((error as Error).message).not.toContain('\n');
      expect((error as Error).message).toContain(copy);
    };
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 64 }), async (at, noise) => {
        const garbled = Buffer.from(pristine);
        const start = at % pristine.length;
        // Every byte of the noise changes the byte it lands on.
        noise.forEach((n, i) => {
          if (start + i < garbled.length) garbled[start + i] = garbled[start + i]! ^ (n | 1);
        });
        await refused(garbled);
      }),
      { numRuns: 300, seed: SEED },
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(), async (cut) => refused(pristine.subarray(0, cut % pristine.length))),
      { numRuns: 100, seed: SEED },
    );
  });
});

/** The checkpoint with one digit of its saved input position changed, as an edit by hand would. */
function editPosition(bytes: Buffer): Buffer {
  const text = bytes.toString('latin1');
  const match = /"position":(\d+)/.exec(text);
  expect(match).not.toBeNull();
  const digits = match![1]!;
  const last = digits.length - 1;
  const edited = digits.slice(0, last) + String((Number(digits[last]) + 5) % 10);
  const at = match!.index + '"position":'.length;
  return Buffer.from(text.slice(0, at) + edited + text.slice(at + digits.length), 'latin1');
}
