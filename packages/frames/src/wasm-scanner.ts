/**
 * The `fast` decoder: the scan runs in WebAssembly with SIMD
 * (src/wasm/scanner.wat, compiled at build time). Each frame is copied into
 * the module's memory (one `Uint8Array#set`, a memcpy) and decoded in one
 * call, which for the common frame also hashes the uid and reads the ts, so
 * that JavaScript only reads three numbers back; other frames get the value
 * ranges, and JavaScript applies the rules to them (src/root-values.ts). No
 * string is built.
 *
 * Why WebAssembly: a frame is ~90% string content, and JavaScript has no way
 * to search bytes for a quote that is both fast and string-free (see
 * src/scanner.ts). Wasm SIMD classifies 64 bytes per step, and the rest of
 * the scan runs as compiled code without bounds checks on every typed-array
 * read.
 */

import { isUtf8 } from 'node:buffer';
import { DEFAULT_MAX_FRAME_BYTES } from './contract.js';
import type { DecodedFrame, FrameDecoder, MalformedKind } from './contract.js';
import { readRootValues } from './root-values.js';
import { JsScanDecoder } from './scanner.js';
import { Unescaper } from './unescape.js';
import { SCANNER_WASM_BASE64, SIMD_PROBE_BASE64 } from './wasm/scanner-binary.generated.js';

/** WebAssembly's page size. */
const PAGE_BYTES = 64 * 1024;
/**
 * Room after the frame for the 64-byte step that starts near its end (the
 * scanner masks off every byte at or past the end, so what lies there does
 * not matter).
 */
const BLOCK_SLACK = 64;
/** Stage 1 reads the frame in blocks of this many bytes and writes a mask of this many bytes per block. */
const BLOCK_BYTES = 64;
const MASK_BYTES = 8;
/** The masks of every block, one empty mask after them, and one spare. */
const EXTRA_MASKS = 2;
/** List entries are i32 addresses; stage 1 writes this many per block before counting. */
const ENTRY_BYTES = 4;
const UNROLLED_ENTRIES = 4;

/**
 * Wasm memory never shrinks, so one huge frame would pin its size for the
 * decoder's life. Frames that need more than this (~10 MiB of frame) are
 * scanned by the JavaScript scanner instead; real frames are ~2 KB.
 */
const DEFAULT_MEMORY_LIMIT_BYTES = 64 * 1024 * 1024;

/** `decode`'s results (scanner.wat). */
const DECODED = 0;
const RANGES_ONLY = 1;
const TRUNCATED = -1;
const INVALID = -2;
const EMPTY = -3;
const NOT_OBJECT = -4;
/** Offsets (bytes) of the result area's i32s: the four value ranges, then h1, h2 and the ts. */
const UID_START_AT = 0;
const UID_END_AT = 4;
const TS_START_AT = 8;
const TS_END_AT = 12;
const HASH_HI_AT = 16;
const HASH_LO_AT = 20;
const TS_AT = 24;
const LITTLE_ENDIAN = true;

/**
 * The parts of the WebAssembly JS API used here. Node has it, but the
 * TypeScript libs this repository compiles against (ES2023, no DOM) do not
 * declare it, so it is reached through `globalThis` and checked at run time.
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { readonly exports: Readonly<Record<string, unknown>> };
}
/** `decode`: (base, length, stack, quote masks, lists) -> status. */
type DecodeFunction = (base: number, length: number, stack: number, quoteMasks: number, lists: number) => number;

function webAssembly(): WasmApi | undefined {
  const api = (globalThis as { WebAssembly?: Partial<WasmApi> }).WebAssembly;
  if (typeof api?.validate !== 'function' || typeof api.Module !== 'function' || typeof api.Instance !== 'function') {
    return undefined;
  }
  return api as WasmApi;
}

/** The compiled module, once per process; null when this engine cannot run it. */
let compiled: { api: WasmApi; module: object } | null | undefined;

