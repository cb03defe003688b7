/**
 * The line splitter of @uniqstream/sources: openFileSource over a file of
 * about 2 KB JSON lines, plain and gzip, at three read sizes (highWaterMark
 * 256 KiB, 1 MiB, 4 MiB), against the ceilings of reading the same bytes with
 * no splitting at all: fs.createReadStream, and createReadStream piped
 * through zlib's gunzip.
 */
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGunzip, createGzip } from 'node:zlib';
import { LineSplitter, openFileSource } from '@uniqstream/sources';
import { compare, summarize, timeSeconds, type BenchCase, type Measurement, type Suite } from '../harness.js';

const KIB = 1024;
const MIB = 1024 * KIB;
const MB = 1e6;
const FULL_BYTES = 200 * MIB;
const QUICK_BYTES = 20 * MIB;
/** Real frames are about 2 KB (docs/frames.md). */
const FRAME_BYTES = 2048;
const HIGH_WATER_MARKS = [256 * KIB, 1 * MIB, 4 * MIB] as const;
/** Distinct lines written in turn: 4 MB of them, so gzip's 32 KB window finds no repeats. */
const DISTINCT_LINES = 2000;
const WORDS = [
  'lorem',
  'ipsum',
  'dolor',
  'sit',
  'amet',
  'consectetur',
  'adipiscing',
  'elit',
  'sed',
  'eiusmod',
  'tempor',
  'incididunt',
  'Свобода',
  'слава',
  '😀',
];
const HEX = '0123456789abcdef';
const UID_HEX_DIGITS = 19;
const FIRST_TS = 1_468_244_384;

/** Deterministic xorshift32 so every run and machine gets the same file. */
function random(seed: number): () => number {
  let state = seed | 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

/** One frame of about FRAME_BYTES: uid and ts among lorem-ipsum keys and values. */
function frame(next: () => number, index: number): string {
  let uid = '';
  for (let i = 0; i < UID_HEX_DIGITS; i++) uid += HEX[Math.floor(next() * HEX.length)];
  const parts = [`"uid":"${uid}"`, `"ts":${FIRST_TS + index}`];
  let length = parts[0]!.length + parts[1]!.length + 2;
  while (length < FRAME_BYTES - 40) {
    const key = WORDS[Math.floor(next() * WORDS.length)]!;
    const value =
      next() < 0.5 ? `"${WORDS[Math.floor(next() * WORDS.length)]!} ${Math.floor(next() * 1e6)}"` : next().toFixed(7);
    const part = `"${key}":${value}`;
    parts.push(part);
    length += part.length + 1;
  }
  return `{${parts.join(',')}}\n`;
}

interface Inputs {
  readonly plain: string;
  readonly gzip: string;
  readonly bytes: number;
  readonly frames: number;
}

/** Writes the inputs once; later runs with the same size reuse them. */
async function makeInputs(workDir: string, target: number, log: (m: string) => void): Promise<Inputs> {
  const plain = join(workDir, `split-${target}.jsonl`);
  const gzip = `${plain}.gz`;
  const next = random(0x5eed);
  const lines = Array.from({ length: DISTINCT_LINES }, (_, i) => Buffer.from(frame(next, i)));
  let frames = 0;
  let bytes = 0;
  for (; bytes < target; frames++) bytes += lines[frames % DISTINCT_LINES]!.length;
  if (existsSync(plain) && existsSync(gzip) && statSync(plain).size === bytes) return { plain, gzip, bytes, frames };
  log(`split: writing ${(bytes / MB).toFixed(0)} MB of ${frames} frames to ${plain} and .gz`);
  async function* content(): AsyncGenerator<Buffer> {
    const batch = 256;
    for (let i = 0; i < frames; i += batch) {
      const end = Math.min(i + batch, frames);
      const chunk: Buffer[] = [];
      for (let j = i; j < end; j++) chunk.push(lines[j % DISTINCT_LINES]!);
      yield Buffer.concat(chunk);
    }
  }
  await pipeline(content(), createWriteStream(`${plain}.tmp`));
  await pipeline(
    createReadStream(`${plain}.tmp`),
    createGzip({ level: zlibConstants.Z_DEFAULT_COMPRESSION }),
    createWriteStream(`${gzip}.tmp`),
  );
  await rename(`${plain}.tmp`, plain);
  await rename(`${gzip}.tmp`, gzip);
  return { plain, gzip, bytes, frames };
}

/** Splits the whole file; throws if a frame went missing, so a broken splitter cannot look fast. */
async function split(path: string, highWaterMark: number, expectedFrames: number): Promise<void> {
  let frames = 0;
  for await (const batch of openFileSource([path], { highWaterMark }).batches()) frames += batch.frames.length;
  if (frames !== expectedFrames) throw new Error(`split ${path}: ${frames} frames, expected ${expectedFrames}`);
}

/** The splitter alone, over chunks already in memory: what splitting costs without I/O. */
async function splitInMemory(chunks: readonly Buffer[], expectedFrames: number): Promise<void> {
  const splitter = new LineSplitter({
    origin: 'memory',
    batchFrames: 4096,
    maxFrameBytes: MIB,
    startPosition: 0,
    startLine: 1,
    skipBytes: 0,
  });
  let frames = 0;
  for (const chunk of chunks) for (const batch of splitter.push(chunk)) frames += batch.frames.length;
  if (splitter.end() !== undefined) frames++;
  if (frames !== expectedFrames) throw new Error(`split in memory: ${frames} frames, expected ${expectedFrames}`);
}

/**
 * The reader before the recycled one: a fresh buffer per read from
 * createReadStream, split by the same LineSplitter. Side by side with
 * openFileSource it measures what reusing two read buffers saves.
 */
async function splitFreshBuffers(path: string, highWaterMark: number, expectedFrames: number): Promise<void> {
  const splitter = new LineSplitter({
    origin: path,
    batchFrames: 4096,
    maxFrameBytes: MIB,
    startPosition: 0,
    startLine: 1,
    skipBytes: 0,
  });
  let frames = 0;
  for await (const chunk of createReadStream(path, { highWaterMark }))
    for (const batch of splitter.push(chunk as Buffer)) frames += batch.frames.length;
  if (splitter.end() !== undefined) frames++;
  if (frames !== expectedFrames)
    throw new Error(`split ${path} (fresh buffers): ${frames} frames, expected ${expectedFrames}`);
}

async function readRaw(path: string, highWaterMark: number, expectedBytes: number): Promise<void> {
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark })) bytes += (chunk as Buffer).length;
  if (bytes !== expectedBytes) throw new Error(`read ${path}: ${bytes} bytes, expected ${expectedBytes}`);
}

