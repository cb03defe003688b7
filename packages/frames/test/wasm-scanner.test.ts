import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DecodedFrame, FrameDecoder } from '../src/contract.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../src/contract.js';
import { createDecoder } from '../src/decoder.js';
import { JsScanDecoder } from '../src/scanner.js';
import { WasmScanDecoder, wasmScannerAvailable } from '../src/wasm-scanner.js';
import { hashString } from '../src/hash.js';
import { utf8, validFrameArb } from './support/json-model.js';
import { referenceDecode } from './support/oracle.js';
import { realisticFrame } from './support/realistic.js';
import { SCANNERS, expectAgrees } from './support/scanners.js';

/** The WebAssembly scanner's vector width, and its step: four vectors. */
const BLOCK = 16;
const STEP = 64;
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
        `${'\\\\'.repeat(run)}\\"`, // an odd run: an escaped quote, then the closing one
        '\\"'.repeat(run), // escaped quotes back to back
        `\\"${'b'.repeat(run % BLOCK)}`.repeat(3),
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
      const uids = [
        'a'.repeat(pad),
        pad >= 2 ? `${'a'.repeat(pad - 2)}\\\\` : 'a'.repeat(pad),
        pad >= 2 ? `\\"${'a'.repeat(pad - 2)}` : 'a'.repeat(pad),
      ];
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

/**
 * The 64-byte steps start right after the root `{`, so moving content
 * relative to them takes a member before it: `"p":"…",` with `shift` bytes of
 * padding moves everything after it by `shift`.
 */
function shifted(shift: number, members: string): string {
  return `{"p":"${'x'.repeat(shift)}",${members}}`;
}

/** The three places a string's end is looked up: a key, a root value, a nested value. */
function shiftedPlacements(shift: number, content: string): string[] {
  return [
    shifted(shift, `"${content}":1,"uid":"u","ts":1`),
    shifted(shift, `"uid":"${content}","ts":1`),
    shifted(shift, `"n":[{"k":"${content}"}],"uid":"u","ts":1`),
  ];
}

/** Kinds a frame JSON.parse refuses may get: a scanner cannot say more without a full parse. */
function expectRefused(decoder: FrameDecoder, bytes: Uint8Array, label: string): void {
  const expected = referenceDecode(bytes);
  if (expected.valid || expected.kind !== 'syntax') expectAgrees(decoder, bytes, label);
  else expect(['truncated', 'invalid-json'], label).toContain(decoder.decode(bytes, fresh()));
}

