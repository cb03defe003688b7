import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packedValuesAreUtf8 } from '../src/packed-utf8.js';
import { validUtf8 } from './support/utf8.js';

/** Values of valid text cut anywhere (so characters split across values), and odd bytes. */
const piece = fc.oneof(
  fc.constantFrom('a', '{"uid":"x"}', 'é', 'Свобода', '😀', '').map((s) => Buffer.from(s)),
  fc.constantFrom(Buffer.of(0xff), Buffer.of(0x80), Buffer.of(0xc3), Buffer.of(0xa9), Buffer.of(0xe2, 0x82)),
);
const values = fc.array(
  fc.array(piece, { maxLength: 6 }).map((p) => Buffer.concat(p)),
  { maxLength: 8 },
);

describe('packedValuesAreUtf8', () => {
  it('is true exactly when every packed value is valid UTF-8 on its own', () => {
    fc.assert(
      fc.property(values, fc.array(fc.nat(), { maxLength: 4 }), (list, recuts) => {
        // Re-cut the same bytes at other points too: characters then straddle two values.
        const all = Buffer.concat(list);
        const cuts = [
          ...new Set([
            ...list.map((_, i) => list.slice(0, i + 1).reduce((n, v) => n + v.length, 0)),
            ...recuts.map((c) => c % (all.length + 1)),
          ]),
        ].sort((a, b) => a - b);
        if (cuts.at(-1) !== all.length) cuts.push(all.length);
        const parts = cuts.map((end, i) => all.subarray(i === 0 ? 0 : cuts[i - 1], end));
        expect(packedValuesAreUtf8(all, cuts)).toBe(parts.every(validUtf8));
      }),
      { numRuns: 3000 },
    );
  });

  it('catches a character split between two values although the whole span is valid', () => {
    const bytes = Buffer.from('aé');
    expect(packedValuesAreUtf8(bytes, [3])).toBe(true);
    expect(packedValuesAreUtf8(bytes, [2, 3])).toBe(false);
    expect(packedValuesAreUtf8(bytes, [1, 1, 3])).toBe(true);
  });
});
