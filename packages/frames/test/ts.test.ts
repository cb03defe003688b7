import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INVALID_TS, TS_LIMIT, numberEnd, tsFromBytes, tsFromNumber, tsFromString } from '../src/ts.js';
import { utf8 } from './support/json-model.js';
import { referenceTs } from './support/oracle.js';

const toReference = (ts: number): number | undefined => (ts === INVALID_TS ? undefined : ts);

/** Number-ish strings: digits, signs, dots, exponents, spaces, in any order. */
const numberishArb = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789-+.eE '), maxLength: 14 }),
  fc.double().map((n) => String(n)),
  fc.integer({ min: -10, max: 2 ** 33 }).map(String),
  fc.constantFrom(
    '0',
    '-0',
    '00',
    '01',
    '1.',
    '.5',
    '1e',
    '1e+',
    '4294967295',
    '4294967296',
    '4294967295.9999999',
    '1e400',
    '-1e-400',
    'NaN',
    'Infinity',
    '0x10',
    '١٢',
  ),
);

describe('ts rules', () => {
  it('takes numbers as the rules say', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double(),
          fc.integer({ min: -5, max: 2 ** 33 }),
          fc.constantFrom(-0, TS_LIMIT, TS_LIMIT - 0.5, 0.999),
        ),
        (n) => {
          expect(toReference(tsFromNumber(n))).toBe(referenceTs(n));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('takes strings as the rules say', () => {
    fc.assert(
      fc.property(numberishArb, (s) => {
        expect(toReference(tsFromString(s))).toBe(referenceTs(s));
      }),
      { numRuns: 5000 },
    );
  });

  it('reads bytes exactly as the string rules read the same text', () => {
    fc.assert(
      fc.property(numberishArb, (s) => {
        const bytes = utf8(s);
        expect(toReference(tsFromBytes(bytes, 0, bytes.length))).toBe(referenceTs(s));
      }),
      { numRuns: 5000 },
    );
  });

  it('finds where a JSON number ends, as the grammar says', () => {
    const wholeNumber = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
    fc.assert(
      fc.property(numberishArb, fc.constantFrom('', ',', '}', ']', ' ', '\r'), (s, delimiter) => {
        const bytes = utf8(s + delimiter);
        const end = numberEnd(bytes, 0, bytes.length);
        // A number followed by a delimiter ends right there, and only then.
        expect(end === s.length).toBe(wholeNumber.test(s));
        // Whatever it stops at, what it stepped over is one whole number.
        if (end >= 0) expect(wholeNumber.test(s.slice(0, end))).toBe(true);
        else expect(~end).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 5000 },
    );
  });
});
