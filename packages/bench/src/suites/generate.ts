/**
 * How fast @uniqstream/generator makes frames into memory chunks, so it never
 * limits another benchmark: the target is 100 MB/s on one core. Cases: the
 * chunked fast path clean and with docs/frames.md-like disorder and damage, the
 * same with exact ground truth, the frame-by-frame API, and, for scale, a
 * naive generator that builds an object per frame and calls JSON.stringify.
 */
import { GroundTruth, REALISTIC, generateChunks, generateFrames, type StreamOptions } from '@uniqstream/generator';
import { compare, summarize, timeSeconds, type BenchCase, type Measurement, type Suite } from '../harness.js';

const FULL_FRAMES = 200_000;
const QUICK_FRAMES = 20_000;
const CHUNK_BYTES = 1024 * 1024;
const BYTES_PER_MB = 1e6;
/** The target from the generator's brief. */
export const TARGET_MB_PER_S = 100;
const START = 1_468_244_384;
/** The naive yardstick is ten times slower; a tenth of the frames gives the same MB/s in a tenth of the time. */
const NAIVE_SHARE = 10;

interface Case {
  readonly name: string;
  /** Frames made per run. */
  readonly frames: number;
  /** Makes the stream once; returns its bytes. */
  readonly make: () => number;
}

function chunks(options: StreamOptions, truth: boolean): () => number {
  return () => {
    const hooks = truth ? { truth: new GroundTruth(options) } : {};
    let bytes = 0;
    for (const chunk of generateChunks(options, CHUNK_BYTES, hooks)) bytes += chunk.length;
    return bytes;
  };
}

function frames(options: StreamOptions): () => number {
  return () => {
    let bytes = 0;
    for (const frame of generateFrames(options)) bytes += frame.bytes.length + 1;
    return bytes;
  };
}

const LOREM = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore'.split(
  ' ',
);

/**
 * The obvious way: an object per frame, filled with random members to about
 * the same size, then JSON.stringify and encode. Math.random is fine here: it
 * is only the yardstick.
 */
function naive(count: number, frameBytes: number): () => number {
  const encoder = new TextEncoder();
  return () => {
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      const frame: Record<string, unknown> = {};
      frame[LOREM[i % LOREM.length]!] = i;
      frame.uid = Math.floor(Math.random() * 2 ** 52)
        .toString(16)
        .padStart(19, '0');
      frame.ts = START + Math.floor(i / 1000);
      let size = 60;
      for (let k = 0; size < frameBytes; k++) {
        const key = LOREM[(i + k) % LOREM.length]!;
        const value =
          k % 3 === 0
            ? { nested: [k, 'Свобода, слава и любовь', true], uid: null }
            : k % 3 === 1
              ? `${key} "quoted" \\ text ${k}`
              : Math.random();
        frame[`${key}${k}`] = value;
        size += 50;
      }
      bytes += encoder.encode(`${JSON.stringify(frame)}\n`).length;
    }
    return bytes;
  };
}

export const generateSuite: Suite = async (ctx) => {
  const count = ctx.quick ? QUICK_FRAMES : FULL_FRAMES;
  const clean: StreamOptions = { seed: 1, users: 100_000, rate: 1000, start: START, frames: count };
  const realistic: StreamOptions = { ...clean, ...REALISTIC };
  const cases: Case[] = [
    { name: 'generateChunks, clean', frames: count, make: chunks(clean, false) },
    { name: 'generateChunks, realistic disorder and damage', frames: count, make: chunks(realistic, false) },
    { name: 'generateChunks, realistic + GroundTruth', frames: count, make: chunks(realistic, true) },
    { name: 'generateFrames (frame by frame), realistic', frames: count, make: frames(realistic) },
    {
      name: 'naive: object + JSON.stringify per frame',
      frames: count / NAIVE_SHARE,
      make: naive(count / NAIVE_SHARE, 2048),
    },
  ];
  ctx.log(`generate: ${count} frames of about 2 KB per run, ${ctx.runs} runs per case`);

  // Bytes per run are the same every run for the seeded cases, so frames/s follows from MB/s and the size.
  const bytesOf = new Map<string, number>();
  const benchCases: BenchCase[] = cases.map((c) => ({
    name: c.name,
    run: async () => {
      let bytes = 0;
      const seconds = await timeSeconds(() => {
        bytes = c.make();
      });
      bytesOf.set(c.name, bytes);
      return bytes / BYTES_PER_MB / seconds;
    },
  }));
  const mbPerSecond = await compare(benchCases, {
    unit: 'MB/s',
    runs: ctx.runs,
    warmup: 1,
    onRun: (name, run, value) => ctx.log(`generate: ${name} run ${run + 1}: ${value.toFixed(0)} MB/s`),
  });
  const framesPerSecond: Measurement[] = mbPerSecond.map((m, i) => {
    const perFrame = (bytesOf.get(m.name) ?? 0) / cases[i]!.frames;
    return summarize(
      m.name,
      'frames/s',
      m.values.map((v) => (v * BYTES_PER_MB) / perFrame),
    );
  });

  const fast = mbPerSecond[0]!;
  const slowestGenerator = Math.min(...mbPerSecond.slice(0, 4).map((m) => m.median));
  const naiveMedian = mbPerSecond[4]!.median;
  const notes = [
    `The chunked fast path makes ${fast.median.toFixed(0)} MB/s (median; ` +
      `${fast.min.toFixed(0)}-${fast.max.toFixed(0)}): ${fast.median >= TARGET_MB_PER_S ? 'meets' : 'MISSES'} ` +
      `the ${TARGET_MB_PER_S} MB/s target.`,
    `The slowest generator case makes ${slowestGenerator.toFixed(0)} MB/s: ` +
      `${slowestGenerator >= TARGET_MB_PER_S ? 'every case meets' : 'not every case meets'} the target.`,
    `Against an object + JSON.stringify per frame: ${(fast.median / naiveMedian).toFixed(1)}x faster ` +
      `(${naiveMedian.toFixed(0)} MB/s), with far richer frames.`,
    `Frames average ${((bytesOf.get(fast.name) ?? 0) / count).toFixed(0)} bytes with the newline (frameBytes 2048).`,
  ];
  return {
    id: 'generate',
    title: 'Generating frames (@uniqstream/generator)',
    tables: [
      { caption: 'Throughput into memory chunks, MB/s (1 MB = 10^6 bytes)', measurements: mbPerSecond },
      { caption: 'Throughput, frames/s', measurements: framesPerSecond },
    ],
    notes,
  };
};
