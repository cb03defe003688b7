import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import loadWabt from 'wabt';
import type { DecodedFrame, FrameDecoder } from '../src/contract.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../src/contract.js';
import { createDecoder } from '../src/decoder.js';
import { JsScanDecoder } from '../src/scanner.js';
import { WasmScanDecoder, wasmScannerAvailable } from '../src/wasm-scanner.js';
import { SCANNER_WASM_BASE64 } from '../src/wasm/scanner-binary.generated.js';
import { utf8 } from './support/json-model.js';
import { referenceDecode } from './support/oracle.js';
import { realisticFrame } from './support/realistic.js';
import { SCANNERS, expectAgrees } from './support/scanners.js';

/** The WebAssembly scanner's step through strings. */
const BLOCK = 16;
const PAGE_BYTES = 64 * 1024;
const fresh = (): DecodedFrame => ({ uidHi: -1, uidLo: -1, ts: -1 });

/**
 * A frame with `content` (JSON string content, as written) once as the uid,
 * once inside a nested array, and once as a root key: the three places the
 * scanners look for a string's end.
 */
function placements(content: string): string[] {
  return [
    `{"uid":"${content}","ts":1}`,
    `{"n":["${content}",{"k":"${content}"}],"uid":"u","ts":1}`,
    `{"${content}":1,"uid":"u","ts":1}`,
  ];
}

describe.each(SCANNERS)('$kind scanner at 16-byte block edges', ({ make }) => {
  const decoder = make();

  it('finds a closing quote at every position of the first blocks, wherever the frame starts', () => {
    for (let lead = 0; lead < BLOCK; lead++) {
      for (let length = 0; length <= 4 * BLOCK + 1; length++) {
        for (const text of placements('x'.repeat(length))) expectAgrees(decoder, utf8(' '.repeat(lead) + text), text);
      }
    }
  });

  it('applies the escaped-quote rule to backslash runs that straddle a block edge', () => {
    // `before` letters, then `run` backslashes, then a quote: the quote ends
    // the string when the run is even, and is escaped (so one more quote
    // ends it) when the run is odd.
    for (let before = 0; before <= 3 * BLOCK; before++) {
      for (let run = 0; run <= 2 * BLOCK + 1; run++) {
        const content = 'a'.repeat(before) + '\\'.repeat(run) + (run % 2 === 1 ? '"' : '');
        // (expectAgrees also fails if JSON.parse refuses the frame.)
        for (const text of placements(content)) expectAgrees(decoder, utf8(text), text);
      }
    }
  });

  it('reads long runs of backslashes and escaped quotes exactly', () => {
    for (let run = 0; run <= 5 * BLOCK; run++) {
      for (const content of [
        '\\\\'.repeat(run), // an even run, then the closing quote
        '\\\\'.repeat(run) + '\\"', // an odd run: an escaped quote, then the closing one
        '\\"'.repeat(run), // escaped quotes back to back
        ('\\"' + 'b'.repeat(run % BLOCK)).repeat(3),
      ]) {
        for (const text of placements(content)) expectAgrees(decoder, utf8(text), text);
      }
    }
  });

  it('judges every frame of 0 to 64 bytes, and frames one byte either side of each block multiple', () => {
    const shortest = '{"uid":"","ts":1}'.length;
    for (let length = shortest; length <= 4 * BLOCK; length++) {
      const pad = length - shortest;
      // The same length three ways: a long uid, a uid ending in an escaped
      // backslash, a uid holding an escaped quote.
      const uids = ['a'.repeat(pad), pad >= 2 ? 'a'.repeat(pad - 2) + '\\\\' : 'a'.repeat(pad), pad >= 2 ? '\\"' + 'a'.repeat(pad - 2) : 'a'.repeat(pad)];
      for (const uid of uids) {
        const bytes = utf8(`{"uid":"${uid}","ts":1}`);
        expect(bytes.length).toBe(length);
        expectAgrees(decoder, bytes);
        // Every prefix: lengths 0..length, all of them damaged.
        for (let cut = 0; cut < length; cut++) {
          const prefix = bytes.subarray(0, cut);
          const expected = referenceDecode(prefix);
          const want = expected.valid ? null : expected.kind === 'syntax' ? 'truncated' : expected.kind;
          expect(decoder.decode(prefix, fresh()), `${cut} bytes of ${uid}`).toBe(want);
        }
      }
    }
    for (let blocks = 1; blocks <= 8; blocks++) {
      for (const length of [blocks * BLOCK - 1, blocks * BLOCK, blocks * BLOCK + 1]) {
        const text = `{"ts":2,"uid":"${'z'.repeat(Math.max(1, length - 17))}"}`;
        if (text.length === length) expectAgrees(decoder, utf8(text), text);
      }
    }
  });

  it('never takes a stale quote past the end of a frame for a string end', () => {
    // The WebAssembly scanner reads whole blocks, so bytes past a frame's end
    // (left in its memory by the previous, longer frame) are loaded too; here
    // they always hold the closing quote the cut frame lacks.
    for (let length = 1; length <= 3 * BLOCK; length++) {
      // As written in JSON: nothing, an escaped backslash, an escaped quote, two escaped backslashes.
      for (const tail of ['', '\\\\', '\\"', 'a\\\\\\\\']) {
        const whole = utf8(`{"uid":"${'u'.repeat(length)}${tail}","ts":1}`);
        expectAgrees(decoder, whole);
        const afterUid = whole.indexOf(0x2c); // the `,` right after the uid's closing quote
        for (let cut = '{"uid":"'.length; cut < afterUid; cut++) {
          expect(decoder.decode(whole, fresh())).toBeNull();
          expect(decoder.decode(whole.subarray(0, cut), fresh()), `cut at ${cut}`).toBe('truncated');
        }
      }
    }
  });
});

