/**
 * Frame decoding, side by side on the same in-memory corpus of ~2 KB frames
 * (./decode-frames.ts), in frames/s and MB/s: @uniqstream/frames' `fast`
 * decoder (the WebAssembly SIMD scanner) and `fast-js` (the same scanner in
 * JavaScript), the previous `fast` scanner's latin1 approach as a reference
 * (kept only here), the bare baseline `JSON.parse(buffer.toString())` plus
 * reading uid and ts, the package's json decoder (that baseline with the
 * shared checks and the uid hash), and the simdjson decoder (the npm
 * `simdjson` addon). A last table compares ways to find string ends in
 * JavaScript, the JS scanner's main cost. The frames are subarrays of one
 * buffer, as a source hands them over.
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

// ---- the previous `fast` scanner's approach, as a reference

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const COLON = 0x3a;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const LOWER_E = 0x65;
const LOWER_I = 0x69;
const LOWER_D = 0x64;
const LOWER_S = 0x73;
const LOWER_T = 0x74;
const LOWER_U = 0x75;
const LOWER_CASE_BIT = 0x20;
/** In ASCII the closer of `{` and `[` is two code points further. */
const CLOSER_OFFSET = 2;
const LATIN1_FAILED = -1;
const KEY_OTHER = 0;
const KEY_UID = 1;
const KEY_TS = 2;
/** Bytes that may appear outside strings inside nested values (as in the frames package). */
const NESTED_PLAIN = new Uint8Array(256);
for (const ch of ' \t\r\n,:-+.0123456789eEtrufalsn') NESTED_PLAIN[ch.charCodeAt(0)] = 1;

const isWhitespace = (c: number): boolean => c === SPACE || c === TAB || c === LF || c === CR;
const isDigit = (c: number): boolean => c >= DIGIT_0 && c <= DIGIT_9;

function latin1WhitespaceEnd(b: Buffer, i: number, end: number): number {
  while (i < end && b[i]! <= SPACE && isWhitespace(b[i]!)) i++;
  return i;
}

/** Position after the closing quote of the string whose content starts at `from`, found with `String#indexOf`. */
function latin1StringEnd(b: Buffer, text: string, from: number): number {
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return LATIN1_FAILED;
    if (b[quote - 1] !== BACKSLASH || !escaped(b, quote)) return quote + 1;
    from = quote + 1;
  }
}

function latin1ScalarEnd(b: Buffer, i: number, end: number): number {
  // Numbers, true/false/null: the bytes they can hold (the package checks their
  // grammar too; on this corpus that is a few dozen bytes a frame).
  while (i < end && NESTED_PLAIN[b[i]!] === 1 && b[i] !== COMMA && !isWhitespace(b[i]!)) i++;
  return i;
}

function latin1NestedEnd(b: Buffer, text: string, i: number, end: number, closers: Uint8Array): number {
  let depth = 0;
  for (;;) {
    while (i < end && NESTED_PLAIN[b[i]!] === 1) i++;
    if (i >= end) return LATIN1_FAILED;
    const c = b[i]!;
    if (c === QUOTE) {
      i = latin1StringEnd(b, text, i + 1);
      if (i < 0) return i;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      closers[depth++] = c + CLOSER_OFFSET;
      i++;
    } else if (closers[--depth] === c) {
      i++;
      if (depth === 0) return i;
    } else {
      return LATIN1_FAILED;
    }
  }
}

function latin1KeyKind(b: Buffer, start: number, end: number): number {
  const length = end - start;
  if (length === 3 && b[start] === LOWER_U && b[start + 1] === LOWER_I && b[start + 2] === LOWER_D) return KEY_UID;
  if (length === 2 && b[start] === LOWER_T && b[start + 1] === LOWER_S) return KEY_TS;
  return KEY_OTHER;
}

/**
 * The latin1 approach of the previous `fast` scanner, trimmed to what this
 * corpus needs (no escaped keys, uids or ts strings; plain-digit ts): the
 * frame's latin1 text is built so `String#indexOf('"')` (memchr) can find
 * string ends. It makes a string per frame, which is why the package dropped
 * it; it is kept here to show what the WebAssembly scanner replaced.
 */
