/**
 * Frame decoding, side by side on the same in-memory corpus of ~2 KB frames
 * (./decode-frames.ts): the fast byte scanner of @uniqstream/frames, the bare
 * baseline `JSON.parse(buffer.toString())` plus reading uid and ts, the
 * package's json decoder (that baseline with the shared checks and the uid
 * hash), and the simdjson decoder (the npm `simdjson` addon), in frames/s and
 * MB/s. A second table compares ways to find string ends, the scanner's main
 * cost. The frames are subarrays of one buffer, as a source hands them over.
 */
import { availableParallelism, loadavg } from 'node:os';
import { createDecoder, FramesError, type DecodedFrame, type FrameDecoder } from '@uniqstream/frames';
import { compare, ratio, summarize, timeSeconds, type BenchCase, type Measurement, type Suite } from '../harness.js';
import { makeDecodeFrames } from './decode-frames.js';

const MB = 1e6;
const FULL_FRAMES = 10_000;
const QUICK_FRAMES = 2_000;
/** A report needs at least this many runs per case. */
const MIN_RUNS = 5;
const LF = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const STRING_WARMUP = 2;
const DECODE_WARMUP = 2;
const MICROSECONDS_PER_SECOND = 1e6;

/** The corpus as one buffer, and each frame a view into it. */
function corpus(count: number): { frames: Buffer[]; bytes: number } {
  const whole = Buffer.from(`${makeDecodeFrames(count).join('\n')}\n`);
  const frames: Buffer[] = [];
  for (let start = 0; start < whole.length; ) {
    const end = whole.indexOf(LF, start);
    frames.push(whole.subarray(start, end));
    start = end + 1;
  }
  return { frames, bytes: whole.length - frames.length };
}

/** Decodes every frame once; throws if one is refused, since the corpus is all valid. */
function decodeAll(decoder: FrameDecoder, frames: readonly Buffer[], out: DecodedFrame): void {
  for (const frame of frames) {
    const kind = decoder.decode(frame, out);
    if (kind !== null) throw new Error(`${decoder.name} refused a valid frame: ${kind}`);
  }
}

/** The bare baseline: what a straightforward consumer would write. */
function parseAll(frames: readonly Buffer[]): number {
  let seen = 0;
  for (const frame of frames) {
    const root = JSON.parse(frame.toString()) as { uid?: unknown; ts?: unknown };
    if (typeof root.uid === 'string' && root.ts !== undefined) seen++;
  }
  return seen;
}

function tryDecoder(kind: 'simdjson'): FrameDecoder | undefined {
  try {
    return createDecoder(kind);
  } catch (error) {
    if (error instanceof FramesError && error.code === 'SIMDJSON_UNAVAILABLE') return undefined;
    throw error;
  }
}

/** All decoders must read the corpus alike before their speed means anything. */
function checkAgreement(decoders: readonly FrameDecoder[], frames: readonly Buffer[]): void {
  const a: DecodedFrame = { uidHi: 0, uidLo: 0, ts: 0 };
  const b: DecodedFrame = { uidHi: 0, uidLo: 0, ts: 0 };
  const [first, ...rest] = decoders;
  for (const frame of frames) {
    first!.decode(frame, a);
    for (const other of rest) {
      const kind = other.decode(frame, b);
      if (kind !== null || a.uidHi !== b.uidHi || a.uidLo !== b.uidLo || a.ts !== b.ts) {
        throw new Error(`${other.name} and ${first!.name} disagree on ${frame.toString().slice(0, 80)}...`);
      }
    }
  }
}

// ---- ways to find the end of every string in a frame (the scanner's inner loop)

/** Counts strings by stepping over every byte. */
function stringsByLoop(frame: Buffer): number {
  let strings = 0;
  const end = frame.length;
  for (let i = 0; i < end; i++) {
    if (frame[i] !== QUOTE) continue;
    for (i++; i < end; i++) {
      const c = frame[i];
      if (c === QUOTE) break;
      if (c === BACKSLASH) i++;
    }
    strings++;
  }
  return strings;
}

/** A quote is escaped when an odd run of backslashes precedes it. */
function escaped(frame: Buffer, quote: number): boolean {
  let k = quote - 1;
  while (frame[k] === BACKSLASH) k--;
  return ((quote - 1 - k) & 1) === 1;
}

/** Counts strings with `Buffer#indexOf` (a C++ binding call per quote). */
function stringsByBufferIndexOf(frame: Buffer): number {
  let strings = 0;
  for (let open = frame.indexOf(QUOTE); open >= 0; strings++) {
    let close = frame.indexOf(QUOTE, open + 1);
    while (close >= 0 && escaped(frame, close)) close = frame.indexOf(QUOTE, close + 1);
    if (close < 0) break;
    open = frame.indexOf(QUOTE, close + 1);
  }
  return strings;
}

/** Counts strings with `String#indexOf` on the latin1 text (V8 runs it as memchr). */
function stringsByLatin1IndexOf(frame: Buffer): number {
  const text = frame.toString('latin1');
  let strings = 0;
  for (let open = text.indexOf('"'); open >= 0; strings++) {
    let close = text.indexOf('"', open + 1);
    while (close >= 0 && escaped(frame, close)) close = text.indexOf('"', close + 1);
    if (close < 0) break;
    open = text.indexOf('"', close + 1);
  }
  return strings;
}

function toMegabytes(m: Measurement, bytesPerFrame: number): Measurement {
  return summarize(m.name, 'MB/s', m.values.map((framesPerSecond) => (framesPerSecond * bytesPerFrame) / MB));
}

