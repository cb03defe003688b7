import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MALFORMED_KINDS } from '../src/contract.js';
import type { DecodedFrame, MalformedKind } from '../src/contract.js';
import { hashString } from '../src/hash.js';
import { type Json, obj, raw, utf8, validFrameArb, valueArb, write, arr } from './support/json-model.js';
import { referenceDecode } from './support/oracle.js';
import { realisticFrame } from './support/realistic.js';
import { SCANNERS, expectAgrees } from './support/scanners.js';

const fresh = (): DecodedFrame => ({ uidHi: -1, uidLo: -1, ts: -1 });

describe('the frame generator', () => {
  it('feeds the scanners every trap', () => {
    const texts = fc.sample(validFrameArb, { numRuns: 2000, seed: 42 }).map((f) => f.text);
    const share = (re: RegExp): number => texts.filter((t) => re.test(t)).length / texts.length;
    expect(share(/\\\\"/)).toBeGreaterThan(0.01); // a string ending in an escaped backslash
    expect(share(/\\"/)).toBeGreaterThan(0.05); // an escaped quote
    expect(share(/"[^"]*\\"uid\\":/)).toBeGreaterThan(0.01); // "uid": inside a string
    expect(share(/[{,]\s*"uid"\s*:\s*[[{]/)).toBeGreaterThan(0.01); // a decoy or earlier uid holding a container
    expect(share(/\\u[0-9a-fA-F]{4}/)).toBeGreaterThan(0.05); // \u escapes
    expect(share(/\\u[dD][89abAB]/)).toBeGreaterThan(0.01); // surrogate escapes
    expect(share(/[\u0400-\u04ff]/)).toBeGreaterThan(0.01); // Cyrillic
    expect(share(/\p{Extended_Pictographic}/u)).toBeGreaterThan(0.01); // emoji
    expect(share(/"ts":"/)).toBeGreaterThan(0.1); // ts as a string
    expect(share(/[{,]\s*"ts"\s*:\s*\d/)).toBeGreaterThan(0.1); // ts as a number
    expect(share(/\r$/)).toBeGreaterThan(0.1);
    expect(share(/[:,]\s+["\d[{tfn-]/)).toBeGreaterThan(0.1); // whitespace between tokens
  });
});

// Every other test here holds for both scanners: the WebAssembly one
// (`fast`) and the JavaScript one (`fast-js`).
describe.each(SCANNERS)('$kind scanner', ({ make }) => {
  const fast = make();

  function decode(bytes: Uint8Array): { kind: MalformedKind | null; out: DecodedFrame } {
    const out = fresh();
    return { kind: fast.decode(bytes, out), out };
  }

  /** Asserts the scanner gives exactly what JSON.parse and the rules give. */
  function expectAgreesWithReference(bytes: Uint8Array): void {
    expectAgrees(fast, bytes);
  }

  describe('on valid frames', () => {
    it('agrees with JSON.parse on adversarial frames', () => {
      fc.assert(
        fc.property(validFrameArb, (frame) => {
          expect(referenceDecode(frame.bytes).valid).toBe(true);
          expectAgreesWithReference(frame.bytes);
        }),
        { numRuns: 3000 },
      );
    }, 60_000);

    it('agrees with JSON.parse on realistic ~2 KB frames', () => {
      for (let seed = 1; seed <= 400; seed++) {
        const frame = realisticFrame(seed);
        const bytes = utf8(frame.text);
        expect(bytes.length).toBeGreaterThan(2000);
        const { kind, out } = decode(bytes);
        expect(kind).toBeNull();
        expect([out.uidHi, out.uidLo]).toEqual(hashString(frame.uid));
        expect(out.ts).toBe(frame.ts);
        expectAgreesWithReference(bytes);
      }
    });

    it('reads the frame where it sits in a larger buffer, as a Buffer or a Uint8Array view', () => {
      fc.assert(
        fc.property(validFrameArb, fc.nat(9), fc.nat(9), (frame, before, after) => {
          const whole = new Uint8Array(before + frame.bytes.length + after).fill(0x22);
          whole.set(frame.bytes, before);
          const view = whole.subarray(before, before + frame.bytes.length);
          const asBuffer = Buffer.from(whole.buffer, before, frame.bytes.length);
          const a = decode(frame.bytes);
          const b = decode(view);
          const c = decode(asBuffer);
          expect(b).toEqual(a);
          expect(c).toEqual(a);
        }),
        { numRuns: 500 },
      );
    });

    it('finds only the root uid and ts among traps', () => {
      // Each case: the frame, and the uid and ts JSON.parse sees at the root.
      const cases: string[] = [
        '{"ad":"specifying\\"types,\\"like","ts":1468244384,"uid":"470109cc73df8c6b5f0",' +
          '"eiusmod":[{"uid":{},"ts":"x"},"Свобода, слава и любовь",219],"minim":{}}',
        '{"a":"x\\\\","uid":"real","ts":5}',
        '{"a":"\\\\\\"uid\\":\\"fake\\"","uid":"real","ts":5}',
        '{"a":"\\"uid\\":\\"fake\\",\\"ts\\":9","ts":"5","uid":"real"}',
        '{"n":{"uid":"fake","ts":9,"deeper":[{"uid":"f2"}]},"uid":"real","ts":5,"m":[["uid","ts"]]}',
        '{"u\\u0069d":"escaped-key","\\u0074s":7}',
        '{"uid":"first","ts":1,"uid":"last","ts":2}',
        '{"uid":"x","ts":1,"k":1,"k":2,"n":{"k":1,"k":3}}',
        ' {\t"uid" :\r"spaced" ,\n"ts"  : 12 }\r',
        '{"uid":"a\\u0062","ts":1}',
        '{"uid":"😀\\ud83d\\ude00","ts":"1.9e1"}',
        '{"uid":"x","ts":-0}',
        '{"uid":"x","ts":4294967295.5}',
        '{"uid":"x","ts":"0.00001e5"}',
        '{"uid":"x","ts":1E+2}',
      ];
      for (const text of cases) {
        const bytes = utf8(text);
        expect(referenceDecode(bytes).valid, text).toBe(true);
        expectAgreesWithReference(bytes);
      }
    });

    it('survives deep nesting without recursion', () => {
      const depth = 100_000;
      const text = `{"uid":"deep","ts":1,"n":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      expectAgreesWithReference(utf8(text));
      const cut = `{"uid":"deep","ts":1,"n":${'['.repeat(depth)}${']'.repeat(depth - 1)}`;
      expect(decode(utf8(cut)).kind).toBe('truncated');
      expect(decode(utf8(`${cut}}`)).kind).toBe('invalid-json');
    });
  });

  describe('on malformed frames', () => {
    it('reports every truncation of a valid frame as truncated (or invalid-utf8 / empty)', () => {
      fc.assert(
        fc.property(validFrameArb, fc.array(fc.nat(), { minLength: 40, maxLength: 40 }), (frame, picks) => {
          const full = decode(frame.bytes);
          const closing = lastNonWhitespace(frame.bytes);
          // Every cut of a short frame; 40 random ones and the edges of a long one.
          const n = frame.bytes.length;
          const cuts =
            n <= 120 ? Array.from({ length: n }, (_, i) => i) : [0, 1, closing, n - 1, ...picks.map((p) => p % n)];
          for (const cut of cuts) {
            const prefix = frame.bytes.subarray(0, cut);
            const { kind, out } = decode(prefix);
            if (cut > closing) {
              // Only trailing whitespace was cut: still the same valid frame.
              expect({ kind, out }).toEqual(full);
              continue;
            }
            const expected = referenceDecode(prefix);
            expect(expected.valid).toBe(false);
            const want = expected.valid ? null : expected.kind === 'syntax' ? 'truncated' : expected.kind;
            expect(want === 'truncated' || want === 'invalid-utf8' || want === 'empty').toBe(true);
            expect(kind).toBe(want);
          }
        }),
        { numRuns: 300 },
      );
    }, 60_000);

    it('reports every truncation of a realistic frame as truncated', () => {
      for (let seed = 1; seed <= 10; seed++) {
        const bytes = utf8(realisticFrame(seed).text);
        for (let cut = 1; cut < bytes.length; cut++) {
          const expected = referenceDecode(bytes.subarray(0, cut));
          const want = !expected.valid && expected.kind === 'invalid-utf8' ? 'invalid-utf8' : 'truncated';
          expect(decode(bytes.subarray(0, cut)).kind).toBe(want);
        }
      }
    }, 60_000);

    it('is exact on every damaged frame JSON.parse still accepts, and never throws on the rest', () => {
      fc.assert(
        fc.property(
          validFrameArb,
          fc.array(fc.tuple(fc.nat(), fc.nat(255), fc.nat(2)), { minLength: 1, maxLength: 4 }),
          (frame, edits) => {
            const bytes = [...frame.bytes];
            for (const [at, byte, op] of edits) {
              const i = at % (bytes.length + 1);
              if (op === 0) bytes.splice(i, 0, byte);
              else if (op === 1) bytes.splice(i, 1);
              else bytes[i] = byte;
            }
            const damaged = Uint8Array.from(bytes);
            const expected = referenceDecode(damaged);
            if (expected.valid || expected.kind !== 'syntax') expectAgreesWithReference(damaged);
            else expect([null, ...MALFORMED_KINDS]).toContain(decode(damaged).kind);
            // (null is allowed there: the scanner does not check the grammar
            // inside nested values or the escapes of other strings.)
          },
        ),
        { numRuns: 3000 },
      );
    }, 60_000);

    it('never throws on random bytes, and agrees with the reference whenever JSON.parse does', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 64 }),
          fc.constantFrom('', '{', '{"uid":"a","ts":1,"x":'),
          (tail, head) => {
            const bytes = new Uint8Array([...utf8(head), ...tail]);
            const expected = referenceDecode(bytes);
            if (expected.valid || expected.kind !== 'syntax') expectAgreesWithReference(bytes);
            else expect(() => decode(bytes)).not.toThrow();
          },
        ),
        { numRuns: 5000 },
      );
    });

    it('names the damage for each kind', () => {
      const cases: [string | Uint8Array, MalformedKind][] = [
        ['', 'empty'],
        [' \t\r', 'empty'],
        [new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), 'invalid-utf8'],
        [new Uint8Array([0x7b, 0xed, 0xa0, 0x80, 0x7d]), 'invalid-utf8'],
        ['[1,2]', 'not-object'],
        ['"uid"', 'not-object'],
        ['null', 'not-object'],
        ['hello', 'not-object'],
        ['{', 'truncated'],
        ['{"uid":"abc', 'truncated'],
        ['{"uid":"abc\\', 'truncated'],
        ['{"uid":"abc\\"}', 'truncated'],
        ['{"uid":"abc","ts":12', 'truncated'],
        ['{"uid":"abc","ts":tr', 'truncated'],
        ['{"uid":"abc","n":[{"a":1}', 'truncated'],
        ['{"uid":"abc","ts":1,', 'truncated'],
        ['{"uid":"abc","ts":1}}', 'invalid-json'],
        ['{"uid":"abc","ts":1} x', 'invalid-json'],
        ['{"uid":"abc","ts":1,}', 'invalid-json'],
        ['{"uid":"abc" "ts":1}', 'invalid-json'],
        ['{"uid":"abc","ts":1,"n":[}]}', 'invalid-json'],
        ['{"uid":"abc","ts":1,"n":{]}', 'invalid-json'],
        ['{"uid":"abc","ts":01}', 'invalid-json'],
        ['{"uid":"abc","ts":tru}', 'invalid-json'],
        ['{"uid":"abc","ts":1,"n":[1,@]}', 'invalid-json'],
        ['{uid:"abc","ts":1}', 'invalid-json'],
        ['{"ts":1}', 'missing-uid'],
        ['{"n":{"uid":"nested"},"ts":1}', 'missing-uid'],
        ['{"uid":"","ts":1}', 'invalid-uid'],
        ['{"uid":12,"ts":1}', 'invalid-uid'],
        ['{"uid":null,"ts":1}', 'invalid-uid'],
        ['{"uid":["a"],"ts":1}', 'invalid-uid'],
        ['{"uid":"a"}', 'missing-ts'],
        ['{"uid":"a","n":{"ts":1}}', 'missing-ts'],
        ['{"uid":"a","ts":-1}', 'invalid-ts'],
        ['{"uid":"a","ts":4294967296}', 'invalid-ts'],
        ['{"uid":"a","ts":1468244384000}', 'invalid-ts'],
        ['{"uid":"a","ts":1e400}', 'invalid-ts'],
        ['{"uid":"a","ts":"12 "}', 'invalid-ts'],
        ['{"uid":"a","ts":"+12"}', 'invalid-ts'],
        ['{"uid":"a","ts":"0x10"}', 'invalid-ts'],
        ['{"uid":"a","ts":""}', 'invalid-ts'],
        ['{"uid":"a","ts":true}', 'invalid-ts'],
        ['{"uid":"a","ts":{}}', 'invalid-ts'],
        ['{"uid":"a","ts":"NaN"}', 'invalid-ts'],
      ];
      for (const [input, kind] of cases) {
        const bytes = typeof input === 'string' ? utf8(input) : input;
        expect(decode(bytes).kind, String(input)).toBe(kind);
        const expected = referenceDecode(bytes);
        // The reference agrees, except that it cannot tell truncated from invalid.
        const referenceKind = expected.valid ? null : expected.kind;
        expect(
          referenceKind === 'syntax' ? kind === 'truncated' || kind === 'invalid-json' : referenceKind === kind,
        ).toBe(true);
      }
    });

    it('refuses frames longer than maxFrameBytes, and only those', () => {
      const text = '{"uid":"abc","ts":1}';
      expect(make(text.length).decode(utf8(text), fresh())).toBeNull();
      expect(make(text.length - 1).decode(utf8(text), fresh())).toBe('too-long');
      expect(make(4).decode(new Uint8Array(5).fill(0xff), fresh())).toBe('too-long');
    });

    it('agrees with the reference on valid JSON whose root breaks the uid and ts rules', () => {
      const badUid: Json[] = ['', 0, null, true, arr(), obj(), arr('a'), obj(['uid', 'x'])];
      const badTs: Json[] = [
        -1,
        -0.5,
        2 ** 32,
        1e15,
        raw('1e400'),
        raw('-1e400'),
        '',
        ' 1',
        '1 ',
        '+1',
        '01',
        '1.',
        '.5',
        '0x1',
        'Infinity',
        '1e400',
        true,
        null,
        arr(),
        obj(),
      ];
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.constantFrom('a', 'b'), valueArb), { maxLength: 3 }),
          fc.option(fc.constantFrom(...badUid), { nil: undefined }),
          fc.option(fc.constantFrom(...badTs), { nil: undefined }),
          fc.boolean(),
          fc.boolean(),
          (others, uid, ts, dropUid, dropTs) => {
            const entries: (readonly [string, Json])[] = [...others];
            if (!dropUid) entries.push(['uid', uid ?? 'fine']);
            if (!dropTs) entries.push(['ts', ts ?? 7]);
            expectAgreesWithReference(utf8(write(obj(...entries))));
          },
        ),
        { numRuns: 1000 },
      );
    });
  });
});

function lastNonWhitespace(bytes: Uint8Array): number {
  let i = bytes.length - 1;
  while (i >= 0 && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0d || bytes[i] === 0x0a)) i--;
  return i;
}