async function gunzipRaw(path: string, highWaterMark: number, expectedBytes: number): Promise<void> {
  let bytes = 0;
  const gunzip = createGunzip({ chunkSize: highWaterMark });
  const reading = pipeline(createReadStream(path, { highWaterMark }), gunzip);
  for await (const chunk of gunzip) bytes += (chunk as Buffer).length;
  await reading;
  if (bytes !== expectedBytes) throw new Error(`gunzip ${path}: ${bytes} bytes, expected ${expectedBytes}`);
}

function label(highWaterMark: number): string {
  return highWaterMark >= MIB ? `${highWaterMark / MIB} MiB` : `${highWaterMark / KIB} KiB`;
}

const MICROS_PER_SECOND = 1e6;
const FRESH_BUFFERS = 'createReadStream 1 MiB + LineSplitter (a fresh buffer per read)';

/**
 * Records, beside each wall-clock figure, MB per CPU-second (user + system,
 * all of the process's threads, zlib's included). Wall clock is what a user
 * waits; CPU time barely moves when other work shares the machine, so it
 * separates a real difference from a noisy neighbour.
 */
class CpuLog {
  private readonly values = new Map<string, number[]>();

  /** Throughput in MB/s of the uncompressed input; logs MB/CPU-s as well. */
  case(name: string, bytes: number, run: () => Promise<void>): BenchCase {
    return {
      name,
      run: async () => {
        const cpu = process.cpuUsage();
        const seconds = await timeSeconds(run);
        const used = process.cpuUsage(cpu);
        const cpuSeconds = (used.user + used.system) / MICROS_PER_SECOND;
        const list = this.values.get(name) ?? [];
        list.push(bytes / MB / cpuSeconds);
        this.values.set(name, list);
        return bytes / MB / seconds;
      },
    };
  }

  /** Measured runs only: the first `warmup` values of each case are dropped. */
  measurements(names: readonly string[], warmup: number): Measurement[] {
    return names.map((name) => summarize(name, 'MB/CPU-s', (this.values.get(name) ?? []).slice(warmup)));
  }
}

function scaled(m: Measurement, factor: number, unit: string): Measurement {
  return {
    name: m.name,
    unit,
    median: m.median * factor,
    min: m.min * factor,
    max: m.max * factor,
    values: m.values.map((v) => v * factor),
  };
}

function byName(ms: readonly Measurement[], name: string): Measurement {
  const found = ms.find((m) => m.name === name);
  if (found === undefined) throw new Error(`no measurement ${name}`);
  return found;
}

