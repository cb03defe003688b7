import avsc from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashString, type DecodedFrame } from '@uniqstream/frames';
import {
  AVRO_UID_TS_SCHEMA,
  FIXED_BYTES,
  WAYS,
  checkWay,
  decodeAvroUidTs,
  decodeFixed,
  encodeFixed,
  makeCorpus,
} from '../../src/suites/serialization.js';

const type = avsc.Type.forSchema(AVRO_UID_TS_SCHEMA as unknown as avsc.Schema);
const uid = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 19, maxLength: 19 });
const ts = fc.oneof(
  fc.constantFrom(0, 1, 63, 64, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1),
  fc.integer({ min: 0, max: 2 ** 32 - 1 }),
);

describe('the hand-written Avro reader', () => {
  it('reads what avsc writes: the uid hash of the same bytes and the same ts', () => {
    fc.assert(
      fc.property(uid, ts, (u, t) => {
        const out: DecodedFrame = { uidHi: 0, uidLo: 0, ts: -1 };
        expect(decodeAvroUidTs(type.toBuffer({ uid: u, ts: t }) as Buffer, out)).toBe(true);
        const [hi, lo] = hashString(u);
        expect([out.uidHi, out.uidLo, out.ts]).toEqual([
          hi,
          lo,
          (type.fromBuffer(type.toBuffer({ uid: u, ts: t })) as { ts: number }).ts,
        ]);
      }),
    );
  });

  it('refuses records cut short', () => {
    const whole = type.toBuffer({ uid: '470109cc73df8c6b5f0', ts: 1_468_244_384 }) as Buffer;
    const out: DecodedFrame = { uidHi: 0, uidLo: 0, ts: 0 };
    for (let length = 0; length < whole.length; length++)
      expect(decodeAvroUidTs(whole.subarray(0, length), out)).toBe(false);
  });
});

describe('the fixed 23-byte layout', () => {
  it('round-trips uid hash and ts', () => {
    fc.assert(
      fc.property(uid, ts, (u, t) => {
        const message = encodeFixed(u, t);
        expect(message.length).toBe(FIXED_BYTES);
        const out: DecodedFrame = { uidHi: 0, uidLo: 0, ts: 0 };
        decodeFixed(message, out);
        expect([out.uidHi, out.uidLo, out.ts]).toEqual([...hashString(u), t]);
      }),
    );
  });
});

describe('the corpus and the ways to decode it', () => {
  const corpus = makeCorpus(300);

  it('holds the same frames in every encoding, each read back by every way', () => {
    for (let i = 0; i < 300; i++) {
      const root = JSON.parse(corpus.jsonFull[i]!.toString('utf8')) as { uid: string; ts: number | string };
      expect(root.uid).toBe(corpus.uids[i]);
      expect(Number(root.ts)).toBe(corpus.ts[i]);
      expect(JSON.parse(corpus.jsonMin[i]!.toString('utf8'))).toEqual({ uid: corpus.uids[i], ts: corpus.ts[i] });
    }
    for (const way of WAYS) expect(() => checkWay(way, corpus)).not.toThrow();
  });

  it('catches a way that misreads', () => {
    const damaged = { ...corpus, fixed: corpus.fixed.map((m, i) => (i === 7 ? Buffer.from(m).fill(0x30, 0, 1) : m)) };
    const fixedWay = WAYS.find((w) => w.name.startsWith('fixed'))!;
    // The first uid character changes unless it already was '0'.
    if (corpus.uids[7]![0] !== '0') expect(() => checkWay(fixedWay, damaged)).toThrow(/message 7/);
  });
});
