import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WindowResult } from '@uniqstream/core';
import { formatResultJson, formatResultLines } from '../src/result-json.js';
import { windowResult } from './arbitraries.js';

/** The reference: JSON.stringify of an object built in the documented key order. */
function reference(r: WindowResult): string {
  const ordered = {
    window: r.window,
    start: r.start,
    end: r.end,
    users: r.users,
    frames: r.frames,
    revision: r.revision,
    final: r.final,
    method: r.method,
    ...(r.method === 'hll' && r.error !== undefined ? { error: r.error } : {}),
  };
  return JSON.stringify(ordered);
}

describe('formatResultJson', () => {
  it('writes the same text as JSON.stringify, keys in order', () => {
    fc.assert(
      fc.property(windowResult, (result) => {
        const text = formatResultJson(result);
        expect(text).toBe(reference(result));
        expect(JSON.parse(text)).toEqual(result);
      }),
      { numRuns: 5000 },
    );
  });

  it('keeps the documented shape', () => {
    const text = formatResultJson({
      window: 'minute',
      start: 1468244340,
      end: 1468244400,
      users: 5823,
      frames: 59231,
      revision: 0,
      final: true,
      method: 'exact',
    });
    expect(Object.keys(JSON.parse(text) as object)).toEqual([
      'window',
      'start',
      'end',
      'users',
      'frames',
      'revision',
      'final',
      'method',
    ]);
    const hll = JSON.parse(
      formatResultJson({
        window: 'hour',
        start: 0,
        end: 3600,
        users: 1,
        frames: 1,
        revision: 2,
        final: false,
        method: 'hll',
        error: 0.0081,
      }),
    ) as object;
    expect(Object.keys(hll).at(-1)).toBe('error');
  });

  it('leaves error out for exact results and writes non-finite numbers as null like JSON.stringify', () => {
    const odd = {
      window: 'day',
      start: 0,
      end: 86_400,
      users: Number.NaN,
      frames: Infinity,
      revision: -0,
      final: false,
      method: 'exact',
      error: 0.5,
    } as const;
    expect(formatResultJson(odd)).toBe(reference(odd));
    expect(formatResultJson(odd)).not.toContain('error');
  });

  it('escapes a window name that got past the types', () => {
    const forced = {
      window: 'min"ute',
      start: 0,
      end: 60,
      users: 0,
      frames: 0,
      revision: 0,
      final: true,
      method: 'exact',
    } as unknown as WindowResult;
    expect(JSON.parse(formatResultJson(forced))).toMatchObject({ window: 'min"ute' });
  });

  it('writes one line per result', () => {
    fc.assert(
      fc.property(fc.array(windowResult, { maxLength: 10 }), (results) => {
        const text = formatResultLines(results);
        const lines = text.split('\n');
        expect(lines.pop()).toBe('');
        expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(results);
      }),
    );
  });
});
