/** Building a decoder by name, with its options checked once, up front. */

import { constants as bufferConstants } from 'node:buffer';
import { DECODER_KINDS, DEFAULT_MAX_FRAME_BYTES } from './contract.js';
import type { DecoderKind, DecoderOptions, FrameDecoder } from './contract.js';
import { FramesError } from './errors.js';
import { JsonDecoder } from './json.js';
import { JsScanDecoder } from './scanner.js';
import { SimdjsonDecoder } from './simdjson.js';
import { WasmScanDecoder, wasmScannerAvailable } from './wasm-scanner.js';

/**
 * The json and simdjson decoders turn a frame into one string, which cannot
 * be longer than V8 allows; capping the frame size there is what keeps their
 * `decode` from ever throwing. The scanners build no string, but share the
 * option's range so that every kind accepts the same options.
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

/**
 * The byte scanner, the fast path: in WebAssembly SIMD where the engine has
 * it, else in JavaScript (named `fast` either way).
 */
export function createFastDecoder(options?: DecoderOptions): FrameDecoder {
  const maxFrameBytes = maxFrameBytesOf(options);
  return wasmScannerAvailable() ? new WasmScanDecoder(maxFrameBytes) : new JsScanDecoder(maxFrameBytes, 'fast');
}

/** The byte scanner in JavaScript, string-free, whatever the engine has. */
export function createFastJsDecoder(options?: DecoderOptions): FrameDecoder {
  return new JsScanDecoder(maxFrameBytesOf(options));
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
    case 'fast-js':
      return createFastJsDecoder(options);
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
