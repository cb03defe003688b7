/**
 * Frame decoding, side by side on the same in-memory corpora of ~2 KB frames,
 * in frames/s and MB/s: @uniqstream/frames' `fast` decoder (the WebAssembly
 * scanner with 64-byte SIMD steps), the previous `fast` scanner (the
 * WebAssembly scanner with a 16-byte search per string, kept only here, as
 * its compiled module), `fast-js` (the scanner in JavaScript), the bare
 * baseline `JSON.parse(buffer.toString())` plus reading uid and ts, the
 * package's json decoder (that baseline with the shared checks and the uid
 * hash), and the simdjson decoder (the npm `simdjson` addon). Two corpora:
 * frames shaped like the challenge generator's (./decode-frames.ts), and the
 * @uniqstream/generator's own frames, the ones the end-to-end runs read. A
 * last table compares ways to find string ends in JavaScript, the JS
 * scanner's main cost. The frames are subarrays of one buffer, as a source
 * hands them over.
 */
import { isUtf8 } from 'node:buffer';
import { availableParallelism, loadavg } from 'node:os';
import {
  createDecoder,
  FramesError,
  hashUid,
  wasmScannerAvailable,
  type DecodedFrame,
  type FrameDecoder,
} from '@uniqstream/frames';
import { generateChunks } from '@uniqstream/generator';
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
/** The decode speed-up over JSON.parse the frames package is held to. */
const TARGET_RATIO = 6;
const STRING_WARMUP = 2;
const DECODE_WARMUP = 2;
const MICROSECONDS_PER_SECOND = 1e6;
/** The generator corpus: the options of the end-to-end file (README), fewer frames. */
const GENERATOR_OPTIONS = {
  seed: 1,
  users: 100_000,
  rate: 1000,
  start: 1_468_244_340,
  lateFraction: 0.05,
  maxDelay: 5,
} as const;

interface Corpus {
  readonly frames: Buffer[];
  /** Frame bytes, without line terminators. */
  readonly bytes: number;
}

/** `text` as one buffer, and each line a view into it. */
function splitLines(whole: Buffer): Corpus {
  const frames: Buffer[] = [];
  for (let start = 0; start < whole.length; ) {
    let end = whole.indexOf(LF, start);
    if (end < 0) end = whole.length;
    frames.push(whole.subarray(start, end));
    start = end + 1;
  }
  return { frames, bytes: frames.reduce((total, f) => total + f.length, 0) };
}

function syntheticCorpus(count: number): Corpus {
  return splitLines(Buffer.from(`${makeDecodeFrames(count).join('\n')}\n`));
}

function generatorCorpus(count: number): Corpus {
  return splitLines(Buffer.concat([...generateChunks({ ...GENERATOR_OPTIONS, frames: count })]));
}

/** Decodes every frame once; throws if one is refused, since the corpora are all valid. */
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

// ---- the previous `fast` scanner, as a reference

/**
 * The previous `fast` scanner's WebAssembly module, compiled from the
 * frames package's scanner.wat as it was before the 64-byte steps (git
 * history has the text): `scan(base, length, open, stack)` finds each
 * string's end with a 16-byte quote search and walks nested values byte by
 * byte, and writes the uid and ts value ranges to RESULTS.
 */