describe.each(SCANNERS)('$kind scanner at 64-byte steps', ({ make }) => {
  const decoder = make();

  it('closes strings that end at every byte around the steps, as keys, root values and nested values', () => {
    for (let shift = 0; shift <= STEP; shift++) {
      // Closing quotes from just before the first step's end to past the second's.
      for (let length = STEP - 16; length <= 2 * STEP + 8; length++) {
        for (const text of shiftedPlacements(shift, 'y'.repeat(length))) expectAgrees(decoder, utf8(text), text);
      }
    }
  });

  it('carries an escape from one step to the next: backslash runs ending on every byte around a step edge', () => {
    for (let shift = 0; shift <= STEP; shift++) {
      for (const run of [0, 1, 2, 3, 4, 5, 62, 63, 64, 65, 66, 127, 128, 129]) {
        // An odd run escapes the quote after it, so one more quote must end the string.
        const content = 'a'.repeat(STEP - 8) + '\\'.repeat(run) + (run % 2 === 1 ? '"' : '');
        for (const text of shiftedPlacements(shift, content)) expectAgrees(decoder, utf8(text), text);
        // The same run cut right after it: the string never ends.
        const cut = utf8(shifted(shift, `"uid":"${'a'.repeat(STEP - 8)}${'\\'.repeat(run)}`).slice(0, -1));
        expect(decoder.decode(cut, fresh()), `cut after ${run} backslashes at shift ${shift}`).toBe('truncated');
      }
    }
  });

  it('tracks depth and bracket types across step edges, and at depth 200', () => {
    for (let shift = 0; shift <= STEP; shift++) {
      for (const depth of [1, 2, 3, 31, 32, 33, 64, 65, 200]) {
        const opens = Array.from({ length: depth }, (_, i) => (i % 3 === 0 ? '{"k":' : '[')).join('');
        const closes = Array.from({ length: depth }, (_, i) => (i % 3 === 0 ? '}' : ']'))
          .reverse()
          .join('');
        const nested = `${opens}"v"${closes}`;
        expectAgrees(decoder, utf8(shifted(shift, `"n":${nested},"uid":"u","ts":2`)));
        // Every closer swapped for the other kind: a mismatch wherever it is.
        for (let k = 0; k < closes.length; k++) {
          const wrong = closes.slice(0, k) + (closes[k] === '}' ? ']' : '}') + closes.slice(k + 1);
          const text = shifted(shift, `"n":${opens}"v"${wrong},"uid":"u","ts":2`);
          expect(decoder.decode(utf8(text), fresh()), text).toBe('invalid-json');
        }
        // One closer short: the root never closes.
        const short = `{"p":"${'x'.repeat(shift)}","n":${opens}"v"${closes.slice(0, -1)}`;
        expect(decoder.decode(utf8(short), fresh()), short).toBe('truncated');
      }
    }
  });

  it('judges every frame of 0 to 200 bytes, and every prefix of each', () => {
    /** Frames of exactly `length` bytes, three ways (or none when too short). */
    const framesOf = (length: number): string[] => {
      const frames: string[] = [];
      const plain = length - '{"uid":"","ts":1}'.length;
      if (plain >= 0) frames.push(`{"uid":"${'a'.repeat(plain)}","ts":1}`);
      // Ending in an escaped quote, a bracket and an escaped backslash.
      const escaped = plain - '\\"]\\\\'.length;
      if (escaped >= 0) frames.push(`{"uid":"${'b'.repeat(escaped)}\\"]\\\\","ts":1}`);
      // Nested values stage 2 jumps over, padded with numbers and a space.
      const nested = length - '{"n":[[]],"uid":"u","ts":1}'.length;
      if (nested >= 0) frames.push(`{"n":[${'0,'.repeat(nested >> 1)}${nested % 2 ? ' ' : ''}[]],"uid":"u","ts":1}`);
      return frames;
    };
    for (let length = 0; length <= 200; length++) {
      const texts = framesOf(length);
      if (length >= '{"uid":"","ts":1}'.length) expect(texts.length).toBeGreaterThan(0);
      for (const text of texts) {
        const bytes = utf8(text);
        expect(bytes.length, text).toBe(length);
        expectAgrees(decoder, bytes, text);
        // Every prefix, from 0 bytes: truncated, or empty for the first.
        for (let cut = 0; cut < length; cut++) {
          const prefix = bytes.subarray(0, cut);
          const expected = referenceDecode(prefix);
          const want = expected.valid ? null : expected.kind === 'syntax' ? 'truncated' : expected.kind;
          expect(decoder.decode(prefix, fresh()), `${cut} bytes of ${text}`).toBe(want);
        }
      }
    }
  });

  it('reads frames whose length is a multiple of 64, and those one byte shorter or longer', () => {
    for (let steps = 1; steps <= 40; steps++) {
      for (const length of [steps * STEP - 1, steps * STEP, steps * STEP + 1]) {
        // A realistic frame, padded inside its root object to the length.
        const realistic = realisticFrame(steps, length - 2 * STEP).text;
        const pad = length - utf8(realistic).length - ',"pad":""'.length;
        const texts = [`{"ts":3,"uid":"${'z'.repeat(length - '{"ts":3,"uid":""}'.length)}"}`];
        if (pad >= 0) texts.push(`${realistic.slice(0, -1)},"pad":"${'p'.repeat(pad)}"}`);
        for (const text of texts) {
          const bytes = utf8(text);
          expect(bytes.length).toBe(length);
          expectAgrees(decoder, bytes, text);
          const last = bytes.length - 1;
          expect(decoder.decode(bytes.subarray(0, last), fresh())).toBe(
            referenceDecode(bytes.subarray(0, last)).valid ? null : 'truncated',
          );
        }
      }
    }
  });

  it('takes only the bytes JSON allows outside strings, at the root and in nested values', () => {
    // The bytes of whitespace, separators, numbers and true/false/null (README).
    const plain = new Set([...' \t\r\n,:-+.0123456789eEtrufalsn'].map((c) => c.charCodeAt(0)));
    const brackets = new Set([...'[]{}'].map((c) => c.charCodeAt(0)));
    const QUOTE = 0x22;
    const ASCII_END = 0x80;
    for (let byte = 0; byte < 256; byte++) {
      // Inside nested values the grammar between tokens is not checked, only the bytes.
      for (const [before, after] of [
        ['{"uid":"a","ts":1,"n":[1,', ']}'],
        ['{"uid":"a","ts":1,"n":{"k":', '}}'],
      ] as const) {
        const bytes = new Uint8Array([...utf8(before), byte, ...utf8(after)]);
        const label = `byte ${byte} in ${before}·${after}`;
        const kind = decoder.decode(bytes, fresh());
        if (byte >= ASCII_END) expect(kind, label).toBe('invalid-utf8');
        else if (plain.has(byte)) expect(kind, label).toBeNull();
        else if (byte === QUOTE) expect(kind, label).toBe('truncated');
        else if (brackets.has(byte)) expect(kind, label).not.toBeNull();
        else expect(kind, label).toBe('invalid-json');
      }
      // At the root the grammar is checked too: JSON.parse is the judge.
      for (const [before, after] of [
        ['{"uid":"a","ts":1,"n":', '}'],
        ['{"uid":"a",', '"ts":1}'],
        ['{"uid":"a","ts":1}', ''],
      ] as const) {
        const bytes = new Uint8Array([...utf8(before), byte, ...utf8(after)]);
        expectRefused(decoder, bytes, `byte ${byte} in ${before}·${after}`);
      }
    }
  });
});

