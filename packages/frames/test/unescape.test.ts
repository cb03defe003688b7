import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Unescaper } from '../src/unescape.js';
import { style, utf8, writeString } from './support/json-model.js';

describe('Unescaper', () => {
  const unescaper = new Unescaper();
  const encoder = new TextEncoder();

  it('gives the UTF-8 of the string JSON.parse reads, however it is escaped', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 40 }),
          fc.constantFrom('\ud800', '\udc00x', '\ud800\ud800\udc00', '\\"', 'a\\'),
        ),
        fc.integer(),
        fc.constantFrom(0, 0.3, 1),
        (value, seed, escapes) => {
          const literal = writeString(value, style(seed, 0, escapes, 0.5));
          const content = utf8(literal.slice(1, -1));
          // Place it mid-buffer to check the range is respected.
          const padded = new Uint8Array([0x22, ...content, 0x22]);
          const n = unescaper.unescape(padded, 1, padded.length - 1);
          expect(n).toBeGreaterThanOrEqual(0);
          expect([...unescaper.bytes.subarray(0, n)]).toEqual([...encoder.encode(JSON.parse(literal) as string)]);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('refuses malformed escapes', () => {
    for (const content of ['\\x', '\\', 'ab\\u12', '\\u12g4', '\\U0041', '\\ud800\\u12']) {
      const bytes = utf8(content);
      expect(unescaper.unescape(bytes, 0, bytes.length), content).toBe(-1);
      expect(() => JSON.parse(`"${content}"`)).toThrow();
    }
  });
});
