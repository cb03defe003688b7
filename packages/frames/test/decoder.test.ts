import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DECODER_KINDS,
  DEFAULT_MAX_FRAME_BYTES,
  FramesError,
  MALFORMED_KINDS,
  createDecoder,
  createFastDecoder,
  createJsonDecoder,
  isDecoderKind,
} from '../src/index.js';
import type { DecodedFrame, DecoderKind, FrameDecoder } from '../src/index.js';
import { utf8, validFrameArb } from './support/json-model.js';

const fresh = (): DecodedFrame => ({ uidHi: 0, uidLo: 0, ts: 0 });

function available(kind: DecoderKind): FrameDecoder | undefined {
  try {
    return createDecoder(kind);
  } catch (error) {
    if (error instanceof FramesError && error.code === 'SIMDJSON_UNAVAILABLE') return undefined;
    throw error;
  }
}

describe('createDecoder', () => {
  it('builds each kind under its own name', () => {
    for (const kind of DECODER_KINDS) {
      const decoder = available(kind);
      if (decoder === undefined) continue;
      expect(decoder.name).toBe(kind);
      const out = fresh();
      expect(decoder.decode(utf8('{"uid":"u","ts":"12.5"}'), out)).toBeNull();
      expect(out.ts).toBe(12);
    }
    expect(createFastDecoder().name).toBe('fast');
    expect(createJsonDecoder().name).toBe('json');
  });

  it('applies maxFrameBytes, by default 1 MiB', () => {
    const frame = (bytes: number): Uint8Array => utf8(`{"uid":"u","ts":1,"pad":"${'x'.repeat(bytes - 27)}"}`);
    expect(frame(100).length).toBe(100);
    for (const kind of DECODER_KINDS) {
      if (available(kind) === undefined) continue;
      expect(createDecoder(kind, { maxFrameBytes: 100 }).decode(frame(100), fresh())).toBeNull();
      expect(createDecoder(kind, { maxFrameBytes: 99 }).decode(frame(100), fresh())).toBe('too-long');
      expect(createDecoder(kind).decode(frame(DEFAULT_MAX_FRAME_BYTES), fresh())).toBeNull();
      expect(createDecoder(kind).decode(frame(DEFAULT_MAX_FRAME_BYTES + 1), fresh())).toBe('too-long');
    }
  });

  it('refuses a bad maxFrameBytes and an unknown kind with typed errors', () => {
    for (const maxFrameBytes of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 40]) {
      expect(() => createDecoder('fast', { maxFrameBytes })).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    }
    expect(() => createDecoder('simd' as DecoderKind)).toThrow(
      expect.objectContaining({ name: 'FramesError', code: 'UNKNOWN_DECODER' }),
    );
  });

  it('tells decoder names apart', () => {
    for (const kind of DECODER_KINDS) expect(isDecoderKind(kind)).toBe(true);
    expect(isDecoderKind('JSON')).toBe(false);
  });

  it('has a closed list of kinds every decoder keeps to', () => {
    expect(new Set(MALFORMED_KINDS).size).toBe(MALFORMED_KINDS.length);
    const inputs = ['', '[]', '{', '{}', '{"uid":1}', '{"uid":"a"}', '{"uid":"a","ts":"x"}', '{"uid":"a","ts":1}}'];
    for (const kind of DECODER_KINDS) {
      const decoder = available(kind);
      if (decoder === undefined) continue;
      for (const input of inputs) expect(MALFORMED_KINDS).toContain(decoder.decode(utf8(input), fresh()));
    }
  });

  it('decodes a frame the caller vouches is UTF-8 (knownUtf8) exactly as one it checks itself', () => {
    const decoders = DECODER_KINDS.map(available).filter((d): d is FrameDecoder => d !== undefined);
    fc.assert(
      fc.property(validFrameArb, ({ bytes }) => {
        for (const decoder of decoders) {
          const checked = fresh();
          const vouched = fresh();
          const kind = decoder.decode(bytes, checked);
          expect(decoder.decode(bytes, vouched, true)).toBe(kind);
          if (kind === null) expect(vouched).toEqual(checked);
        }
      }),
      { numRuns: 500 },
    );
    // Without the promise, each decoder still finds the bad byte itself.
    const invalid = Uint8Array.of(...utf8('{"uid":"a'), 0xff, ...utf8('","ts":1}'));
    for (const decoder of decoders) expect(decoder.decode(invalid, fresh())).toBe('invalid-utf8');
  });
});
