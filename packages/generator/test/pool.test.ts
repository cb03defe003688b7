import { describe, expect, it } from 'vitest';
import { LOREM, MAX_FRAGMENT_BYTES, MEMBER_POOL_SIZE, poolFor } from '../src/pool.js';
import { rootKeys } from './support/reference.js';

const decoder = new TextDecoder('utf-8', { fatal: true });
const text = (bytes: Uint8Array) => decoder.decode(bytes);

describe('poolFor', () => {
  const pool = poolFor(1234);
  const members = pool.members.map(text);

  it('makes root members that are valid JSON, never keyed uid or ts, within the size cap', () => {
    expect(members).toHaveLength(MEMBER_POOL_SIZE);
    for (const member of members) {
      const keys = rootKeys(`{${member}}`);
      expect(keys).toHaveLength(1);
      expect(['uid', 'ts']).not.toContain(keys[0]);
      expect(LOREM as readonly string[]).toContain(keys[0]);
      expect(() => JSON.parse(`{${member}}`)).not.toThrow();
    }
    for (const m of pool.members) expect(m.length).toBeLessThanOrEqual(MAX_FRAGMENT_BYTES);
  });

  it('covers what docs/frames.md lists: escapes, multi-byte text, nesting, decoy uid and ts', () => {
    const all = members.join('\n');
    for (const sequence of ['\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t']) expect(all).toContain(sequence);
    expect(all).toMatch(/[\u0400-\u04ff]/); // Cyrillic
    expect(all).toMatch(/\p{Extended_Pictographic}/u); // emoji
    expect(all).toMatch(/\\\\"/); // a string ending in an escaped backslash
    expect(all).toContain('"uid":'); // decoys, nested
    expect(all).toContain('"ts":');
    expect(all).toMatch(/\d\.\d/); // floats
    expect(all).toContain('true');
    const depth = Math.max(...members.map(nestingDepth));
    expect(depth).toBeGreaterThanOrEqual(4);
  });

  it('is the same for the same seed and different for another', () => {
    expect(poolFor(77).members.map(text)).toEqual(poolFor(77).members.map(text));
    expect(poolFor(77).members.map(text)).not.toEqual(poolFor(78).members.map(text));
  });

  it('has values that parse, invalid ts values that are not numbers, and non-object lines', () => {
    for (const v of pool.values) expect(() => JSON.parse(text(v))).not.toThrow();
    for (const v of pool.invalidTs) {
      const parsed: unknown = JSON.parse(text(v));
      expect(typeof parsed === 'number' || (typeof parsed === 'string' && /^\d+$/.test(parsed))).toBe(false);
    }
    for (const line of pool.notObject) {
      expect(line.length).toBeGreaterThan(0);
      expect(String.fromCharCode(line[0]!)).not.toMatch(/[{\s]/);
    }
    for (const bad of pool.badUtf8) expect(() => decoder.decode(bad)).toThrow();
  });
});

function nestingDepth(member: string): number {
  const value: unknown = JSON.parse(`{${member}}`);
  const depth = (v: unknown): number =>
    typeof v === 'object' && v !== null
      ? 1 + Math.max(0, ...Object.values(v as Record<string, unknown>).map(depth))
      : 0;
  return depth(value);
}