const PREVIOUS_SCANNER_BASE64 =
  'AGFzbQEAAAABHgVgAABgAX8Bf2ACf38Bf2AEf39/fwF/YAN/f38BfwMPDgABAgICAgMCBAEBAgIDBQMBAAEG2QJAfwBBAAt/' +
  'AEEgC38AQcAAC38AQYACC38AQYAEC38AQSALfwBBJAt/AEEpC38AQQQLfwBBBQt/AEEEC38AQQALfwBBfwt/AEF+C38AQX8L' +
  'fwBBAAt/AEEBC38AQQILfwBBAwt/AEEEC38AQYACC38AQQALfwBBAQt/AEECC38AQfXSkQMLfwBB9OYBC38AQQYLfwBBBwt/' +
  'AEESC38AQYABC38AQQgLfwBBBAt/AEEJC38AQQoLfwBBDQt/AEEgC38AQSILfwBBKwt/AEEsC38AQS0LfwBBLgt/AEEwC38A' +
  'QTELfwBBOgt/AEHbAAt/AEHcAAt/AEHdAAt/AEHhAAt/AEHkAAt/AEHlAAt/AEHmAAt/AEHpAAt/AEHuAAt/AEHzAAt/AEH0' +
  'AAt/AEH1AAt/AEH7AAt/AEH9AAt/AEEgC38AQQoLfwBBCQt/AEEGC38AQQILfwBBEAsHKAQGbWVtb3J5AgAHUkVTVUxUUwMA' +
  'CkZSQU1FX0JBU0UDBARzY2FuAA0IAQAKgQ8OfgECf0EAIQADQCMDIABqIxM6AAAgAEEBaiEAIAAjFEkNAAsjAiEAAkADQCAA' +
  'LQAAIQEgAUUNASMDIAFqIw86AAAgAEEBaiEADAALCyMDIyRqIxA6AAAjAyM4aiMROgAAIwMjLGojEToAACMDIzlqIxI6AAAj' +
  'AyMuaiMSOgAACwoAIAAjKWsjO0kLRAEBfwJAA0AgACABTw0BIAAtAAAhAiACIyNLDQEgAiMjRiACIyBGciACIyFGIAIjIkZy' +
  'ckUNASAAQQFqIQAMAAsLIAALowECAXsDfyMk/Q8hAgNAIAAgAU8EQCMMDwsgAP0ABAAgAv0j/WQhAwJAA0AgA0UNASAAIANo' +
  'aiEEIAQgAU8EQCMMDwsgBEEBay0AACMtRwRAIARBAWoPCyAEQQJrIQUDQCAFLQAAIy1GBEAgBUEBayEFDAELCyAEQQFrIAVr' +
  'QQFxRQRAIARBAWoPCyADIANBAWtxIQMMAAsLIAAjP2ohAAwACwALJwACQANAIAAgAU8NASAALQAAIylrIztPDQEgAEEBaiEA' +
  'DAALCyAAC/YBAQF/IAAtAAAjJ0YEQCAAQQFqIQALIAAgAU8EQCMMDwsgAC0AACECIAIjKUYEQCAAQQFqIQAFIAIjKmsjPE8E' +
  'QCMNDwsgAEEBaiABEAQhAAsgACABSQRAIAAtAAAjKEYEQCAAQQFqIQAgACABTwRAIwwPCyAALQAAEAFFBEAjDQ8LIABBAWog' +
  'ARAEIQALCyAAIAFJBEAgAC0AACM6ciMxRgRAIABBAWohACAAIAFJBEAgAC0AACECIAIjJUYgAiMnRnIEQCAAQQFqIQALCyAA' +
  'IAFPBEAjDA8LIAAtAAAQAUUEQCMNDwsgAEEBaiABEAQhAAsLIAALSAEBf0EBIQQCQANAIAQgA08NASAAIARqIAFPBEAjDA8L' +
  'IAAgBGotAAAgAiAEai0AAEcEQCMNDwsgBEEBaiEEDAALCyAAIANqC1oBAX8gAC0AACECIAIjJ0YgAhABcgRAIAAgARAFDwsg' +
  'AiM2RgRAIAAgASMFIwgQBg8LIAIjMkYEQCAAIAEjBiMJEAYPCyACIzRGBEAgACABIwcjChAGDwsjDQuyAQEDfwNAAkADQCAA' +
  'IAFPBEAjDA8LIAAtAAAhBCMDIARqLQAAIQUgBSMPRw0BIABBAWohAAwACwsgBSMQRgRAIABBAWogARADIQAgAEEASARAIAAP' +
  'CwwBCyAFIxFGBEAgAiADaiAEIz5qOgAAIANBAWohAyAAQQFqIQAMAQsgBSMSRgRAIANBAWshAyACIANqLQAAIARHBEAjDQ8L' +
  'IABBAWohACADRQRAIAAPCwwBCwsjDQsyAQF/IAAjKWsjO0kEQCAAIylrDwsgACM6ciEBIAEjL2sjPUkEQCABIy9rIztqDwtB' +
  'fwtfAQR/IAAtAAAQCSEBIABBAWotAAAQCSECIABBAmotAAAQCSEDIABBA2otAAAQCSEEIAEgAnIgAyAEcnJBAEgEQEF/Dwsg' +
  'ASMfQQNsdCACIx9BAmx0ciADIx90IARycgurAQEEfyAAIQICQANAIAIgAU8NASADQQNGBEAjFQ8LIAItAAAhBSAFIy1GBEAg' +
  'AiMaaiABSwRAIxUPCyACQQFqLQAAIzdHBEAjFQ8LIAJBAmoQCiEFIAIjGmohAgUgAkEBaiECCyAFIx1PBEAjFQ8LIAQgBSAD' +
  'Ix5sdHIhBCADQQFqIQMMAAsLIANBA0YgBCMYRnEEQCMWDwsgA0ECRiAEIxlGcQRAIxcPCyMVC4ABAQJ/IAAtAAAhAiABIABr' +
  'IQMgAiM3RgRAIANBA0YgAEEBai0AACMzRiAAQQJqLQAAIzBGcXEEQCMWDwsFIAIjNkYEQCADQQJGIABBAWotAAAjNUZxBEAj' +
  'Fw8LBSACIy1HBEAjFQ8LCwsgAyMbSSADIxxLcgRAIxUPCyAAIAEQCwvQAwEKfyMOIQojDiELIw4hDCMOIQ0gACABaiEEIAAg' +
  'AmpBAWogBBACIQUgBSAETwRAIwwPCwJAIAUtAAAjOUYNAANAIAUtAAAjJEcEQCMNDwsgBUEBaiAEEAMhCCAIQQBIBEAgCA8L' +
  'IAVBAWogCEEBaxAMIQYgCCEFIAUtAAAjI00EQCAFIAQQAiEFCyAFIARPBEAjDA8LIAUtAAAjK0cEQCMNDwsgBUEBaiEHIAct' +
  'AAAjI00EQCAHIAQQAiEHCyAHIARPBEAjDA8LIActAAAhCSAJIyRGBEAgB0EBaiAEEAMhCAUgCSM4RiAJIyxGcgRAIAcgBCAD' +
  'EAghCAUgByAEEAchCAsLIAhBAEgEQCAIDwsgBiMWRgRAIAcgAGshCiAIIABrIQsLIAYjF0YEQCAHIABrIQwgCCAAayENCyAI' +
  'IQUgBS0AACMjTQRAIAUgBBACIQULIAUgBE8EQCMMDwsgBS0AACEJIAkjOUYNASAJIyZHBEAjDQ8LIAVBAWohBSAFLQAAIyNN' +
  'BEAgBSAEEAIhBQsgBSAETwRAIwwPCwwACwsgBUEBaiAEEAIgBEkEQCMNDwsjACAKNgIAIwAgCzYCBCMAIAw2AggjACANNgIM' +
  'IwsLCzcCAEEgCw10cnVlZmFsc2VudWxsAEHAAAseIAkNCiw6LSsuMDEyMzQ1Njc4OWVFdHJ1ZmFsc24A';

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const OPEN_BRACE = 0x7b;
const DIGIT_0 = 0x30;
const DECIMAL_DIGITS = 10;
const PAGE_BYTES = 64 * 1024;
/** The previous scanner's layout: 16 bytes of slack after the frame, then a one-byte-per-bracket stack. */
const PREVIOUS_SLACK = 16;
const PREVIOUS_OK = 0;
/** i32 slots of its results: uid start, uid end, ts start, ts end. */
const UID_START = 0;
const UID_END = 1;
const TS_START = 2;
const TS_END = 3;

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { readonly exports: Readonly<Record<string, unknown>> };
}
interface WasmExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  readonly scan: (base: number, length: number, open: number, stack: number) => number;
  readonly FRAME_BASE: { readonly value: number };
  readonly RESULTS: { readonly value: number };
}