function compiledScanner(): { api: WasmApi; module: object } | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  const api = webAssembly();
  if (api === undefined || !api.validate(Buffer.from(SIMD_PROBE_BASE64, 'base64'))) return compiled;
  try {
    compiled = { api, module: new api.Module(Buffer.from(SCANNER_WASM_BASE64, 'base64')) };
  } catch {
    // An engine that validates the probe but refuses the scanner gets the
    // JavaScript scanner, like one without SIMD.
  }
  return compiled;
}

/** Whether this engine runs the WebAssembly SIMD scanner (else `fast` is the JavaScript one). */
export function wasmScannerAvailable(): boolean {
  return compiledScanner() !== null;
}

function isMemory(value: unknown): value is WasmMemory {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Partial<WasmMemory>).buffer instanceof ArrayBuffer &&
    typeof (value as Partial<WasmMemory>).grow === 'function'
  );
}

function globalNumber(value: unknown, name: string): number {
  const v = typeof value === 'object' && value !== null ? (value as { value?: unknown }).value : undefined;
  if (typeof v !== 'number') throw new TypeError(`scanner module: export ${name} is not a number global`);
  return v;
}

/**
 * The scanner's scratch after frame bytes that end at `frameEnd`, for frames
 * of up to `length` bytes: the nesting stack (one byte per open bracket, so
 * `length + 1` bytes always suffice), the closing-quote masks (one per
 * 64-byte block, 8-byte aligned), then the lists (at most one entry per
 * byte, plus the unconditional stores of the last block).
 */
function stackAt(frameEnd: number): number {
  return frameEnd + BLOCK_SLACK;
}
function quoteMasksAt(frameEnd: number, length: number): number {
  return (stackAt(frameEnd) + length + 1 + MASK_BYTES - 1) & -MASK_BYTES;
}
function listsAt(frameEnd: number, length: number): number {
  return quoteMasksAt(frameEnd, length) + MASK_BYTES * (Math.ceil(length / BLOCK_BYTES) + EXTRA_MASKS);
}
function scratchEnd(frameEnd: number, length: number): number {
  return listsAt(frameEnd, length) + ENTRY_BYTES * (length + UNROLLED_ENTRIES);
}

export interface WasmScanOptions {
  /** Frames whose scan needs more wasm memory than this go to the JavaScript scanner. */
  readonly memoryLimitBytes?: number;
}

/** The JavaScript kinds of `decode`'s failures. */
function failureKind(status: number): MalformedKind {
  switch (status) {
    case TRUNCATED:
      return 'truncated';
    case EMPTY:
      return 'empty';
    case NOT_OBJECT:
      return 'not-object';
    case INVALID:
    default:
      return 'invalid-json';
  }
}

/**
 * The WebAssembly SIMD scanner. Construct it only where
 * `wasmScannerAvailable()` (it throws otherwise); `createFastDecoder` does that.
 */