class Latin1Reference {
  readonly name = 'latin1 reference';
  /** One byte per open bracket: a frame cannot nest deeper than it is long. */
  private readonly closers: Uint8Array;

  constructor(longestFrame: number) {
    this.closers = new Uint8Array(longestFrame);
  }

  decode(b: Buffer, out: DecodedFrame): boolean {
    const end = b.length;
    if (!isUtf8(b)) return false;
    const text = b.toString('latin1');
    let uidStart = -1;
    let uidEnd = -1;
    let tsStart = -1;
    let tsEnd = -1;
    let i = latin1WhitespaceEnd(b, 0, end);
    if (b[i] !== OPEN_BRACE) return false;
    i = latin1WhitespaceEnd(b, i + 1, end);
    for (;;) {
      if (b[i] !== QUOTE) return false;
      const keyEnd = latin1StringEnd(b, text, i + 1);
      if (keyEnd < 0) return false;
      const key = latin1KeyKind(b, i + 1, keyEnd - 1);
      i = latin1WhitespaceEnd(b, keyEnd, end);
      if (b[i] !== COLON) return false;
      const valueStart = latin1WhitespaceEnd(b, i + 1, end);
      const first = b[valueStart];
      let valueEnd: number;
      if (first === QUOTE) valueEnd = latin1StringEnd(b, text, valueStart + 1);
      else if (first === OPEN_BRACE || first === OPEN_BRACKET) valueEnd = latin1NestedEnd(b, text, valueStart, end, this.closers);
      else valueEnd = latin1ScalarEnd(b, valueStart, end);
      if (valueEnd < 0) return false;
      if (key === KEY_UID) {
        uidStart = valueStart;
        uidEnd = valueEnd;
      } else if (key === KEY_TS) {
        tsStart = valueStart;
        tsEnd = valueEnd;
      }
      i = latin1WhitespaceEnd(b, valueEnd, end);
      if (b[i] === CLOSE_BRACE) break;
      if (b[i] !== COMMA) return false;
      i = latin1WhitespaceEnd(b, i + 1, end);
    }
    if (latin1WhitespaceEnd(b, i + 1, end) < end || uidStart < 0 || tsStart < 0 || b[uidStart] !== QUOTE) return false;
    hashUid(b, uidStart + 1, uidEnd - 1, out);
    if (b[tsStart] === QUOTE) {
      tsStart++;
      tsEnd--;
    }
    let ts = 0;
    for (let k = tsStart; k < tsEnd; k++) {
      const c = b[k]!;
      // Fractions and exponents are not in this corpus; refuse rather than misread.
      if (c === DOT || c === MINUS || (c | LOWER_CASE_BIT) === LOWER_E || !isDigit(c)) return false;
      ts = ts * 10 + c - DIGIT_0;
    }
    out.ts = ts;
    return true;
  }
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
  return summarize(m.name, 'MB/s', m.values.map((framesPerSecond) => (framesPerSecond * bytesPerFrame) / MB));
}

/** All frames read alike by the reference, or its figure would mean nothing. */
function checkReference(reference: Latin1Reference, decoder: FrameDecoder, frames: readonly Buffer[]): void {
  const a: DecodedFrame = { uidHi: 0, uidLo: 0, ts: 0 };
  const b: DecodedFrame = { uidHi: 0, uidLo: 0, ts: 0 };
  for (const frame of frames) {
    decoder.decode(frame, a);
    if (!reference.decode(frame, b) || a.uidHi !== b.uidHi || a.uidLo !== b.uidLo || a.ts !== b.ts) {
      throw new Error(`the latin1 reference misreads ${frame.toString().slice(0, 80)}...`);
    }
  }
}

function referenceAll(reference: Latin1Reference, frames: readonly Buffer[], out: DecodedFrame): void {
  for (const frame of frames) if (!reference.decode(frame, out)) throw new Error('the latin1 reference refused a valid frame');
}

