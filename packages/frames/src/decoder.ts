/** Building a decoder by name, with its options checked once, up front. */

import { constants as bufferConstants } from 'node:buffer';
import { DECODER_KINDS, DEFAULT_MAX_FRAME_BYTES } from './contract.js';
import type { DecoderKind, DecoderOptions, FrameDecoder } from './contract.js';
import { FramesError } from './errors.js';
import { JsonDecoder } from './json.js';
import { FastDecoder } from './scanner.js';
import { SimdjsonDecoder } from './simdjson.js';

/**
 * Every decoder turns a frame into one string (its text, or its latin1 for
 * `indexOf`), which cannot be longer than V8 allows; capping the frame size
 * there is what keeps `decode` from ever throwing.
 */
const MAX_FRAME_BYTES_LIMIT = bufferConstants.MAX_STRING_LENGTH;

function maxFrameBytesOf(options: DecoderOptions | undefined): number {
  const value = options?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_FRAME_BYTES_LIMIT) {
    throw new FramesError(
      'BAD_OPTION',
      `maxFrameBytes must be an integer from 1 to ${MAX_FRAME_BYTES_LIMIT}, got ${String(value)}`,
    );
  }
  return value;
}

/** The hand-written byte scanner: the fast path. */
export function createFastDecoder(options?: DecoderOptions): FrameDecoder {
  return new FastDecoder(maxFrameBytesOf(options));
}

/** `JSON.parse` of the frame's UTF-8 text: the reference. */
export function createJsonDecoder(options?: DecoderOptions): FrameDecoder {
  return new JsonDecoder(maxFrameBytesOf(options));
}

/**
 * The npm `simdjson` package. Throws FramesError `SIMDJSON_UNAVAILABLE` when
 * its native addon is not installed or did not build.
 */
export function createSimdjsonDecoder(options?: DecoderOptions): FrameDecoder {
  return new SimdjsonDecoder(maxFrameBytesOf(options));
}

export function isDecoderKind(name: string): name is DecoderKind {
  return (DECODER_KINDS as readonly string[]).includes(name);
}

/** A decoder by name; throws FramesError `UNKNOWN_DECODER` for a name not in DECODER_KINDS. */
export function createDecoder(kind: DecoderKind, options?: DecoderOptions): FrameDecoder {
  switch (kind) {
    case 'fast':
      return createFastDecoder(options);
    case 'json':
      return createJsonDecoder(options);
    case 'simdjson':
      return createSimdjsonDecoder(options);
    default: {
      // Reachable from untyped callers (a CLI flag, a config file).
      const name: unknown = kind;
      throw new FramesError(
        'UNKNOWN_DECODER',
        `unknown decoder ${JSON.stringify(name)}; expected one of ${DECODER_KINDS.join(', ')}`,
      );
    }
  }
}