const isWhitespace = (c: number): boolean => c === SPACE || c === TAB || c === LF || c === CR;

/**
 * The previous `fast` decoder around that module, with the same steps per
 * frame (length check, leading whitespace, native UTF-8 check, one copy into
 * wasm memory, one call), trimmed where this corpus does not need the rules:
 * it hashes a uid without escapes and reads a ts of plain digits, and refuses
 * anything else rather than misread it. That is the work the previous
 * decoder did on these frames.
 */
class PreviousScanner {
  readonly name = 'previous fast';
  private readonly exports: WasmExports;
  private readonly bytes: Uint8Array;
  private readonly words: Int32Array;

  constructor(longestFrame: number) {
    const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const module = new api.Module(Buffer.from(PREVIOUS_SCANNER_BASE64, 'base64'));
    this.exports = new api.Instance(module, {}).exports as unknown as WasmExports;
    const needed = this.exports.FRAME_BASE.value + 2 * longestFrame + PREVIOUS_SLACK;
    const memory = this.exports.memory;
    if (needed > memory.buffer.byteLength) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE_BYTES));
    this.bytes = new Uint8Array(memory.buffer);
    this.words = new Int32Array(memory.buffer);
  }

  decode(b: Buffer, out: DecodedFrame): boolean {
    const length = b.length;
    let open = 0;
    while (open < length && isWhitespace(b[open]!)) open++;
    if (open === length || !isUtf8(b) || b[open] !== OPEN_BRACE) return false;
    const base = this.exports.FRAME_BASE.value;
    this.bytes.set(b, base);
    if (this.exports.scan(base, length, open, base + length + PREVIOUS_SLACK) !== PREVIOUS_OK) return false;
    const results = this.exports.RESULTS.value >> 2;
    const w = this.words;
    let tsStart = w[results + TS_START]!;
    let tsEnd = w[results + TS_END]!;
    const uidStart = w[results + UID_START]! + 1;
    const uidEnd = w[results + UID_END]! - 1;
    if (uidStart <= 0 || tsStart < 0 || b[uidStart - 1] !== QUOTE) return false;
    for (let k = uidStart; k < uidEnd; k++) if (b[k] === BACKSLASH) return false;
    hashUid(b, uidStart, uidEnd, out);
    if (b[tsStart] === QUOTE) {
      tsStart++;
      tsEnd--;
    }
    let ts = 0;
    for (let k = tsStart; k < tsEnd; k++) {
      const digit = b[k]! - DIGIT_0;
      // Fractions and exponents are not in these corpora; refuse rather than misread.
      if (digit < 0 || digit >= DECIMAL_DIGITS) return false;
      ts = ts * DECIMAL_DIGITS + digit;
    }
    out.ts = ts;
    return true;
  }
}

