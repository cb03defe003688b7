import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecodedFrame, FrameDecoder } from '../src/contract.js';
import { hashString, hashUid, murmur3x86128 } from '../src/hash.js';
import { JsonDecoder } from '../src/json.js';
import { JsScanDecoder } from '../src/scanner.js';
import { WasmScanDecoder } from '../src/wasm-scanner.js';
import { utf8 } from './support/json-model.js';

describe('murmur3x86128', () => {
  it("matches the reference implementation (SMHasher's verification value)", () => {
    // SMHasher's VerificationTest: hash the keys {}, {0}, {0,1}, ... {0..254}
    // with seed 256 - length, hash the concatenated little-endian digests with
    // seed 0, and read the first word. MurmurHash3_x86_128 gives 0xB3ECE62A.
    const key = Uint8Array.from({ length: 256 }, (_, i) => i);
    const digests = new Uint8Array(16 * 256);
    const digest = new Uint32Array(4);
    const view = new DataView(digests.buffer);
    for (let length = 0; length < 256; length++) {
      murmur3x86128(key, 0, length, 256 - length, digest);
      for (let w = 0; w < 4; w++) view.setUint32(length * 16 + w * 4, digest[w]!, true);
    }
    murmur3x86128(digests, 0, digests.length, 0, digest);
    expect(digest[0]).toBe(0xb3ece62a);
  });

  it('hashes a range of a larger array like the same bytes on their own', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 8 }),
        fc.uint8Array({ maxLength: 8 }),
        (bytes, before, after) => {
          const whole = new Uint8Array([...before, ...bytes, ...after]);
          const a = { uidHi: 0, uidLo: 0 };
          const b = { uidHi: 0, uidLo: 0 };
          hashUid(bytes, 0, bytes.length, a);
          hashUid(whole, before.length, before.length + bytes.length, b);
          expect(b).toEqual(a);
          expect(a.uidHi >>> 0).toBe(a.uidHi);
          expect(a.uidLo >>> 0).toBe(a.uidLo);
        },
      ),
    );
  });
});

describe('uid hash through the decoders', () => {
  const fast = new WasmScanDecoder();
  const fastJs = new JsScanDecoder();
  const json = new JsonDecoder();
  const decodeUid = (decoder: FrameDecoder, uidJson: string): [number, number] => {
    const out: DecodedFrame = { uidHi: 0, uidLo: 0, ts: 0 };
    expect(decoder.decode(utf8(`{"uid":${uidJson},"ts":1}`), out)).toBeNull();
    return [out.uidHi, out.uidLo];
  };

  it('hashes the decoded string, however it is escaped', () => {
    const spellings: [string, string][] = [
      ['"ab"', '"a\\u0062"'],
      ['"ab"', '"\\u0061\\u0062"'],
      ['"a/b"', '"a\\/b"'],
      ['"a\\"b"', '"a\\u0022b"'],
      ['"😀"', '"\\ud83d\\ude00"'],
      ['"😀"', '"\\uD83D\\uDE00"'],
      ['"Свобода"', '"\\u0421\\u0432\\u043e\\u0431\\u043e\\u0434\\u0430"'],
      ['"\\ufffd"', '"\\ud800"'], // a lone surrogate hashes as U+FFFD, as TextEncoder writes it
      ['"\\ufffdA"', '"\\udc00\\u0041"'],
      ['"\\ufffd😀"', '"\\ud800\\ud83d\\ude00"'],
    ];
    for (const [plain, escaped] of spellings) {
      const expected = hashString(JSON.parse(plain) as string);
      for (const decoder of [fast, fastJs, json]) {
        expect(decodeUid(decoder, plain), plain).toEqual(expected);
        expect(decodeUid(decoder, escaped), escaped).toEqual(expected);
      }
    }
  });

  it('gives every decoder the same hash for the same uid string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }), (uid) => {
        const expected = hashString(uid);
        expect(decodeUid(fast, JSON.stringify(uid))).toEqual(expected);
        expect(decodeUid(fastJs, JSON.stringify(uid))).toEqual(expected);
        expect(decodeUid(json, JSON.stringify(uid))).toEqual(expected);
      }),
    );
  });
});

describe('uid hash distribution', () => {
  const COUNT = 1_000_000;
  /** 19 lowercase hex characters, like the challenge's uids, from a counter scrambled so they look random. */
  function uidBytes(i: number, into: Uint8Array): void {
    const hex = '0123456789abcdef';
    let x = Math.imul(i ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
    for (let k = 0; k < 19; k++) {
      // The last 8 characters are i itself, so all uids are distinct.
      const nibble = k >= 11 ? (i >>> (4 * (18 - k))) & 15 : (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 28;
      into[k] = hex.charCodeAt(nibble);
    }
  }

  it('has no collisions and uniform top bits over 1M distinct 19-hex uids', () => {
    const bytes = new Uint8Array(19);
    const out = { uidHi: 0, uidLo: 0 };
    const seen = new Set<bigint>();
    const BUCKET_BITS = 10;
    const buckets = new Float64Array(1 << BUCKET_BITS);
    const lowBuckets = new Float64Array(1 << BUCKET_BITS);
    const distinct = new Set<string>();
    for (let i = 0; i < COUNT; i++) {
      uidBytes(i, bytes);
      if (i < 1000) distinct.add(String.fromCharCode(...bytes));
      hashUid(bytes, 0, 19, out);
      seen.add((BigInt(out.uidHi) << 32n) | BigInt(out.uidLo));
      buckets[out.uidHi >>> (32 - BUCKET_BITS)]!++;
      lowBuckets[out.uidLo >>> (32 - BUCKET_BITS)]!++;
    }
    expect(distinct.size).toBe(1000);
    // 64-bit birthday bound: P(any collision) ~ n^2 / 2^65 = 2.7e-8 for 1M.
    expect(seen.size).toBe(COUNT);
    // Chi-square with 1023 degrees of freedom: mean 1023, sd ~45. A bound
    // 7 sd above the mean fails a well-mixed hash with probability < 1e-9,
    // while a hash that ignores a few input bits blows far past it.
    const limit = 1023 + 7 * Math.sqrt(2 * 1023);
    for (const counts of [buckets, lowBuckets]) {
      const expected = COUNT / counts.length;
      let chi2 = 0;
      for (const c of counts) chi2 += ((c - expected) * (c - expected)) / expected;
      expect(chi2).toBeLessThan(limit);
    }
  }, 60_000);
});
