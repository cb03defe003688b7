/**
 * The decoder backed by the npm `simdjson` package (simdjson 0.9 through
 * N-API), loaded lazily so that this package works where its native addon
 * did not build.
 *
 * Of the package's entry points, `parse` (the whole document as JS values) is
 * used: `lazyParse` + `valueForKeyPath` is no faster on real frames (it makes
 * a parser, an External and a function per call) and returns the FIRST of
 * duplicate keys where JSON.parse keeps the last; nested `uid`/`ts` decoys are
 * too common for a cheap "is the key there twice" test to route around that.
 * simdjson refuses some text JSON.parse accepts (numbers beyond double range,
 * nesting deeper than 1024, lone high surrogate escapes) and reports errors
 * only as messages, so any frame it refuses goes to the JSON.parse decoder,
 * which gives the verdict and kind; so do the few frames whose escapes its
 * bindings would misread.
 */

import { createRequire } from 'node:module';
import { DEFAULT_MAX_FRAME_BYTES } from './contract.js';
import type { DecodedFrame, FrameDecoder, MalformedKind } from './contract.js';
import { FramesError } from './errors.js';
import { frameText, readFields } from './fields.js';
import { JsonDecoder } from './json.js';
import { precheck } from './precheck.js';

/** The part of the `simdjson` module this decoder uses. */
interface SimdjsonBinding {
  parse(text: string): unknown;
}

let binding: SimdjsonBinding | undefined;

function loadSimdjson(): SimdjsonBinding {
  if (binding !== undefined) return binding;
  const require = createRequire(import.meta.url);
  try {
    // simdjson's own entry point quietly returns the global JSON object (and
    // adds an `isValid` method to it) when its addon is missing, so the addon
    // is looked for first, and the module is then checked for its own parse.
    require.resolve('simdjson/build/Release/simdjson.node');
    const loaded = require('simdjson') as Partial<SimdjsonBinding> & { lazyParse?: unknown };
    if (loaded === (JSON as unknown) || typeof loaded.parse !== 'function' || typeof loaded.lazyParse !== 'function') {
      throw new Error('the simdjson module has no native parser');
    }
    binding = loaded as SimdjsonBinding;
    return binding;
  } catch (cause) {
    throw new FramesError(
      'SIMDJSON_UNAVAILABLE',
      'the simdjson decoder needs the optional "simdjson" package and its native addon, which are not ' +
        'installed or not built here; use the "fast" or "json" decoder',
      { cause },
    );
  }
}

/**
 * Escapes simdjson's bindings get wrong without an error: they cut object keys
 * at a NUL (`\u0000`), and turn a lone low surrogate (`\udc00`) into
 * something other than JSON.parse's string. Frames with either (or with any
 * surrogate escape, which this test cannot tell from a pair) take the
 * JSON.parse path. `\u` escapes are rare in real frames, so the cheap
 * `includes` keeps the regular expression off the hot path.
 */
const UNICODE_ESCAPE = '\\u';
const MISREAD_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

export class SimdjsonDecoder implements FrameDecoder {
  readonly name = 'simdjson';
  private readonly maxFrameBytes: number;
  private readonly simdjson: SimdjsonBinding;
  private readonly fallback: JsonDecoder;

  /** Throws FramesError `SIMDJSON_UNAVAILABLE` when the native addon cannot be loaded. */
  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes;
    this.simdjson = loadSimdjson();
    this.fallback = new JsonDecoder(maxFrameBytes);
  }

  decode(frame: Uint8Array, out: DecodedFrame, knownUtf8 = false): MalformedKind | null {
    const open = precheck(frame, this.maxFrameBytes, knownUtf8);
    if (typeof open !== 'number') return open;
    let root: unknown;
    try {
      const text = frameText(frame);
      if (text.includes(UNICODE_ESCAPE) && MISREAD_ESCAPE.test(text))
        return this.fallback.decode(frame, out, knownUtf8);
      root = this.simdjson.parse(text);
    } catch {
      return this.fallback.decode(frame, out, knownUtf8);
    }
    // Precheck saw `{` first and simdjson accepted the whole text.
    return readFields(root as object, out);
  }
}