/** All frames read alike by the reference, or its figure would mean nothing. */
function checkPrevious(previous: PreviousScanner, decoder: FrameDecoder, frames: readonly Buffer[]): void {
  const a: DecodedFrame = { uidHi: 0, uidLo: 0, ts: 0 };
  const b: DecodedFrame = { uidHi: 0, uidLo: 0, ts: 0 };
  for (const frame of frames) {
    decoder.decode(frame, a);
    if (!previous.decode(frame, b) || a.uidHi !== b.uidHi || a.uidLo !== b.uidLo || a.ts !== b.ts) {
      throw new Error(`the previous scanner misreads ${frame.toString().slice(0, 80)}...`);
    }
  }
}

function previousAll(previous: PreviousScanner, frames: readonly Buffer[], out: DecodedFrame): void {
  for (const frame of frames)
    if (!previous.decode(frame, out)) throw new Error('the previous scanner refused a valid frame');
}

// ---- ways to find the end of every string in a frame in JavaScript (the JS scanner's inner loop)

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
  return summarize(
    m.name,
    'MB/s',
    m.values.map((framesPerSecond) => (framesPerSecond * bytesPerFrame) / MB),
  );
}

export const decodeSuite: Suite = async (ctx) => {
  const count = ctx.quick ? QUICK_FRAMES : FULL_FRAMES;
  const runs = Math.max(MIN_RUNS, ctx.runs);
  const synthetic = syntheticCorpus(count);
  const generated = generatorCorpus(count);
  const { frames, bytes } = synthetic;
  const bytesPerFrame = bytes / frames.length;
  const generatedBytesPerFrame = generated.bytes / generated.frames.length;
  ctx.log(
    `decode: ${frames.length} frames, ${(bytes / MB).toFixed(1)} MB, ${bytesPerFrame.toFixed(0)} bytes per frame; ` +
      `generator corpus ${(generated.bytes / MB).toFixed(1)} MB, ${generatedBytesPerFrame.toFixed(0)} ` +
      `bytes per frame; ${runs} runs`,
  );

  const fast = createDecoder('fast');
  const fastJs = createDecoder('fast-js');
  const json = createDecoder('json');
  const simdjson = tryDecoder('simdjson');
  const longest = Math.max(...frames.map((f) => f.length), ...generated.frames.map((f) => f.length));
  const previous = new PreviousScanner(longest);
  const decoders = simdjson === undefined ? [fast, fastJs, json] : [fast, fastJs, json, simdjson];
  checkAgreement(decoders, frames);
  checkAgreement([fast, fastJs, json], generated.frames);
  checkPrevious(previous, fast, frames);
  checkPrevious(previous, fast, generated.frames);
  const engine = wasmScannerAvailable() ? 'WebAssembly SIMD, 64-byte steps' : 'JavaScript: no WebAssembly SIMD here';

  const out: DecodedFrame = { uidHi: 0, uidLo: 0, ts: 0 };
  // On a shared machine the wall clock also counts time the process spent
  // waiting for a core, so each run's CPU time (user + system, which includes
  // V8's GC helper threads) is kept too, as a second view.
  const cpuRates = new Map<string, number[]>();
  const timed = (name: string, corpus: Corpus, work: () => unknown): BenchCase => {
    const rates: number[] = [];
    cpuRates.set(name, rates);
    return {
      name,
      run: async () => {
        const cpu = process.cpuUsage();
        const rate = corpus.frames.length / (await timeSeconds(work));
        const used = process.cpuUsage(cpu);
        rates.push(corpus.frames.length / ((used.user + used.system) / MICROSECONDS_PER_SECOND));
        return rate;
      },
    };
  };
  const cases: BenchCase[] = [
    timed(`fast (${engine})`, synthetic, () => decodeAll(fast, frames, out)),
    timed('previous fast (WebAssembly, 16-byte search per string; reference)', synthetic, () =>
      previousAll(previous, frames, out),
    ),
    timed('fast-js (JavaScript, Buffer#indexOf)', synthetic, () => decodeAll(fastJs, frames, out)),
    timed('JSON.parse (toString + JSON.parse)', synthetic, () => parseAll(frames)),
    timed('json decoder', synthetic, () => decodeAll(json, frames, out)),
  ];
  if (simdjson !== undefined) cases.push(timed('simdjson decoder', synthetic, () => decodeAll(simdjson, frames, out)));
  const generatorCases: BenchCase[] = [
    timed('generator corpus: fast', generated, () => decodeAll(fast, generated.frames, out)),
    timed('generator corpus: previous fast', generated, () => previousAll(previous, generated.frames, out)),
    timed('generator corpus: fast-js', generated, () => decodeAll(fastJs, generated.frames, out)),
    timed('generator corpus: JSON.parse', generated, () => parseAll(generated.frames)),
  ];
  const load = loadavg()[0]!;
  const onRun = (name: string, run: number, value: number): void =>
    ctx.log(`decode: ${name} run ${run + 1}: ${(value / 1e3).toFixed(1)} k frames/s`);
  const decoding = await compare(cases, { unit: 'frames/s', runs, warmup: DECODE_WARMUP, onRun });
  const generating = await compare(generatorCases, { unit: 'frames/s', runs, warmup: DECODE_WARMUP, onRun });
  const cpuOf = (c: BenchCase): Measurement =>
    summarize(c.name, 'frames/CPU-s', cpuRates.get(c.name)!.slice(DECODE_WARMUP));
  const decodingCpu = cases.map(cpuOf);
  const generatingCpu = generatorCases.map(cpuOf);

  let sink = 0;
  const framesPerSecond = (work: () => unknown) => async (): Promise<number> =>
    frames.length / (await timeSeconds(work));
  const strings = await compare(
    [
      {
        name: 'byte loop',
        run: framesPerSecond(() =>
          frames.forEach((f) => {
            sink += stringsByLoop(f);
          }),
        ),
      },
      {
        name: 'Buffer#indexOf',
        run: framesPerSecond(() =>
          frames.forEach((f) => {
            sink += stringsByBufferIndexOf(f);
          }),
        ),
      },
      {
        name: 'latin1 + String#indexOf',
        run: framesPerSecond(() =>
          frames.forEach((f) => {
            sink += stringsByLatin1IndexOf(f);
          }),
        ),
      },
    ],
    { unit: 'frames/s', runs, warmup: STRING_WARMUP },
  );
  // Every variant ran (warmup + runs) times over every frame; the sum is only
  // right if all of them found the same strings.
  const stringsInCorpus = frames.reduce((total, f) => total + stringsByLoop(f), 0);
  if (sink !== 3 * (STRING_WARMUP + runs) * stringsInCorpus) throw new Error('the string-finding variants disagree');

  const [wasm, prior, js, baseline, jsonDecoder, simd] = decoding as [
    Measurement,
    Measurement,
    Measurement,
    Measurement,
    Measurement,
    Measurement | undefined,
  ];
  const [wasmCpu, priorCpu, jsCpu, baselineCpu] = decodingCpu as [Measurement, Measurement, Measurement, Measurement];
  const [genWasm, genPrior, genJs, genParse] = generating as [Measurement, Measurement, Measurement, Measurement];
  const [genWasmCpu, genPriorCpu] = generatingCpu as [Measurement, Measurement];
  const [loop, bufferIndexOf, latin1IndexOf] = strings as [Measurement, Measurement, Measurement];
  const times = (x: number): string => `${x.toFixed(1)}x`;
  const mbPerSecond = (m: Measurement, frameBytes: number): string => ((m.median * frameBytes) / MB).toFixed(0);
  const microsPerFrame = (m: Measurement): string => (MICROSECONDS_PER_SECOND / m.median).toFixed(2);
  const decoderNames = decoders.map((d) => d.name).join(', ');
  const wall = ratio(wasm, baseline);
  const cpu = ratio(wasmCpu, baselineCpu);
  const verdict =
    wall >= TARGET_RATIO && cpu >= TARGET_RATIO
      ? 'met'
      : wall >= TARGET_RATIO || cpu >= TARGET_RATIO
        ? 'met by one measure only'
        : 'NOT met';
  const notes = [
    `fast / JSON.parse: ${times(wall)} by wall clock, ${times(cpu)} by CPU time (medians); target ` +
      `${TARGET_RATIO}x: ${verdict}`,
    `fast / previous fast: ${times(ratio(wasm, prior))} by wall clock, ${times(ratio(wasmCpu, priorCpu))} ` +
      `by CPU time; on the generator corpus ${times(ratio(genWasm, genPrior))} and ` +
      `${times(ratio(genWasmCpu, genPriorCpu))}`,
    `fast-js / JSON.parse: ${times(ratio(js, baseline))} by wall clock, ${times(ratio(jsCpu, baselineCpu))} ` +
      `by CPU time; fast / fast-js: ${times(ratio(wasm, js))}`,
    `fast: ${mbPerSecond(wasm, bytesPerFrame)} MB/s, ${microsPerFrame(wasm)} µs per frame (medians); ` +
      `generator corpus: ${mbPerSecond(genWasm, generatedBytesPerFrame)} MB/s, ${microsPerFrame(genWasm)} ` +
      `µs per frame, ${times(ratio(genWasm, genParse))} JSON.parse, ${times(ratio(genWasm, genJs))} fast-js`,
    simd === undefined
      ? 'simdjson: not measured, its native addon is not built here'
      : `fast / simdjson: ${times(ratio(wasm, simd))}; simdjson / JSON.parse: ${times(ratio(simd, baseline))}`,
    `fast / json decoder: ${times(ratio(wasm, jsonDecoder))}`,
    `finding the ends of the ${(stringsInCorpus / frames.length).toFixed(0)} strings of a frame in ` +
      `JavaScript: String#indexOf on latin1 text is ${times(ratio(latin1IndexOf, loop))} a byte loop ` +
      `and ${times(ratio(latin1IndexOf, bufferIndexOf))} Buffer#indexOf`,
    `all ${frames.length} frames of each corpus decoded to the same uid hash and ts by ${decoderNames} ` +
      `and the previous scanner`,
    `corpora: ${(bytes / MB).toFixed(1)} MB, ${bytesPerFrame.toFixed(0)} bytes per frame (synthetic); ` +
      `${(generated.bytes / MB).toFixed(1)} MB, ${generatedBytesPerFrame.toFixed(0)} bytes per frame ` +
      `(generator); load average ${load.toFixed(1)} on ${availableParallelism()} cores at the start`,
  ];
  return {
    id: 'decode',
    title: 'Frame decoding',
    tables: [
      { caption: 'Decoding ~2 KB frames (frames/s)', measurements: decoding },
      { caption: 'Decoding ~2 KB frames (MB/s)', measurements: decoding.map((m) => toMegabytes(m, bytesPerFrame)) },
      { caption: 'Decoding ~2 KB frames, per CPU second (frames/CPU-s)', measurements: decodingCpu },
      { caption: "Decoding the generator's ~2 KB frames (frames/s)", measurements: generating },
      { caption: "Decoding the generator's ~2 KB frames, per CPU second (frames/CPU-s)", measurements: generatingCpu },
      { caption: 'Finding the end of every string in a frame in JavaScript (frames/s)', measurements: strings },
    ],
    notes,
  };
};
