import { isUtf8 } from 'node:buffer';
import type { FrameBatch } from '@uniqstream/core';

const LF = 0x0a;
const CR = 0x0d;
/** Pieces of one open line kept before they are merged into one buffer. */
const INITIAL_COMPACT_AT = 16;
const NO_BATCHES: readonly FrameBatch[] = Object.freeze([]);

export interface SplitterOptions {
  /** Name for the input, copied into every batch. */
  readonly origin: string;
  /** Most frames per batch. */
  readonly batchFrames: number;
  /** Longer frames are cut to maxFrameBytes + 1 bytes so the decoder sees they are too long. */
  readonly maxFrameBytes: number;
  /** Global position of the first byte pushed. */
  readonly startPosition: number;
  /** 1-based line number of the first line pushed, or undefined when unknown (after a seek). */
  readonly startLine: number | undefined;
  /** Bytes to drop, uncut, before splitting starts (resuming a stream that cannot seek). */
  readonly skipBytes: number;
}

/**
 * Splits one input's chunks into batches of frames at `\n`. Frames are views
 * of the chunks (no copy, no decoding); the split holds no reference to a
 * batch once it is returned and never writes into a chunk, so the views stay
 * valid as long as the chunk's bytes do. The start of a line that spans
 * chunks is copied (a chunk may be reused for a later read once the next one
 * is pushed), and the whole line becomes one buffer of its own.
 */
export class LineSplitter {
  private readonly origin: string;
  private readonly batchFrames: number;
  private readonly maxFrameBytes: number;
  /** Global position just after the last byte pushed. */
  private pos: number;
  /** Global position where the unterminated line at the end starts. */
  private lineStart: number;
  /** Line number of the next frame, or undefined when unknown. */
  private line: number | undefined;
  private skip: number;

  /** Kept bytes of the unterminated line, capped at maxFrameBytes + 1. */
  private pieces: Buffer[] = [];
  private keptBytes = 0;
  /** All bytes of the unterminated line, kept or not. */
  private rawBytes = 0;
  private compactAt = INITIAL_COMPACT_AT;

  constructor(options: SplitterOptions) {
    this.origin = options.origin;
    this.batchFrames = options.batchFrames;
    this.maxFrameBytes = options.maxFrameBytes;
    this.pos = options.startPosition;
    this.lineStart = options.startPosition;
    this.line = options.startLine;
    this.skip = options.skipBytes;
  }

  /** Global position just after every byte pushed so far (skipped ones included). */
  get position(): number {
    return this.pos;
  }

  /** Bytes still to skip when the input ended before the skip was done. */
  get skipRemaining(): number {
    return this.skip;
  }

  /** Splits one chunk; returns the batches of the lines it completes. */
  push(chunk: Buffer): readonly FrameBatch[] {
    const length = chunk.length;
    let offset = 0;
    if (this.skip > 0) {
      offset = Math.min(this.skip, length);
      if (this.line !== undefined) this.line += countLines(chunk, 0, offset);
      this.skip -= offset;
      this.pos += offset;
      this.lineStart = this.pos;
      if (offset === length) return NO_BATCHES;
    }
    /** Global position of chunk[0]. */
    const base = this.pos - offset;
    let batches: FrameBatch[] | undefined;
    let frames: Uint8Array[] = [];
    let positions: number[] = [];
    let firstLine = this.line;
    /**
     * Whether the frames of the next batch are known to be valid UTF-8. A
     * valid span stays valid when cut at `\n` (an ASCII byte is never part of
     * a multi-byte sequence), so one native check of the chunk's complete
     * lines covers all of them: cheaper than one call per frame.
     */
    let knownUtf8 = true;

    if (this.pos > this.lineStart) {
      const nl = chunk.indexOf(LF, offset);
      if (nl === -1) {
        this.append(chunk.subarray(offset));
        this.pos = base + length;
        return NO_BATCHES;
      }
      // No copy: the line is complete now, and this chunk stays valid for the batch.
      this.append(chunk.subarray(offset, nl), false);
      const wasCut = this.rawBytes !== this.keptBytes;
      const open = this.takeOpenLine();
      knownUtf8 = !wasCut && isUtf8(open);
      frames.push(open);
      positions.push(this.lineStart);
      offset = nl + 1;
    }
    const lastLf = chunk.lastIndexOf(LF);
    // A cut line may end inside a multi-byte sequence: such chunks keep the per-frame check.
    let spanUtf8 = lastLf < offset || isUtf8(chunk.subarray(offset, lastLf));
    knownUtf8 &&= spanUtf8;

    const max = this.maxFrameBytes;
    const batchFrames = this.batchFrames;
    for (;;) {
      if (frames.length === batchFrames) {
        (batches ??= []).push(this.batch(frames, positions, base + offset, firstLine, knownUtf8));
        if (this.line !== undefined) firstLine = this.line += frames.length;
        frames = [];
        positions = [];
        knownUtf8 = spanUtf8;
      }
      const nl = chunk.indexOf(LF, offset);
      if (nl === -1) break;
      let end = nl;
      if (end > offset && chunk[end - 1] === CR) end--;
      // Cutting after stripping the CR is right: a line longer than
      // max + 1 keeps max + 1 bytes either way, a shorter one is whole.
      if (end - offset > max) {
        end = offset + max + 1;
        spanUtf8 = knownUtf8 = false;
      }
      frames.push(chunk.subarray(offset, end));
      positions.push(base + offset);
      offset = nl + 1;
    }

    this.lineStart = base + offset;
    this.pos = base + length;
    if (offset < length) this.append(chunk.subarray(offset));
    if (frames.length > 0) {
      const last = this.batch(frames, positions, this.lineStart, firstLine, knownUtf8);
      if (this.line !== undefined) this.line += frames.length;
      if (batches === undefined) return [last];
      batches.push(last);
    }
    return batches ?? NO_BATCHES;
  }

