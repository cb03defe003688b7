import { mkdir, open, readFile, rename, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { CountingEngine, decodeSnapshot, encodeSnapshot, UniqstreamError, type Checkpointer, type CountingStage, type EngineOptions, type Positions } from '@uniqstream/core';

/**
 * `uniqstream count --checkpoint DIR`: the engine's state and the input
 * position it covers, saved together in one file replaced atomically
 * (write, fsync, rename), so a run killed at any moment resumes from the
 * last checkpoint without losing or double counting a frame.
 *
 * Results a killed run wrote after its last checkpoint are written again on
 * resume, with the same content. A plain results file is cut back to its
 * length at the checkpoint first, so it ends exactly as an uninterrupted
 * run's; on stdout and in gzip files those results appear twice.
 */

const FILE = 'checkpoint.bin';
const FORMAT = 'uniqstream-cli-checkpoint/1';

export interface InputIdentity {
  readonly path: string;
  /** Size in bytes, or -1 for stdin. */
  readonly size: number;
}

interface Saved {
  readonly format: string;
  readonly inputs: readonly InputIdentity[];
  readonly position: number;
  readonly complete: boolean;
  /** Length of the plain results file at the checkpoint, if results go to one. */
  readonly outputBytes: number | null;
  readonly engine: Uint8Array;
}

export interface Resume {
  readonly engine: CountingEngine;
  readonly position: number;
  readonly outputBytes: number | null;
}

export async function identify(paths: readonly string[]): Promise<InputIdentity[]> {
  return Promise.all(paths.map(async (path) => ({ path, size: path === '-' ? -1 : (await stat(path)).size })));
}

export class CheckpointDir {
  private readonly file: string;

  constructor(
    readonly dir: string,
    private readonly inputs: readonly InputIdentity[],
  ) {
    this.file = join(dir, FILE);
  }

  /**
   * The state to resume from; undefined when there is no checkpoint yet.
   * Throws a one-line error when the checkpoint belongs to other input or
   * settings, and 'COMPLETE' when that input was already counted to its end.
   */
  async load(engineOptions: Partial<EngineOptions>): Promise<Resume | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new UniqstreamError('CHECKPOINT_UNREADABLE', `cannot read checkpoint ${this.file}: ${(error as Error).message}`);
    }
    const saved = decodeSnapshot(bytes) as Saved;
    if (saved?.format !== FORMAT) throw new UniqstreamError('BAD_CHECKPOINT', `${this.file} is not a uniqstream count checkpoint`);
    if (JSON.stringify(saved.inputs) !== JSON.stringify(this.inputs)) {
      const was = saved.inputs.map((i) => i.path).join(', ');
      throw new UniqstreamError('CHECKPOINT_MISMATCH', `the checkpoint in ${this.dir} is for other input (${was}, or the files changed): use another --checkpoint directory or remove it`);
    }
    if (saved.complete) throw new UniqstreamError('COMPLETE', `the checkpoint in ${this.dir} says this input was already counted to its end; remove it to count again`);
    return { engine: CountingEngine.restore(saved.engine, engineOptions), position: saved.position, outputBytes: saved.outputBytes };
  }

  /** A pipeline checkpointer saving every `intervalMs`; `outputPath` is the plain results file, if any. */
  checkpointer(intervalMs: number, outputPath: string | null): Checkpointer {
    return {
      intervalMs,
      save: async (engine: CountingStage, positions: Positions, ended: boolean): Promise<Positions> => {
        if (!(engine instanceof CountingEngine)) throw new UniqstreamError('BAD_STATE', 'checkpoints need a single counting engine');
        const outputBytes = outputPath === null ? null : (await stat(outputPath)).size;
        await this.write({ format: FORMAT, inputs: this.inputs, position: positions.get(0) ?? 0, complete: ended, outputBytes, engine: engine.snapshot() });
        return positions;
      },
    };
  }

  private async write(saved: Saved): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const temporary = `${this.file}.tmp`;
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(encodeSnapshot(saved));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.file);
    // The rename is durable once the directory is synced.
    const dirHandle = await open(this.dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}

/** Cuts a plain results file back to its length at the checkpoint. */
export async function rewindOutput(path: string, bytes: number): Promise<void> {
  await truncate(path, bytes);
}