describe('WebAssembly scanner memory', () => {
  it('scans a frame of exactly its capacity in place, and grows for one byte more', () => {
    const decoder = new WasmScanDecoder();
    const memory = decoder.memoryBytes;
    const capacity = decoder.frameCapacity;
    expect(capacity).toBeGreaterThan(4096);
    const frameOf = (length: number): Uint8Array => {
      const head = '{"uid":"edge","ts":9,"pad":"';
      return utf8(head + 'p'.repeat(length - head.length - 2) + '"}');
    };
    expectAgrees(decoder, frameOf(capacity));
    expect(decoder.memoryBytes).toBe(memory);
    expectAgrees(decoder, frameOf(capacity + 1));
    expect(decoder.memoryBytes).toBeGreaterThan(memory);
    expect(decoder.frameCapacity).toBeGreaterThan(capacity);
    // The views onto the grown memory work for the next, small frames too.
    for (let seed = 1; seed <= 20; seed++) expectAgrees(decoder, utf8(realisticFrame(seed).text));
  });

  it('has room for a nesting stack as deep as the frame is long', () => {
    const decoder = new WasmScanDecoder();
    const capacity = decoder.frameCapacity;
    const head = '{"uid":"d","ts":1,"n":';
    const depth = (capacity - head.length - 1) >> 1;
    const balanced = utf8(head + '['.repeat(depth) + ']'.repeat(depth) + '}');
    expect(balanced.length).toBeLessThanOrEqual(capacity);
    expectAgrees(decoder, balanced);
    // Only openers to the very end: the deepest stack a frame this long can make.
    const open = utf8('{"n":' + '['.repeat(capacity - 5));
    expect(open.length).toBe(capacity);
    expect(decoder.decode(open, fresh())).toBe('truncated');
    const grown = utf8('{"n":' + '{"a":'.repeat(capacity) + '1' + '}'.repeat(capacity) + ',"uid":"deep","ts":3}');
    expectAgrees(decoder, grown);
  });

  it('hands frames beyond its memory limit to the JavaScript scanner, with the same answers', () => {
    const limit = 2 * PAGE_BYTES;
    const decoder = new WasmScanDecoder(DEFAULT_MAX_FRAME_BYTES, { memoryLimitBytes: limit });
    const js = new JsScanDecoder();
    for (const length of [PAGE_BYTES / 2, PAGE_BYTES, 3 * PAGE_BYTES]) {
      const text = `{"uid":"big${length}","n":["${'\\"'.repeat(length / 4)}",${'[1,{"x":"y"}],'.repeat(length / 64)}0],"ts":7}`;
      const bytes = utf8(text);
      expectAgrees(decoder, bytes);
      expect(decoder.decode(bytes.subarray(0, bytes.length - 1), fresh())).toBe('truncated');
      const a = fresh();
      const b = fresh();
      expect(decoder.decode(bytes, a)).toBe(js.decode(bytes, b));
      expect(a).toEqual(b);
      expect(decoder.memoryBytes).toBeLessThanOrEqual(limit);
    }
    expect(decoder.name).toBe('fast');
  });

  it('decodes a frame of the default maxFrameBytes (1 MiB) in wasm memory', () => {
    const decoder = new WasmScanDecoder();
    const head = utf8('{"ts":"1468244384","uid":"470109cc73df8c6b5f0","pad":"');
    const unit = utf8('Свобода \\"слава\\" \\\\ 😀 ');
    const close = utf8('"}');
    // Spaces after the root object are whitespace, so the frame can be made exactly 1 MiB.
    const bytes = new Uint8Array(DEFAULT_MAX_FRAME_BYTES).fill(0x20);
    bytes.set(head);
    let at = head.length;
    for (; at + unit.length + close.length <= bytes.length; at += unit.length) bytes.set(unit, at);
    bytes.set(close, at);
    expectAgrees(decoder, bytes);
    expect(decoder.memoryBytes).toBeGreaterThan(2 * DEFAULT_MAX_FRAME_BYTES);
  });
});

