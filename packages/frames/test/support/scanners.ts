/** The two scanners every scanner test runs against, and the check they share. */

import { expect } from 'vitest';
import type { DecodedFrame, FrameDecoder } from '../../src/contract.js';
import { hashString } from '../../src/hash.js';
import { JsScanDecoder } from '../../src/scanner.js';
import { WasmScanDecoder } from '../../src/wasm-scanner.js';
import { referenceDecode } from './oracle.js';

export interface ScannerCase {
  readonly kind: 'fast' | 'fast-js';
  readonly make: (maxFrameBytes?: number) => FrameDecoder;
}

/**
 * The WebAssembly scanner is built directly (not through createDecoder), so
 * that a Node without WebAssembly SIMD fails these tests instead of quietly
 * testing the JavaScript scanner twice.
 */
export const SCANNERS: readonly ScannerCase[] = [
  { kind: 'fast', make: (maxFrameBytes) => new WasmScanDecoder(maxFrameBytes) },
  { kind: 'fast-js', make: (maxFrameBytes) => new JsScanDecoder(maxFrameBytes) },
];

/** Asserts `decoder` gives exactly what JSON.parse and the rules give for a frame JSON.parse can judge. */
export function expectAgrees(decoder: FrameDecoder, bytes: Uint8Array, label?: string): void {
  const expected = referenceDecode(bytes);
  const out: DecodedFrame = { uidHi: -1, uidLo: -1, ts: -1 };
  const kind = decoder.decode(bytes, out);
  if (expected.valid) {
    expect(kind, label).toBeNull();
    expect([out.uidHi, out.uidLo], label).toEqual(hashString(expected.uid));
    expect(out.ts, label).toBe(expected.ts);
  } else {
    expect(expected.kind, label).not.toBe('syntax');
    expect(kind, label).toBe(expected.kind);
  }
}
