import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { precheck } from '../src/precheck.js';

describe('precheck', () => {
  it('finds the opening brace, or says why there is none, as a plain reading would', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    fc.assert(
      fc.property(
        fc.constantFrom('', ' ', '\t\r\n ', ' {', '{', '[', 'x', '\ufeff{'),
        fc.uint8Array({ maxLength: 12 }),
        (head, tail) => {
          const bytes = new Uint8Array([...new TextEncoder().encode(head), ...tail]);
          let text: string | undefined;
          try {
            text = fatal.decode(bytes);
          } catch {
            text = undefined;
          }
          const trimmed = text?.replace(/^[ \t\r\n]+/, '');
          const leadingWhitespace = bytes.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x0a);
          const expected =
            leadingWhitespace < 0
              ? 'empty'
              : text === undefined
                ? 'invalid-utf8'
                : trimmed!.startsWith('{')
                  ? leadingWhitespace
                  : 'not-object';
          expect(precheck(bytes, 1024)).toBe(expected);
          if (bytes.length > 0) expect(precheck(bytes, bytes.length - 1)).toBe('too-long');
        },
      ),
      { numRuns: 3000 },
    );
  });
});
