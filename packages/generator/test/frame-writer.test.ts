import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DAMAGE_KINDS, type DamageKind } from '../src/damage.js';
import { FrameWriter, writeDecimal, type FramePlan } from '../src/frame-writer.js';
import { resolveOptions } from '../src/options.js';
import { poolFor } from '../src/pool.js';
import { Random } from '../src/random.js';
import { UserIds } from '../src/users.js';
import { classify, rootKeys } from './support/reference.js';

const lossy = new TextDecoder();
const SEED = 99;

function writer(frameBytes: number, tsStringFraction = 0): { writer: FrameWriter; ids: UserIds } {
  const options = resolveOptions({
    seed: SEED,
    users: 1000,
    rate: 1,
    start: 1_468_244_384,
    frames: 1,
    frameBytes,
    tsStringFraction,
  });
  const ids = new UserIds(SEED);
  return { writer: new FrameWriter(options, poolFor(SEED), ids), ids };
}

function plans(count: number, damage: DamageKind | null): FramePlan[] {
  const r = new Random(1);
  return Array.from({ length: count }, (_, seq) => ({
    seq,
    ts: 1_400_000_000 + r.below(400_000_000),
    user: r.below(1000),
    arrival: seq,
    delay: 0,
    disorder: null,
    damage,
    flipBit: damage === 'bitflip' ? r.below(32) : -1,
  }));
}

interface Written {
  readonly plan: FramePlan;
  readonly bytes: Uint8Array;
  readonly writtenTs: number | null;
}

function writeAll(w: FrameWriter, list: FramePlan[]): Written[] {
  const buf = new Uint8Array(w.maxFrameBytes);
  return list.map((plan) => {
    const end = w.write(plan, buf, 0);
    expect(end).toBeLessThanOrEqual(w.maxFrameBytes);
    return { plan, bytes: buf.slice(0, end), writtenTs: w.writtenTs };
  });
}

describe('writeDecimal', () => {
  it('writes what String() writes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (n) => {
        const out = new Uint8Array(12);
        const end = writeDecimal(n, out, 1);
        expect(lossy.decode(out.subarray(1, end))).toBe(String(n));
      }),
    );
  });
});

describe('FrameWriter', () => {
  const { writer: w, ids } = writer(2048, 0.2);

  it('writes valid frames with a unique root uid and ts as planned', () => {
    let strings = 0;
    for (const { plan, bytes, writtenTs } of writeAll(w, plans(1500, null))) {
      const c = classify(bytes);
      expect(c).toMatchObject({ kind: 'valid', uid: ids.uid(plan.user), ts: plan.ts });
      expect(writtenTs).toBe(plan.ts);
      if (c.kind === 'valid' && c.tsIsString) strings++;
      const keys = rootKeys(lossy.decode(bytes));
      expect(keys.filter((k) => k === 'uid')).toHaveLength(1);
      expect(keys.filter((k) => k === 'ts')).toHaveLength(1);
    }
    expect(strings).toBeGreaterThan(200);
    expect(strings).toBeLessThan(400);
  });

  it('puts 0-3 keys before an adjacent uid and ts in most frames, and elsewhere in some', () => {
    const before = [0, 0, 0, 0];
    let adjacent = 0;
    let other = 0;
    let repeatedKey = 0;
    const list = writeAll(w, plans(2000, null));
    for (const { bytes } of list) {
      const keys = rootKeys(lossy.decode(bytes));
      const u = keys.indexOf('uid');
      const t = keys.indexOf('ts');
      if (Math.abs(u - t) === 1 && Math.min(u, t) <= 3) {
        adjacent++;
        before[Math.min(u, t)]!++;
      } else other++;
      if (new Set(keys).size < keys.length) repeatedKey++;
    }
    expect(adjacent / list.length).toBeGreaterThan(0.85);
    expect(other).toBeGreaterThan(list.length * 0.03);
    for (const n of before) expect(n).toBeGreaterThan(list.length * 0.15);
    expect(repeatedKey).toBeGreaterThan(0);
  });

  it('fills frames to about frameBytes on average', () => {
    for (const size of [2048, 600]) {
      const { writer: sized } = writer(size);
      const lengths = writeAll(sized, plans(1000, null)).map((x) => x.bytes.length);
      const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
      expect(Math.abs(mean - size) / size).toBeLessThan(0.05);
    }
  });

  it('writes each malformed kind as exactly that kind', () => {
    for (const kind of DAMAGE_KINDS) {
      if (kind === 'bitflip') continue;
      for (const { bytes } of writeAll(w, plans(300, kind))) expect(classify(bytes).kind).toBe(kind);
    }
  });

  it('flips exactly one bit of the written ts and leaves the frame valid', () => {
    for (const { plan, bytes, writtenTs } of writeAll(w, plans(500, 'bitflip'))) {
      const c = classify(bytes);
      expect(c.kind).toBe('valid');
      if (c.kind !== 'valid') continue;
      expect(c.ts).toBe(writtenTs);
      expect(((c.ts ^ plan.ts) >>> 0).toString(2).replace(/0/g, '')).toBe('1');
      expect((c.ts ^ plan.ts) >>> 0).toBe((1 << plan.flipBit) >>> 0);
    }
  });

  it('cuts truncated frames inside the object without splitting a character', () => {
    const strict = new TextDecoder('utf-8', { fatal: true });
    for (const { bytes } of writeAll(w, plans(500, 'truncated'))) {
      expect(bytes[0]).toBe(0x7b);
      expect(() => strict.decode(bytes)).not.toThrow();
    }
  });

  it('keeps invalid-utf8 frames otherwise valid', () => {
    for (const { plan, bytes } of writeAll(w, plans(300, 'invalid-utf8'))) {
      const root = JSON.parse(lossy.decode(bytes)) as { uid: string; ts: number | string };
      expect(root.uid).toBe(ids.uid(plan.user));
      expect(Number(root.ts)).toBe(plan.ts);
    }
  });
});
