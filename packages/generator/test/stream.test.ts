import { describe, expect, it } from 'vitest';
import { generateChunks, generateFrames } from '../src/stream.js';
import type { StreamOptions } from '../src/options.js';
import { classify, plausible } from './support/reference.js';

const options: StreamOptions = {
  seed: 17,
  users: 2000,
  rate: 500,
  start: 1_468_244_384,
  frames: 5000,
  frameBytes: 700,
  lateFraction: 0.05,
  tailFraction: 0.01,
  bitflipFraction: 0.01,
  malformedFraction: 0.03,
  tsStringFraction: 0.1,
};

function concat(chunks: Iterable<Uint8Array>): Buffer {
  return Buffer.concat([...chunks]);
}

describe('generateChunks', () => {
  const bytes = concat(generateChunks(options));

  it('gives byte-identical output for the same seed and options', () => {
    expect(concat(generateChunks(options)).equals(bytes)).toBe(true);
  });

  it('gives different output for a different seed', () => {
    const other = concat(generateChunks({ ...options, seed: 18 }));
    expect(other.equals(bytes)).toBe(false);
  });

  it('packs whole lines: any chunk size gives the same bytes, every chunk ends a line', () => {
    const chunks = [...generateChunks(options, 10_000)];
    expect(chunks.length).toBeGreaterThan(100);
    for (const c of chunks) expect(c[c.length - 1]).toBe(0x0a);
    expect(concat(chunks).equals(bytes)).toBe(true);
  });

  it('holds the same lines as generateFrames, one per frame', () => {
    // bytes is only valid until the next frame, so copy while iterating.
    const lines: Buffer[] = [];
    for (const f of generateFrames(options)) lines.push(Buffer.from(f.bytes));
    expect(lines).toHaveLength(5000);
    expect(Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])).equals(bytes)).toBe(true);
  });

  it('ends lines with \\r\\n when asked, and otherwise changes nothing', () => {
    const crlf = concat(generateChunks({ ...options, crlf: true }));
    expect(crlf.toString('latin1').split('\r\n').join('\n')).toBe(bytes.toString('latin1'));
    expect(crlf.toString('latin1').match(/\r\n/g)).toHaveLength(5000);
  });
});

describe('generateFrames', () => {
  const frames: {
    bytes: Uint8Array;
    ts: number;
    writtenTs: number | null;
    emitTs: number;
    delay: number;
    uid: string;
    damage: string | null;
  }[] = [];
  for (const f of generateFrames(options)) {
    frames.push({
      bytes: f.bytes.slice(),
      ts: f.ts,
      writtenTs: f.writtenTs,
      emitTs: f.emitTs,
      delay: f.delay,
      uid: f.uid,
      damage: f.damage,
    });
  }

  it('writes the uid and ts it reports into every valid frame', () => {
    let bad = 0;
    let quoted = 0;
    for (const f of frames) {
      const c = classify(f.bytes);
      if (f.damage === null || f.damage === 'bitflip') {
        if (c.kind !== 'valid' || c.uid !== f.uid || c.ts !== f.writtenTs) bad++;
        else if (c.tsIsString) quoted++;
        if (f.damage === null && f.writtenTs !== f.ts) bad++;
      }
    }
    expect(bad).toBe(0);
    const valid = frames.filter((f) => f.damage === null || f.damage === 'bitflip').length;
    expect(plausible(quoted, valid, 0.1)).toBe(true);
  });

  it('emits in arrival order, each frame delay to delay + 1 s after its ts', () => {
    let bad = 0;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      const late = f.emitTs - f.ts;
      if (late < f.delay || late >= f.delay + 1) bad++;
      if (i > 0 && frames[i - 1]!.emitTs > f.emitTs) bad++;
    }
    expect(bad).toBe(0);
  });

  it('hands out views of one reused buffer', () => {
    const it = generateFrames(options);
    const first = it.next().value!;
    const copy = first.bytes.slice();
    it.next();
    expect(first.bytes.buffer).toBe(it.next().value!.bytes.buffer);
    expect(Buffer.from(first.bytes).equals(Buffer.from(copy))).toBe(false);
  });
});

describe('users', () => {
  it('draws uniformly: distinct users match N(1 - (1 - 1/N)^frames)', () => {
    const n = 5000;
    const count = 20_000;
    const uids = new Set<string>();
    for (const f of generateFrames({ seed: 2, users: n, rate: 1000, start: 0, frames: count, frameBytes: 0 }))
      uids.add(f.uid);
    const expected = n * (1 - (1 - 1 / n) ** count);
    expect(Math.abs(uids.size - expected)).toBeLessThan(60); // sd is about 12
  });

  it('skews by zipf: the most frequent uid takes about 1 / H(N, s) of frames', () => {
    const n = 10_000;
    const s = 1.1;
    const count = 50_000;
    const freq = new Map<string, number>();
    for (const f of generateFrames({
      seed: 4,
      users: n,
      zipf: s,
      rate: 1000,
      start: 0,
      frames: count,
      frameBytes: 0,
    })) {
      freq.set(f.uid, (freq.get(f.uid) ?? 0) + 1);
    }
    let norm = 0;
    for (let k = 1; k <= n; k++) norm += 1 / k ** s;
    const top = [...freq.values()].sort((a, b) => b - a);
    expect(plausible(top[0]!, count, 1 / norm)).toBe(true);
    expect(plausible(top[1]!, count, 1 / 2 ** s / norm)).toBe(true);
    // A uniform draw would give the top uid about 15 frames.
    expect(top[0]!).toBeGreaterThan(count / 20);
  });
});