export const splitSuite: Suite = async (ctx) => {
  const inputs = await makeInputs(ctx.workDir, ctx.quick ? QUICK_BYTES : FULL_BYTES, ctx.log);
  const { plain, gzip, bytes, frames } = inputs;
  const framesPerMb = frames / (bytes / MB);
  const progress = (name: string, run: number, value: number): void =>
    ctx.log(`split: ${name} run ${run + 1}: ${value.toFixed(0)} MB/s`);

  const cpu = new CpuLog();
  const warmup = 1;
  const whole = await readFile(plain);
  const inMemory: Buffer[] = [];
  for (let at = 0; at < whole.length; at += MIB) inMemory.push(whole.subarray(at, at + MIB));
  const plainCases: BenchCase[] = [
    ...HIGH_WATER_MARKS.map((hwm) => cpu.case(`openFileSource ${label(hwm)}`, bytes, () => split(plain, hwm, frames))),
    ...HIGH_WATER_MARKS.map((hwm) =>
      cpu.case(`createReadStream ${label(hwm)} (no split)`, bytes, () => readRaw(plain, hwm, bytes)),
    ),
    cpu.case('LineSplitter, 1 MiB chunks in memory (no I/O)', bytes, () => splitInMemory(inMemory, frames)),
    cpu.case(FRESH_BUFFERS, bytes, () => splitFreshBuffers(plain, MIB, frames)),
  ];
  const plainResults = await compare(plainCases, { unit: 'MB/s', runs: ctx.runs, warmup, onRun: progress });

  const gzipCases: BenchCase[] = [
    ...HIGH_WATER_MARKS.map((hwm) =>
      cpu.case(`openFileSource gzip ${label(hwm)}`, bytes, () => split(gzip, hwm, frames)),
    ),
    ...HIGH_WATER_MARKS.map((hwm) =>
      cpu.case(`gunzip ${label(hwm)} (no split)`, bytes, () => gunzipRaw(gzip, hwm, bytes)),
    ),
  ];
  const gzipResults = await compare(gzipCases, { unit: 'MB/s', runs: ctx.runs, warmup, onRun: progress });
  const cpuResults = cpu.measurements(
    [...plainCases, ...gzipCases].map((c) => c.name),
    warmup,
  );

  const splitPlain = plainResults.slice(0, HIGH_WATER_MARKS.length);
  const splitGzip = gzipResults.slice(0, HIGH_WATER_MARKS.length);
  const framesTable = [...splitPlain, ...splitGzip].map((m) => scaled(m, framesPerMb, 'frames/s'));
  const oneMib = label(MIB);
  const best = (ms: readonly Measurement[]): Measurement => ms.reduce((a, b) => (b.median > a.median ? b : a));
  const cpuOf = (name: string): number => byName(cpuResults, name).median;
  const percent = (a: number, b: number): string => `${((100 * a) / b).toFixed(0)}%`;
  const plainSplit = `openFileSource ${oneMib}`;
  const plainBare = `createReadStream ${oneMib} (no split)`;
  const gzipSplit = `openFileSource gzip ${oneMib}`;
  const gzipBare = `gunzip ${oneMib} (no split)`;
  const leastCpuPlain = best(cpuResults.slice(0, HIGH_WATER_MARKS.length)).name;
  const leastCpuGzip = best(cpuResults.slice(plainCases.length, plainCases.length + HIGH_WATER_MARKS.length)).name;
  const notes = [
    `Input: ${(bytes / MB).toFixed(0)} MB, ${frames} frames of about ${Math.round(bytes / frames)} ` +
      `bytes; gzip file ${(statSync(gzip).size / MB).toFixed(0)} MB. Throughput counts uncompressed ` +
      `bytes; the file is in the page cache after the warm-up.`,
    `Plain, 1 MiB reads: splitting gets ${percent(cpuOf(plainSplit), cpuOf(plainBare))} ` +
      `of the bare read's MB per CPU-second (wall clock: ` +
      `${percent(byName(plainResults, plainSplit).median, byName(plainResults, plainBare).median)}); ` +
      `the bare read never touches the bytes in JavaScript, splitting scans every one.`,
    `Two read buffers that take turns (openFileSource, 1 MiB) against a fresh buffer per read ` +
      `(createReadStream + the same LineSplitter, the reader before it): ` +
      `${(byName(plainResults, plainSplit).median / byName(plainResults, FRESH_BUFFERS).median).toFixed(2)}x ` +
      `the MB/s, ${(cpuOf(plainSplit) / cpuOf(FRESH_BUFFERS)).toFixed(2)}x the MB per ` +
      `CPU-second: fresh memory costs a page fault per 4 KiB on first touch.`,
    `Gzip, 1 MiB reads: splitting gets ${percent(cpuOf(gzipSplit), cpuOf(gzipBare))} ` +
      `of bare gunzip's MB per CPU-second (wall clock: ` +
      `${percent(byName(gzipResults, gzipSplit).median, byName(gzipResults, gzipBare).median)}): ` +
      `decompression is the cost.`,
    `Fastest read size: ${best(splitPlain).name} (plain), ${best(splitGzip).name} (gzip); ` +
      `least CPU: ${leastCpuPlain} (plain), ${leastCpuGzip} (gzip).`,
  ];
  return {
    id: 'split',
    title: 'Line splitting (openFileSource)',
    tables: [
      { caption: `Plain file, MB/s (${(bytes / MB).toFixed(0)} MB)`, measurements: plainResults },
      { caption: 'Gzip file, MB/s of uncompressed input', measurements: gzipResults },
      { caption: 'Frames per second', measurements: framesTable },
      {
        caption: 'MB per CPU-second (all threads; steadier than wall clock on a shared machine)',
        measurements: cpuResults,
      },
    ],
    notes,
  };
};