  /** The input ended: returns the batch of a last line that had no `\n`. */
  end(): FrameBatch | undefined {
    if (this.pos === this.lineStart) return undefined;
    const firstLine = this.line;
    const frame = this.takeOpenLine();
    const batch = this.batch([frame], [this.lineStart], this.pos, firstLine, false);
    if (this.line !== undefined) this.line += 1;
    this.lineStart = this.pos;
    return batch;
  }

  private batch(
    frames: Uint8Array[],
    positions: number[],
    next: number,
    firstLine: number | undefined,
    knownUtf8: boolean,
  ): FrameBatch {
    // Lines are consecutive, so this counts every byte of them: terminators, a CR, the cut-off rest of a too-long line.
    const bytes = next - positions[0]!;
    return firstLine === undefined
      ? { partition: 0, frames, positions, next, origin: this.origin, knownUtf8, bytes }
      : { partition: 0, frames, positions, next, origin: this.origin, firstLine, knownUtf8, bytes };
  }

  /** `copy`: the piece must outlive its chunk (the line goes on in a later one). */
  private append(piece: Buffer, copy = true): void {
    this.rawBytes += piece.length;
    const room = this.maxFrameBytes + 1 - this.keptBytes;
    if (room <= 0 || piece.length === 0) return;
    const part = piece.length > room ? piece.subarray(0, room) : piece;
    const kept = copy ? Buffer.from(part) : part;
    this.pieces.push(kept);
    this.keptBytes += kept.length;
    // Many tiny chunks (a slow pipe) would pile up small pieces; merging at
    // doubling counts keeps the copying linear in the line's length.
    if (this.pieces.length >= this.compactAt) {
      this.pieces = [Buffer.concat(this.pieces, this.keptBytes)];
      this.compactAt *= 2;
    }
  }

  private takeOpenLine(): Uint8Array {
    const { pieces, keptBytes, rawBytes } = this;
    let frame: Buffer;
    if (pieces.length === 0) frame = EMPTY;
    else if (pieces.length === 1) frame = pieces[0]!;
    else frame = Buffer.concat(pieces, keptBytes);
    // Only a whole line can end in the CR of a CRLF; a cut one is too long anyway.
    if (rawBytes === keptBytes && keptBytes > 0 && frame[keptBytes - 1] === CR) {
      frame = frame.subarray(0, keptBytes - 1);
    }
    this.pieces = [];
    this.keptBytes = 0;
    this.rawBytes = 0;
    this.compactAt = INITIAL_COMPACT_AT;
    return frame;
  }
}

const EMPTY = Buffer.alloc(0);

function countLines(chunk: Buffer, from: number, to: number): number {
  let count = 0;
  let at = chunk.indexOf(LF, from);
  while (at !== -1 && at < to) {
    count++;
    at = chunk.indexOf(LF, at + 1);
  }
  return count;
}