describe('the WebAssembly scanner and the JavaScript scanner', () => {
  const wasm = new WasmScanDecoder();
  const js = new JsScanDecoder();

  it('give the same answer, kind included, on frames damaged anywhere', () => {
    fc.assert(
      fc.property(
        validFrameArb,
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.oneof(fc.constantFrom(0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x2c, 0x20), fc.nat(255)),
            fc.nat(2),
          ),
          { maxLength: 4 },
        ),
        fc.option(fc.nat(), { nil: undefined }),
        (frame, edits, cut) => {
          const bytes = [...frame.bytes];
          for (const [at, byte, op] of edits) {
            const i = at % (bytes.length + 1);
            if (op === 0) bytes.splice(i, 0, byte);
            else if (op === 1) bytes.splice(i, 1);
            else bytes[i] = byte;
          }
          const damaged = Uint8Array.from(cut === undefined ? bytes : bytes.slice(0, cut % (bytes.length + 1)));
          const a = fresh();
          const b = fresh();
          expect(wasm.decode(damaged, a)).toBe(js.decode(damaged, b));
          expect(a).toEqual(b);
        },
      ),
      { numRuns: 3000 },
    );
  }, 60_000);

  it('hash uids of every length and read plain ts values in WebAssembly as JavaScript does', () => {
    const units = ['a', 'é', 'Ж', '😀', '0'];
    for (let length = 1; length <= 40; length++) {
      const uid = Array.from({ length }, (_, i) => units[(i * 7 + length) % units.length]).join('');
      const out = fresh();
      expect(wasm.decode(utf8(`{"uid":"${uid}","ts":${length}}`), out)).toBeNull();
      expect([out.uidHi, out.uidLo]).toEqual(hashString(uid));
    }
    for (const ts of [
      '0',
      '7',
      '10',
      '1468244384',
      '4294967295',
      '4294967296',
      '01',
      '0001',
      '12345678901',
      '-1',
      '1.5',
      '1e3',
    ]) {
      for (const written of [ts, `"${ts}"`]) {
        const text = `{"uid":"u","ts":${written}}`;
        const bytes = utf8(text);
        const expected = referenceDecode(bytes);
        const out = fresh();
        if (expected.valid || expected.kind !== 'syntax') expectAgrees(wasm, bytes, text);
        else expect(wasm.decode(bytes, out), text).toBe('invalid-json');
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
      return utf8(`${head + 'p'.repeat(length - head.length - 2)}"}`);
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
    const balanced = utf8(`${head + '['.repeat(depth) + ']'.repeat(depth)}}`);
    expect(balanced.length).toBeLessThanOrEqual(capacity);
    expectAgrees(decoder, balanced);
    // Only openers to the very end: the deepest stack a frame this long can make.
    const open = utf8(`{"n":${'['.repeat(capacity - 5)}`);
    expect(open.length).toBe(capacity);
    expect(decoder.decode(open, fresh())).toBe('truncated');
    const grown = utf8(`{"n":${'{"a":'.repeat(capacity)}1${'}'.repeat(capacity)},"uid":"deep","ts":3}`);
    expectAgrees(decoder, grown);
  });

  it('hands frames beyond its memory limit to the JavaScript scanner, with the same answers', () => {
    const limit = 2 * PAGE_BYTES;
    const decoder = new WasmScanDecoder(DEFAULT_MAX_FRAME_BYTES, { memoryLimitBytes: limit });
    const js = new JsScanDecoder();
    for (const length of [PAGE_BYTES / 2, PAGE_BYTES, 3 * PAGE_BYTES]) {
      const escapedQuotes = '\\"'.repeat(length / 4);
      const nested = '[1,{"x":"y"}],'.repeat(length / 64);
      const text = `{"uid":"big${length}","n":["${escapedQuotes}",${nested}0],"ts":7}`;
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
    [
      'an engine without WebAssembly SIMD',
      (): unknown => ({ Module: realApi?.Module, Instance: realApi?.Instance, validate: () => false }),
    ],
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

  it('runs the module compiled from scanner.wat as it is now', () => {
    // The test script regenerates the module first; this catches a stale one
    // when vitest is run on its own after an edit to the .wat file.
    const script = fileURLToPath(new URL('../scripts/build-wasm.mjs', import.meta.url));
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});
