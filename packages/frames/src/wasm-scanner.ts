/**
 * The `fast` decoder: the root-level scan runs in WebAssembly with SIMD
 * (src/wasm/scanner.wat, compiled at build time). Each frame is copied into
 * the module's memory (one `Uint8Array#set`, a memcpy), scanned in one call,
 * and the uid and ts are then read in place from the frame at the offsets the
 * scan found. No string is built.
 *
 * Why WebAssembly: a frame is ~90% string content, and JavaScript has no way
 * to search bytes for a quote that is both fast and string-free (see
 * src/scanner.ts). Wasm SIMD compares 16 bytes per step, and the rest of the
 * scan (short runs between strings) runs as compiled code without bounds
 * checks on every typed-array read.
 */

import { DEFAULT_MAX_FRAME_BYTES } from './contract.js';
import type { DecodedFrame, FrameDecoder, MalformedKind } from './contract.js';
import { precheck } from './precheck.js';
import { readRootValues } from './root-values.js';
import { JsScanDecoder } from './scanner.js';
import { Unescaper } from './unescape.js';
import { SCANNER_WASM_BASE64, SIMD_PROBE_BASE64 } from './wasm/scanner-binary.generated.js';

/** WebAssembly's page size. */
const PAGE_BYTES = 64 * 1024;
/**
 * Room after the frame for the 16-byte loads that start near its end (the
 * scanner checks every position it finds against the end, so what lies there
 * does not matter).
 */
const VECTOR_SLACK = 16;
/**
 * Wasm memory never shrinks, so one huge frame would pin its size for the
 * decoder's life. Frames that need more than this (~32 MiB of frame) are
 * scanned by the JavaScript scanner instead; real frames are ~2 KB.
 */
export const DEFAULT_MEMORY_LIMIT_BYTES = 64 * 1024 * 1024;

/** `scan`'s results: OK, or the scanner's failure codes. */
const SCAN_OK = 0;
const SCAN_TRUNCATED = -1;
/** Offsets (bytes) of the four i32 results in the result area. */
const UID_START_AT = 0;
const UID_END_AT = 4;
const TS_START_AT = 8;
const TS_END_AT = 12;
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
type ScanFunction = (base: number, length: number, open: number, stack: number) => number;

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

export interface WasmScanOptions {
  /** Frames whose scan needs more wasm memory than this go to the JavaScript scanner. */
  readonly memoryLimitBytes?: number;
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
  private readonly scan: ScanFunction;
  private readonly frameBase: number;
  private readonly resultsAt: number;
  /** Views of the current memory buffer; replaced when memory grows. */
  private bytes: Uint8Array;
  private results: DataView;
  /** Longest frame the current memory holds, with its slack and nesting stack. */
  private capacity: number;
  /** For frames beyond memoryLimitBytes (or when the engine refuses to grow memory). */
  private readonly fallback: JsScanDecoder;
  private readonly unescaper = new Unescaper();

  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES, options: WasmScanOptions = {}) {
    const scanner = compiledScanner();
    if (scanner === null) throw new TypeError('WebAssembly SIMD is not available in this engine');
    const { exports } = new scanner.api.Instance(scanner.module, {});
    const memory = exports['memory'];
    const scan = exports['scan'];
    if (!isMemory(memory) || typeof scan !== 'function') throw new TypeError('scanner module: missing exports');
    this.maxFrameBytes = maxFrameBytes;
    this.memoryLimitBytes = options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
    this.memory = memory;
    // The module's own type: (i32, i32, i32, i32) -> i32.
    this.scan = scan as ScanFunction;
    this.frameBase = globalNumber(exports['FRAME_BASE'], 'FRAME_BASE');
    this.resultsAt = globalNumber(exports['RESULTS'], 'RESULTS');
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

  decode(frame: Uint8Array, out: DecodedFrame): MalformedKind | null {
    const open = precheck(frame, this.maxFrameBytes);
    if (typeof open !== 'number') return open;
    const length = frame.length;
    if (length > this.capacity && !this.reserve(length)) return this.fallback.decode(frame, out);
    this.bytes.set(frame, this.frameBase);
    // The nesting stack goes right after the frame's slack: one byte per
    // open bracket, so `length` bytes always suffice.
    const status = this.scan(this.frameBase, length, open, this.frameBase + length + VECTOR_SLACK);
    if (status !== SCAN_OK) return status === SCAN_TRUNCATED ? 'truncated' : 'invalid-json';
    // Wasm memory is little-endian on every platform; DataView says so.
    const r = this.results;
    const at = this.resultsAt;
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

  /** Memory needed to scan a frame of `length` bytes: fixed area, frame, slack, stack. */
  private bytesFor(length: number): number {
    return this.frameBase + length + VECTOR_SLACK + length;
  }

  private capacityOf(memoryBytes: number): number {
    return Math.floor((memoryBytes - this.frameBase - VECTOR_SLACK) / 2);
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