describe('string-free decoding', () => {
  type Method = (...args: unknown[]) => unknown;
  const bufferMethods = Buffer.prototype as unknown as Record<string, Method>;

  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Spies on every way the decoders could turn bytes into a string; returns their call counts. */
  function watchStrings(): () => number {
    const spies = [
      vi.spyOn(Buffer.prototype, 'toString'),
      vi.spyOn(bufferMethods, 'latin1Slice'),
      vi.spyOn(bufferMethods, 'utf8Slice'),
      vi.spyOn(bufferMethods, 'asciiSlice'),
      vi.spyOn(TextDecoder.prototype, 'decode'),
      vi.spyOn(String, 'fromCharCode'),
    ];
    return () => spies.reduce((calls, spy) => calls + spy.mock.calls.length, 0);
  }

  function realisticBuffers(): Buffer[] {
    // Made before the spies are set: building the corpus makes strings.
    return Array.from({ length: 100 }, (_, i) => Buffer.from(realisticFrame(i + 1).text));
  }

  it.each(['fast', 'fast-js'] as const)('%s builds no string while decoding realistic frames', (kind) => {
    const decoder: FrameDecoder = createDecoder(kind);
    const frames = realisticBuffers();
    const out = fresh();
    const kinds: unknown[] = [];
    const calls = watchStrings();
    for (const frame of frames) kinds.push(decoder.decode(frame, out));
    // Read before asserting: expect() itself may make strings.
    const made = calls();
    expect(made).toBe(0);
    expect(kinds.every((kind) => kind === null)).toBe(true);
  });

  it('would see a string being built (the json decoder builds one per frame)', () => {
    const decoder = createDecoder('json');
    const frames = realisticBuffers();
    const calls = watchStrings();
    for (const frame of frames) decoder.decode(frame, fresh());
    const made = calls();
    expect(made).toBeGreaterThanOrEqual(frames.length);
  });
});

describe('choosing the fast scanner', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('is the WebAssembly scanner on this Node', () => {
    expect(wasmScannerAvailable()).toBe(true);
    expect(createDecoder('fast')).toBeInstanceOf(WasmScanDecoder);
    expect(createDecoder('fast-js')).toBeInstanceOf(JsScanDecoder);
  });

  const realApi = (globalThis as { WebAssembly?: Record<string, unknown> }).WebAssembly;

  it.each([
    ['an engine without WebAssembly SIMD', (): unknown => ({ Module: realApi?.['Module'], Instance: realApi?.['Instance'], validate: () => false })],
    ['an engine without WebAssembly', (): unknown => undefined],
  ])('falls back to the JavaScript scanner, named fast, on %s', async (_, stub) => {
    vi.resetModules();
    vi.stubGlobal('WebAssembly', stub());
    const isolated = await import('../src/decoder.js');
    const { wasmScannerAvailable: available } = await import('../src/wasm-scanner.js');
    const { JsScanDecoder: IsolatedJsScanDecoder } = await import('../src/scanner.js');
    expect(available()).toBe(false);
    const decoder = isolated.createDecoder('fast');
    expect(decoder).toBeInstanceOf(IsolatedJsScanDecoder);
    expect(decoder.name).toBe('fast');
    const out = fresh();
    expect(decoder.decode(utf8('{"uid":"u","ts":"12"}'), out)).toBeNull();
    expect(out.ts).toBe(12);
  });

  it('runs the module compiled from scanner.wat as it is now', async () => {
    // The test script regenerates the module first; this catches a stale one
    // when vitest is run on its own after an edit to the .wat file.
    const wabt = await loadWabt();
    const text = await readFile(new URL('../src/wasm/scanner.wat', import.meta.url), 'utf8');
    const module = wabt.parseWat('scanner.wat', text, { simd: true });
    try {
      expect(Buffer.from(module.toBinary({}).buffer).toString('base64')).toBe(SCANNER_WASM_BASE64);
    } finally {
      module.destroy();
    }
  });
});
