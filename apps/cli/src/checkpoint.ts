import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CountingEngine,
  decodeSnapshot,
  encodeSnapshot,
  UniqstreamError,
  type Checkpointer,
  type CountingStage,
  type EngineOptions,
  type Positions,
} from '@uniqstream/core';

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
 *
 * The file ends in a SHA-256 digest of everything before it, so a damaged
 * file (a bad disk block, a hand edit of the position) is refused instead of
 * resuming from a wrong state or position. SHA-256 because node:crypto has
 * it on every Node we support (CRC-32C is not in Node's library at all, and
 * zlib.crc32 needs Node 20.15 where we allow 20.11), it catches any damage,
 * and hashing a few MB every --checkpoint-interval costs nothing measurable.
 *
 * Layout: MAGIC (8) | format version u16 LE | payload | SHA-256 (32) of the
 * bytes before it. The payload is core's snapshot encoding of `Saved`.
 */

const FILE = 'checkpoint.bin';
const MAGIC = Buffer.from('UQCOUNT\n', 'latin1');
const FORMAT_VERSION = 2;
const VERSION_BYTES = 2;
const HEADER_BYTES = MAGIC.length + VERSION_BYTES;
const DIGEST = 'sha256';
const DIGEST_BYTES = 32;
/** Format 1 was core's snapshot encoding of `Saved` alone, which starts with these bytes ("UQCK"). */
const SNAPSHOT_MAGIC = Buffer.from('UQCK', 'latin1');

/** What to do with a checkpoint that cannot be used: refuse to run, or count again from the beginning. */
export const CHECKPOINT_DAMAGED_CHOICES = ['refuse', 'restart'] as const;
export type CheckpointDamagedChoice = (typeof CHECKPOINT_DAMAGED_CHOICES)[number];
export const DEFAULT_CHECKPOINT_DAMAGED: CheckpointDamagedChoice = 'refuse';

/** A checkpoint file that is damaged or in a format this version cannot read. */
export class UnusableCheckpointError extends UniqstreamError {
  override readonly name = 'UnusableCheckpointError';
  constructor(
    readonly file: string,
    /** What is wrong, e.g. `is damaged (its checksum does not match)`. */
    readonly problem: string,
  ) {
    super(
      'CHECKPOINT_UNUSABLE',
      `checkpoint ${file} ${problem}: remove it to count from the beginning, or pass --checkpoint-damaged restart`,
    );
  }
}

export interface InputIdentity {
  readonly path: string;
  /** Size in bytes, or -1 for stdin. */
  readonly size: number;
}

interface Saved {
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
   * Throws UnusableCheckpointError when the file is damaged or in another
   * format, a one-line error when it belongs to other input or settings, and
   * 'COMPLETE' when that input was already counted to its end.
   */
  async load(engineOptions: Partial<EngineOptions>): Promise<Resume | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new UniqstreamError(
        'CHECKPOINT_UNREADABLE',
        `cannot read checkpoint ${this.file}: ${(error as Error).message}`,
      );
    }
    const saved = decodeSnapshot(unseal(this.file, bytes)) as Saved;
    if (JSON.stringify(saved.inputs) !== JSON.stringify(this.inputs)) {
      const was = saved.inputs.map((i) => i.path).join(', ');
      throw new UniqstreamError(
        'CHECKPOINT_MISMATCH',
        `the checkpoint in ${this.dir} is for other input (${was}, or the files changed): use another ` +
          `--checkpoint directory or remove it`,
      );
    }
    if (saved.complete)
      throw new UniqstreamError(
        'COMPLETE',
        `the checkpoint in ${this.dir} says this input was already counted to its end; remove it to count again`,
      );
    return {
      engine: CountingEngine.restore(saved.engine, engineOptions),
      position: saved.position,
      outputBytes: saved.outputBytes,
    };
  }

  /** A pipeline checkpointer saving every `intervalMs`; `outputPath` is the plain results file, if any. */
  checkpointer(intervalMs: number, outputPath: string | null): Checkpointer {
    return {
      intervalMs,
      save: async (engine: CountingStage, positions: Positions, ended: boolean): Promise<Positions> => {
        if (!(engine instanceof CountingEngine))
          throw new UniqstreamError('BAD_STATE', 'checkpoints need a single counting engine');
        const outputBytes = outputPath === null ? null : (await stat(outputPath)).size;
        await this.write({
          inputs: this.inputs,
          position: positions.get(0) ?? 0,
          complete: ended,
          outputBytes,
          engine: engine.snapshot(),
        });
        return positions;
      },
    };
  }

  private async write(saved: Saved): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const temporary = `${this.file}.tmp`;
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(seal(encodeSnapshot(saved)));
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

/** The file's bytes: header, payload and the digest of both. */
function seal(payload: Uint8Array): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt16LE(FORMAT_VERSION, MAGIC.length);
  const digest = createHash(DIGEST).update(header).update(payload).digest();
  return Buffer.concat([header, payload, digest]);
}

/** The payload of a checkpoint file, once its digest, magic and version are checked. */
function unseal(file: string, bytes: Uint8Array): Uint8Array {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const body = buffer.subarray(0, Math.max(0, buffer.length - DIGEST_BYTES));
  const digest = buffer.subarray(body.length);
  if (buffer.length < HEADER_BYTES + DIGEST_BYTES || !createHash(DIGEST).update(body).digest().equals(digest)) {
    if (isFormat1(buffer))
      throw new UnusableCheckpointError(file, 'was written by an older uniqstream (format 1, without a checksum)');
    const why =
      buffer.length < HEADER_BYTES + DIGEST_BYTES ? `cut short: ${buffer.length} bytes` : 'its checksum does not match';
    throw new UnusableCheckpointError(file, `is damaged (${why})`);
  }
  // The digest matched, so these bytes are as written; by what, and in which format?
  if (!body.subarray(0, MAGIC.length).equals(MAGIC))
    throw new UnusableCheckpointError(file, 'is not a uniqstream count checkpoint');
  const version = body.readUInt16LE(MAGIC.length);
  if (version !== FORMAT_VERSION) {
    throw new UnusableCheckpointError(
      file,
      `is in format ${version}, which this uniqstream (format ${FORMAT_VERSION}) cannot read`,
    );
  }
  return body.subarray(HEADER_BYTES);
}

/** Format 1 files are core's snapshot encoding as it was, so they start with its magic. */
function isFormat1(bytes: Buffer): boolean {
  return bytes.subarray(0, SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC);
}

/** Cuts a plain results file back to its length at the checkpoint. */
export async function rewindOutput(path: string, bytes: number): Promise<void> {
  await truncate(path, bytes);
}
