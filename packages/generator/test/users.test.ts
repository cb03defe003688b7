import { describe, expect, it } from 'vitest';
import { UID_LENGTH, UserIds, userId } from '../src/users.js';

describe('UserIds', () => {
  it('makes 19 lowercase hex characters', () => {
    const ids = new UserIds(1);
    for (let u = 0; u < 1000; u++) expect(ids.uid(u)).toMatch(/^[0-9a-f]{19}$/);
    expect(UID_LENGTH).toBe(19);
  });

  it('gives distinct users distinct uids', () => {
    const ids = new UserIds(9);
    const seen = new Set<string>();
    const n = 300_000;
    for (let u = 0; u < n; u++) seen.add(ids.uid(u));
    expect(seen.size).toBe(n);
    // The largest indices too.
    expect(ids.uid(0xffff_ffff)).not.toBe(ids.uid(0xffff_fffe));
  });

  it('depends on the seed and on nothing else', () => {
    expect(userId(5, 17)).toBe(userId(5, 17));
    expect(userId(5, 17)).not.toBe(userId(6, 17));
  });

  it('writes the same bytes as it returns', () => {
    const ids = new UserIds(3);
    const out = new Uint8Array(UID_LENGTH + 4);
    const end = ids.write(1234, out, 2);
    expect(end).toBe(2 + UID_LENGTH);
    expect(new TextDecoder().decode(out.subarray(2, end))).toBe(ids.uid(1234));
  });
});
