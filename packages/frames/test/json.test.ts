import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecodedFrame } from '../src/contract.js';
import { hashString } from '../src/hash.js';
import { JsonDecoder } from '../src/json.js';
import { WasmScanDecoder } from '../src/wasm-scanner.js';
import { utf8, validFrameArb } from './support/json-model.js';
import { referenceDecode } from './support/oracle.js';
import { realisticFrame } from './support/realistic.js';

const json = new JsonDecoder();
const fast = new WasmScanDecoder();
const fresh = (): DecodedFrame => ({ uidHi: -1, uidLo: -1, ts: -1 });

describe('json decoder', () => {
  it('gives the uid hash and ts the rules give, on adversarial and realistic frames', () => {
    const check = (bytes: Uint8Array): void => {
      const expected = referenceDecode(bytes);
      const out = fresh();
      expect(json.decode(bytes, out)).toBeNull();
      if (!expected.valid) throw new Error('generated frame is not valid');
      expect([out.uidHi, out.uidLo]).toEqual(hashString(expected.uid));
      expect(out.ts).toBe(expected.ts);
    };
    fc.assert(
      fc.property(validFrameArb, (frame) => check(frame.bytes)),
      { numRuns: 1000 },
    );
    for (let seed = 1; seed <= 100; seed++) check(utf8(realisticFrame(seed).text));
  });

  it('agrees with the fast decoder on every frame JSON.parse accepts, and on every truncation', () => {
    fc.assert(
      fc.property(validFrameArb, fc.nat(), (frame, at) => {
        const a = fresh();
        const b = fresh();
        expect(json.decode(frame.bytes, a)).toBe(fast.decode(frame.bytes, b));
        expect(a).toEqual(b);
        const cut = frame.bytes.subarray(0, at % frame.bytes.length);
        const trimmedAway = new TextDecoder().decode(frame.bytes.subarray(cut.length)).trim() === '';
        if (!trimmedAway) expect(json.decode(cut, fresh())).toBe(fast.decode(cut, fresh()));
      }),
      { numRuns: 1000 },
    );
  });

  it('tells truncated from invalid JSON', () => {
    for (const text of [
      '{"a":',
      '{"a":"b',
      '{"a":tr',
      '{"a":1',
      '{"a":1.',
      '{"a":[1',
      '{"a":{',
      '{"a"',
      '{"a":"\\u12',
      '{"a":"\\',
    ]) {
      expect(json.decode(utf8(text), fresh()), text).toBe('truncated');
    }
    for (const text of ['{"a":1}}', '{"a":1} x', '{"a":tru}', '{"a":1,}', '{"a":[1 2]}', '{"a":"\\x"}', '{"a":"\t"}']) {
      expect(json.decode(utf8(text), fresh()), text).toBe('invalid-json');
    }
  });

  it('does not take a uid from the prototype chain', () => {
    expect(json.decode(utf8('{"__proto__":{"uid":"x","ts":1}}'), fresh())).toBe('missing-uid');
  });
});
