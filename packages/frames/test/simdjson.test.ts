import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DecodedFrame } from '../src/contract.js';
import type { FramesError } from '../src/errors.js';
import { JsonDecoder } from '../src/json.js';
import { utf8, validFrameArb } from './support/json-model.js';
import { realisticFrame } from './support/realistic.js';

const fresh = (): DecodedFrame => ({ uidHi: -1, uidLo: -1, ts: -1 });

function nativeSimdjsonBuilt(): boolean {
  try {
    createRequire(import.meta.url).resolve('simdjson/build/Release/simdjson.node');
    return true;
  } catch {
    return false;
  }
}

describe.runIf(nativeSimdjsonBuilt())('simdjson decoder', async () => {
  const { SimdjsonDecoder } = await import('../src/simdjson.js');
  const simdjson = new SimdjsonDecoder();
  const json = new JsonDecoder();

  function expectSame(bytes: Uint8Array): void {
    const a = fresh();
    const b = fresh();
    const kind = simdjson.decode(bytes, a);
    expect(kind).toBe(json.decode(bytes, b));
    if (kind === null) expect(a).toEqual(b);
  }

  it('agrees with the json decoder on valid frames', () => {
    fc.assert(
      fc.property(validFrameArb, (frame) => expectSame(frame.bytes)),
      { numRuns: 1000 },
    );
    for (let seed = 1; seed <= 100; seed++) {
      const bytes = utf8(realisticFrame(seed).text);
      expect(simdjson.decode(bytes, fresh())).toBeNull();
      expectSame(bytes);
    }
  });

  it('agrees with the json decoder on damaged frames, kinds included', () => {
    fc.assert(
      fc.property(
        validFrameArb,
        fc.array(fc.tuple(fc.nat(), fc.nat(255), fc.nat(2)), { minLength: 1, maxLength: 3 }),
        (frame, edits) => {
          const bytes = [...frame.bytes];
          for (const [at, byte, op] of edits) {
            const i = at % (bytes.length + 1);
            if (op === 0) bytes.splice(i, 0, byte);
            else if (op === 1) bytes.splice(i, 1);
            else bytes[i] = byte;
          }
          expectSame(Uint8Array.from(bytes));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('keeps the last of duplicate root keys, like JSON.parse', () => {
    const out = fresh();
    expect(simdjson.decode(utf8('{"uid":"first","ts":1,"uid":"last","ts":2}'), out)).toBeNull();
    expect(out.ts).toBe(2);
    expectSame(utf8('{"uid":"first","ts":1,"uid":"last","ts":2}'));
  });

  it('handles what simdjson itself refuses or mangles, as JSON.parse does', () => {
    const cases = [
      '{"uid":"a","ts":1,"big":1e400}', // beyond double range
      '{"uid":"a","ts":1e400}',
      `{"uid":"a","ts":1,"n":${'['.repeat(2000)}${']'.repeat(2000)}}`, // deeper than simdjson's 1024
      '{"uid":"\\ud800","ts":1}', // lone high surrogate: refused
      '{"uid":"x\\udfff","ts":1}', // lone low surrogate: silently misread
      '{"uid\\u0000x":"nul-key","uid":"a","ts":1}', // its bindings cut keys at NUL
      '{"uid":"a","uid\\u0000":"b","ts":1}',
      '{"__proto__":{"uid":"x","ts":1}}', // its bindings set prototypes
    ];
    for (const text of cases) expectSame(utf8(text));
  });
});

describe('simdjson decoder without its native addon', () => {
  afterEach(() => {
    vi.doUnmock('node:module');
    vi.resetModules();
  });

  it('throws a typed error saying which decoders to use instead', async () => {
    vi.resetModules();
    vi.doMock('node:module', async (importOriginal) => {
      const original = await importOriginal<typeof import('node:module')>();
      const createRequireWithoutAddon = (from: string | URL): NodeJS.Require => {
        const require = original.createRequire(from);
        const resolve = Object.assign(
          (id: string): string => {
            if (id.startsWith('simdjson'))
              throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
            return require.resolve(id);
          },
          { paths: require.resolve.paths },
        );
        return Object.assign((id: string): unknown => require(id), require, { resolve }) as NodeJS.Require;
      };
      return {
        ...original,
        createRequire: createRequireWithoutAddon,
        default: { ...original, createRequire: createRequireWithoutAddon },
      };
    });
    const { SimdjsonDecoder } = await import('../src/simdjson.js');
    const { FramesError: IsolatedFramesError } = await import('../src/errors.js');
    let caught: unknown;
    try {
      new SimdjsonDecoder();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(IsolatedFramesError);
    expect((caught as FramesError).code).toBe('SIMDJSON_UNAVAILABLE');
    expect((caught as FramesError).message).toMatch(/"fast" or "json"/);
    // And loading did not touch the global JSON object, as simdjson's own fallback would.
    expect('isValid' in JSON).toBe(false);
  });
});