export class WasmScanDecoder implements FrameDecoder {
  readonly name = 'fast';
  private readonly maxFrameBytes: number;
  private readonly memoryLimitBytes: number;
  private readonly memory: WasmMemory;
  private readonly decodeOne: DecodeFunction;
  private readonly frameBase: number;
  private readonly resultsAt: number;
  /** Views of the current memory buffer; replaced when memory grows. */
  private bytes: Uint8Array;
  private results: DataView;
  /** Longest frame the current memory holds, with its slack and scratch. */
  private capacity: number;
  /** For frames beyond memoryLimitBytes (or when the engine refuses to grow memory). */
  private readonly fallback: JsScanDecoder;
  private readonly unescaper = new Unescaper();

  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES, options: WasmScanOptions = {}) {
    const scanner = compiledScanner();
    if (scanner === null) throw new TypeError('WebAssembly SIMD is not available in this engine');
    const { exports } = new scanner.api.Instance(scanner.module, {});
    const memory = exports.memory;
    const decodeOne = exports.decode;
    if (!isMemory(memory) || typeof decodeOne !== 'function') {
      throw new TypeError('scanner module: missing exports');
    }
    this.maxFrameBytes = maxFrameBytes;
    this.memoryLimitBytes = options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
    this.memory = memory;
    // The module's own types (see the type aliases).
    this.decodeOne = decodeOne as DecodeFunction;
    this.frameBase = globalNumber(exports.FRAME_BASE, 'FRAME_BASE');
    this.resultsAt = globalNumber(exports.RESULTS, 'RESULTS');
    this.fallback = new JsScanDecoder(maxFrameBytes, this.name);
    this.bytes = new Uint8Array(memory.buffer);
    this.results = new DataView(memory.buffer);
    this.capacity = this.capacityOf(memory.buffer.byteLength);
  }

  /** Bytes of wasm memory this decoder holds (for tests and diagnostics). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Longest frame the current memory can scan without growing. */
  get frameCapacity(): number {
    return this.capacity;
  }

  decode(frame: Uint8Array, out: DecodedFrame, knownUtf8 = false): MalformedKind | null {
    const length = frame.length;
    // Checked first so that a runaway line is never scanned, not even for UTF-8.
    if (length > this.maxFrameBytes) return 'too-long';
    if (length > this.capacity && !this.reserve(length)) return this.fallback.decode(frame, out, knownUtf8);
    // Native (simdutf). Before the scan, which finds empty and non-object
    // frames: a frame of only whitespace is valid UTF-8, so the order of the
    // checks is still precheck's (src/precheck.ts).
    if (!knownUtf8 && !isUtf8(frame)) return 'invalid-utf8';
    this.bytes.set(frame, this.frameBase);
    const frameEnd = this.frameBase + length;
    const status = this.decodeOne(
      this.frameBase,
      length,
      stackAt(frameEnd),
      quoteMasksAt(frameEnd, length),
      listsAt(frameEnd, length),
    );
    // Wasm memory is little-endian on every platform; DataView says so.
    const r = this.results;
    const at = this.resultsAt;
    if (status === DECODED) {
      out.uidHi = r.getUint32(at + HASH_HI_AT, LITTLE_ENDIAN);
      out.uidLo = r.getUint32(at + HASH_LO_AT, LITTLE_ENDIAN);
      out.ts = r.getUint32(at + TS_AT, LITTLE_ENDIAN);
      return null;
    }
    if (status !== RANGES_ONLY) return failureKind(status);
    return readRootValues(
      frame,
      r.getInt32(at + UID_START_AT, LITTLE_ENDIAN),
      r.getInt32(at + UID_END_AT, LITTLE_ENDIAN),
      r.getInt32(at + TS_START_AT, LITTLE_ENDIAN),
      r.getInt32(at + TS_END_AT, LITTLE_ENDIAN),
      out,
      this.unescaper,
    );
  }

  /** Memory needed to scan a frame of `length` bytes: fixed area, frame, slack and scratch. */
  private bytesFor(length: number): number {
    return scratchEnd(this.frameBase + length, length);
  }

  private capacityOf(memoryBytes: number): number {
    // The longest length that fits: bytesFor only grows with length.
    let fits = 0;
    let tooLong = memoryBytes;
    while (tooLong - fits > 1) {
      const middle = Math.floor((fits + tooLong) / 2);
      if (this.bytesFor(middle) <= memoryBytes) fits = middle;
      else tooLong = middle;
    }
    return fits;
  }

  /** Grows memory for a frame of `length` bytes; false when that would pass the limit or fails. */
  private reserve(length: number): boolean {
    const needed = this.bytesFor(length);
    if (needed > this.memoryLimitBytes) return false;
    const current = this.memory.buffer.byteLength;
    try {
      this.memory.grow(Math.ceil((needed - current) / PAGE_BYTES));
    } catch {
      // The engine could not reserve it (address space, an embedder limit):
      // the JavaScript scanner needs no more than the frame itself.
      return false;
    }
    // Growing detaches the old buffer; every view must be made again.
    const buffer = this.memory.buffer;
    this.bytes = new Uint8Array(buffer);
    this.results = new DataView(buffer);
    this.capacity = this.capacityOf(buffer.byteLength);
    return true;
  }
}
