/**
 * Generated input files in packages/bench/.work, made once and reused. A
 * file's name is keyed by its generator options, and a sidecar JSON beside it
 * holds what the suites need to know about it without reading it: its size,
 * the ground truth's summary, optionally every window's truth, and where the
 * bitflipped frames are (a flip of a low bit cannot be detected, so the
 * accuracy suite looks them up by position).
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  GroundTruth,
  generateFrames,
  resolveOptions,
  type StreamOptions,
  type TruthSummary,
  type TruthWindow,
} from '@uniqstream/generator';
import { BenchError } from './errors.js';

const MIB = 1024 * 1024;
/** Frames are copied into a buffer of this size and written in one call. */
const WRITE_BUFFER_BYTES = 4 * MIB;
const LF = 0x0a;
/** Length of the options digest in a file name: enough to tell option sets apart. */
const KEY_HEX_DIGITS = 10;
/** Bumped when the sidecar's shape changes, so old sidecars are rewritten. */
const SIDECAR_VERSION = 1;
/** Streams up to this long keep their windows' truth by default. */
const KEEP_WINDOWS_MAX_SECONDS = 7 * 86_400;
/** Progress lines while writing a big file, every this many frames. */
const PROGRESS_EVERY = 1_000_000;

/** A frame whose ts had one bit flipped: where it starts, its true ts and the ts it carries. */
export interface Bitflip {
  readonly position: number;
  readonly ts: number;
  readonly writtenTs: number;
}

export interface Dataset {
  readonly path: string;
  readonly options: StreamOptions;
  readonly frames: number;
  readonly bytes: number;
  readonly summary: TruthSummary;
  /** Every window's truth, when asked for (else empty). */
  readonly windows: readonly TruthWindow[];
  readonly bitflips: readonly Bitflip[];
}

interface Sidecar {
  readonly version: number;
  readonly options: StreamOptions;
  readonly frames: number;
  readonly bytes: number;
  readonly summary: TruthSummary;
  readonly windows: readonly TruthWindow[] | null;
  readonly bitflips: readonly Bitflip[];
}

export interface DatasetOptions {
  /**
   * Keep every window's truth. Default: when the stream covers at most a
   * week of event time (about 10k minute windows), so suites sharing a file
   * share one sidecar.
   */
  readonly windows?: boolean;
  readonly log?: (message: string) => void;
}

/** Options in a fixed key order, so equal options give equal names. */
function canonical(options: StreamOptions): string {
  const entries = Object.entries(options).filter(([, value]) => value !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(entries));
}

/** A readable file name that changes with any option: `stream-1000000f-100000u-...-<digest>.jsonl`. */
export function datasetFileName(options: StreamOptions): string {
  const resolved = resolveOptions(options);
  const digest = createHash('sha256').update(canonical(options)).digest('hex').slice(0, KEY_HEX_DIGITS);
  const rate = String(resolved.rate).replace('.', 'p');
  return `stream-${resolved.frames}f-${resolved.users}u-${rate}r-${resolved.frameBytes}b-${digest}.jsonl`;
}

function readSidecar(path: string): Sidecar | null {
  try {
    const sidecar = JSON.parse(readFileSync(`${path}.json`, 'utf8')) as Sidecar;
    return sidecar.version === SIDECAR_VERSION ? sidecar : null;
  } catch {
    return null;
  }
}

/** The dataset for `options`, generated into `workDir` unless a matching one is there. */
export function ensureDataset(workDir: string, options: StreamOptions, settings: DatasetOptions = {}): Dataset {
  const path = join(workDir, datasetFileName(options));
  const resolved = resolveOptions(options);
  const wantWindows = settings.windows ?? resolved.frames / resolved.rate <= KEEP_WINDOWS_MAX_SECONDS;
  const existing = readSidecar(path);
  if (
    existing !== null &&
    existsSync(path) &&
    statSync(path).size === existing.bytes &&
    canonical(existing.options) === canonical(options) &&
    (!wantWindows || existing.windows !== null)
  ) {
    return {
      path,
      options,
      frames: existing.frames,
      bytes: existing.bytes,
      summary: existing.summary,
      windows: existing.windows ?? [],
      bitflips: existing.bitflips,
    };
  }
  return writeDataset(path, options, wantWindows, settings.log ?? (() => undefined));
}

function writeDataset(
  path: string,
  options: StreamOptions,
  keepWindows: boolean,
  log: (message: string) => void,
): Dataset {
  const resolved = resolveOptions(options);
  log(
    `generating ${resolved.frames.toLocaleString('en-US')} frames of about ${resolved.frameBytes} bytes into ${path}`,
  );
  const truth = new GroundTruth(options);
  const windows: TruthWindow[] = [];
  const bitflips: Bitflip[] = [];
  const buffer = Buffer.allocUnsafe(WRITE_BUFFER_BYTES);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  let used = 0;
  let position = 0;
  let frames = 0;
  const flush = (): void => {
    for (let at = 0; at < used; ) at += writeSync(fd, buffer, at, used - at);
    used = 0;
  };
  try {
    for (const frame of generateFrames(options, { truth })) {
      const length = frame.bytes.length + 1;
      if (used + length > buffer.length) flush();
      if (length > buffer.length) {
        writeSync(fd, frame.bytes);
        writeSync(fd, Buffer.of(LF));
      } else {
        buffer.set(frame.bytes, used);
        buffer[used + length - 1] = LF;
        used += length;
      }
      if (frame.damage === 'bitflip' && frame.writtenTs !== null)
        bitflips.push({ position, ts: frame.ts, writtenTs: frame.writtenTs });
      position += length;
      frames++;
      if (frames % PROGRESS_EVERY === 0) log(`  ${frames.toLocaleString('en-US')} frames written`);
      // Draining frees the finished windows' user sets, so the truth stays small on long streams.
      for (const w of truth.drain()) if (keepWindows) windows.push(w);
    }
    flush();
  } finally {
    closeSync(fd);
  }
  truth.finish();
  for (const w of truth.drain()) if (keepWindows) windows.push(w);
  const summary = truth.summary();
  if (summary.frames !== frames)
    throw new BenchError('BAD_INPUT', `the truth saw ${summary.frames} frames, ${frames} were written`);
  renameSync(tmp, path);
  const sidecar: Sidecar = {
    version: SIDECAR_VERSION,
    options,
    frames,
    bytes: position,
    summary,
    windows: keepWindows ? windows : null,
    bitflips,
  };
  writeFileSync(`${path}.json`, JSON.stringify(sidecar));
  return { path, options, frames, bytes: position, summary, windows, bitflips };
}

/** Reads a file once so the runs that follow find it in the page cache, not on disk. */
export function warmPageCache(path: string): void {
  const fd = openSync(path, 'r');
  const buffer = Buffer.allocUnsafe(WRITE_BUFFER_BYTES);
  try {
    while (readSync(fd, buffer, 0, buffer.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

/** Seconds of event time from the first to the last valid ts. */
export function eventSeconds(d: Dataset): number {
  return d.summary.firstTs === null || d.summary.lastTs === null ? 0 : d.summary.lastTs - d.summary.firstTs;
}