export const decodeSuite: Suite = async (ctx) => {
  const count = ctx.quick ? QUICK_FRAMES : FULL_FRAMES;
  const runs = Math.max(MIN_RUNS, ctx.runs);
  const { frames, bytes } = corpus(count);
  const bytesPerFrame = bytes / frames.length;
  ctx.log(`decode: ${frames.length} frames, ${(bytes / MB).toFixed(1)} MB, ${bytesPerFrame.toFixed(0)} bytes per frame, ${runs} runs`);

  const fast = createDecoder('fast');
  const fastJs = createDecoder('fast-js');
  const json = createDecoder('json');
  const simdjson = tryDecoder('simdjson');
  const reference = new Latin1Reference(Math.max(...frames.map((f) => f.length)));
  const decoders = simdjson === undefined ? [fast, fastJs, json] : [fast, fastJs, json, simdjson];
  checkAgreement(decoders, frames);
  checkReference(reference, fast, frames);
  const engine = wasmScannerAvailable() ? 'WebAssembly SIMD' : 'JavaScript: no WebAssembly SIMD here';

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
    timed(`fast (${engine})`, () => decodeAll(fast, frames, out)),
    timed('fast-js (JavaScript, Buffer#indexOf)', () => decodeAll(fastJs, frames, out)),
    timed('latin1 + String#indexOf scanner (previous fast, reference)', () => referenceAll(reference, frames, out)),
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

  const [wasm, js, latin1, baseline, jsonDecoder, simd] = decoding as [
    Measurement,
    Measurement,
    Measurement,
    Measurement,
    Measurement,
    Measurement | undefined,
  ];
  const [wasmCpu, jsCpu, latin1Cpu, baselineCpu] = decodingCpu as [Measurement, Measurement, Measurement, Measurement];
  const [loop, bufferIndexOf, latin1IndexOf] = strings as [Measurement, Measurement, Measurement];
  const times = (x: number): string => `${x.toFixed(1)}x`;
  const wall = ratio(wasm, baseline);
  const cpu = ratio(wasmCpu, baselineCpu);
  const verdict =
    wall >= TARGET_RATIO && cpu >= TARGET_RATIO
      ? 'met'
      : wall >= TARGET_RATIO || cpu >= TARGET_RATIO
        ? 'met by one measure only'
        : 'NOT met';
  const notes = [
    `fast / JSON.parse: ${times(wall)} by wall clock, ${times(cpu)} by CPU time (medians); target ${TARGET_RATIO}x: ${verdict}`,
    `fast-js / JSON.parse: ${times(ratio(js, baseline))} by wall clock, ${times(ratio(jsCpu, baselineCpu))} by CPU time`,
    `fast / fast-js: ${times(ratio(wasm, js))}; fast / latin1 reference: ${times(ratio(wasm, latin1))} (CPU: ${times(ratio(wasmCpu, latin1Cpu))}); latin1 reference / JSON.parse: ${times(ratio(latin1, baseline))}`,
    `fast: ${((wasm.median * bytesPerFrame) / MB).toFixed(0)} MB/s (median)`,
    simd === undefined
      ? 'simdjson: not measured, its native addon is not built here'
      : `fast / simdjson: ${times(ratio(wasm, simd))}; simdjson / JSON.parse: ${times(ratio(simd, baseline))}`,
    `fast / json decoder: ${times(ratio(wasm, jsonDecoder))}`,
    `finding the ends of the ${(stringsInCorpus / frames.length).toFixed(0)} strings of a frame in JavaScript: String#indexOf on latin1 text is ${times(ratio(latin1IndexOf, loop))} a byte loop and ${times(ratio(latin1IndexOf, bufferIndexOf))} Buffer#indexOf`,
    `all ${frames.length} frames decoded to the same uid hash and ts by ${decoders.map((d) => d.name).join(', ')} and the latin1 reference`,
    `corpus: ${(bytes / MB).toFixed(1)} MB, ${bytesPerFrame.toFixed(0)} bytes per frame; load average ${load.toFixed(1)} on ${availableParallelism()} cores at the start`,
  ];
  return {
    id: 'decode',
    title: 'Frame decoding',
    tables: [
      { caption: 'Decoding ~2 KB frames (frames/s)', measurements: decoding },
      { caption: 'Decoding ~2 KB frames (MB/s)', measurements: decoding.map((m) => toMegabytes(m, bytesPerFrame)) },
      { caption: 'Decoding ~2 KB frames, per CPU second (frames/CPU-s)', measurements: decodingCpu },
      { caption: 'Finding the end of every string in a frame in JavaScript (frames/s)', measurements: strings },
    ],
    notes,
  };
};