export const decodeSuite: Suite = async (ctx) => {
  const count = ctx.quick ? QUICK_FRAMES : FULL_FRAMES;
  const runs = Math.max(MIN_RUNS, ctx.runs);
  const { frames, bytes } = corpus(count);
  const bytesPerFrame = bytes / frames.length;
  ctx.log(`decode: ${frames.length} frames, ${(bytes / MB).toFixed(1)} MB, ${bytesPerFrame.toFixed(0)} bytes per frame, ${runs} runs`);

  const fast = createDecoder('fast');
  const json = createDecoder('json');
  const simdjson = tryDecoder('simdjson');
  const decoders = simdjson === undefined ? [fast, json] : [fast, json, simdjson];
  checkAgreement(decoders, frames);

  const out: DecodedFrame = { uidHi: 0, uidLo: 0, ts: 0 };
  const framesPerSecond = (work: () => unknown) => async (): Promise<number> => frames.length / (await timeSeconds(work));
  // On a shared machine the wall clock also counts time the process spent
  // waiting for a core, so each run's CPU time (user + system, which includes
  // V8's GC helper threads) is kept too, as a second view.
  const cpuRates = new Map<string, number[]>();
  const timed = (name: string, work: () => unknown): BenchCase => {
    const rates: number[] = [];
    cpuRates.set(name, rates);
    return {
      name,
      run: async () => {
        const cpu = process.cpuUsage();
        const rate = await framesPerSecond(work)();
        const used = process.cpuUsage(cpu);
        rates.push(frames.length / ((used.user + used.system) / MICROSECONDS_PER_SECOND));
        return rate;
      },
    };
  };
  const cases: BenchCase[] = [
    timed('scanner (fast)', () => decodeAll(fast, frames, out)),
    timed('JSON.parse (toString + JSON.parse)', () => parseAll(frames)),
    timed('json decoder', () => decodeAll(json, frames, out)),
  ];
  if (simdjson !== undefined) cases.push(timed('simdjson decoder', () => decodeAll(simdjson, frames, out)));
  const load = loadavg()[0]!;
  const decoding = await compare(cases, {
    unit: 'frames/s',
    runs,
    warmup: DECODE_WARMUP,
    onRun: (name, run, value) => ctx.log(`decode: ${name} run ${run + 1}: ${(value / 1e3).toFixed(1)} k frames/s`),
  });
  const decodingCpu = cases.map((c) => summarize(c.name, 'frames/CPU-s', cpuRates.get(c.name)!.slice(DECODE_WARMUP)));

  let sink = 0;
  const strings = await compare(
    [
      { name: 'byte loop', run: framesPerSecond(() => frames.forEach((f) => (sink += stringsByLoop(f)))) },
      { name: 'Buffer#indexOf', run: framesPerSecond(() => frames.forEach((f) => (sink += stringsByBufferIndexOf(f)))) },
      { name: 'latin1 + String#indexOf', run: framesPerSecond(() => frames.forEach((f) => (sink += stringsByLatin1IndexOf(f)))) },
    ],
    { unit: 'frames/s', runs, warmup: STRING_WARMUP },
  );
  // Every variant ran (warmup + runs) times over every frame; the sum is only
  // right if all of them found the same strings.
  const stringsInCorpus = frames.reduce((total, f) => total + stringsByLoop(f), 0);
  if (sink !== 3 * (STRING_WARMUP + runs) * stringsInCorpus) throw new Error('the string-finding variants disagree');

  const [scanner, baseline, jsonDecoder, simd] = decoding as [Measurement, Measurement, Measurement, Measurement | undefined];
  const [scannerCpu, baselineCpu] = decodingCpu as [Measurement, Measurement];
  const [loop, bufferIndexOf, latin1IndexOf] = strings as [Measurement, Measurement, Measurement];
  const times = (x: number): string => `${x.toFixed(1)}x`;
  const notes = [
    `scanner / JSON.parse: ${times(ratio(scanner, baseline))} by wall clock, ${times(ratio(scannerCpu, baselineCpu))} by CPU time (medians; target 6x)`,
    simd === undefined
      ? 'simdjson: not measured, its native addon is not built here'
      : `scanner / simdjson: ${times(ratio(scanner, simd))}; simdjson / JSON.parse: ${times(ratio(simd, baseline))}`,
    `scanner / json decoder: ${times(ratio(scanner, jsonDecoder))}`,
    `finding the ends of the ${(stringsInCorpus / frames.length).toFixed(0)} strings of a frame: String#indexOf on latin1 text is ${times(ratio(latin1IndexOf, loop))} a byte loop and ${times(ratio(latin1IndexOf, bufferIndexOf))} Buffer#indexOf`,
    `all ${frames.length} frames decoded to the same uid hash and ts by ${decoders.map((d) => d.name).join(', ')}`,
    `corpus: ${(bytes / MB).toFixed(1)} MB, ${bytesPerFrame.toFixed(0)} bytes per frame; load average ${load.toFixed(1)} on ${availableParallelism()} cores at the start`,
  ];
  return {
    id: 'decode',
    title: 'Frame decoding',
    tables: [
      { caption: 'Decoding ~2 KB frames (frames/s)', measurements: decoding },
      { caption: 'Decoding ~2 KB frames (MB/s)', measurements: decoding.map((m) => toMegabytes(m, bytesPerFrame)) },
      { caption: 'Decoding ~2 KB frames, per CPU second (frames/CPU-s)', measurements: decodingCpu },
      { caption: 'Finding the end of every string in a frame (frames/s)', measurements: strings },
    ],
    notes,
  };
};
