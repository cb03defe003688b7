/**
 * What a decoder hands back, and the closed list of ways a frame can be
 * malformed. These mirror core's `DecodedFrame` and `FrameDecoder`
 * structurally: this package depends on nothing, core included.
 */

/** Scratch object a decoder fills in; the caller reuses it for every frame. */
export interface DecodedFrame {
  /** High 32 bits of the 64-bit hash of the uid's UTF-8 bytes (unsigned). */
  uidHi: number;
  /** Low 32 bits of the 64-bit hash of the uid's UTF-8 bytes (unsigned). */
  uidLo: number;
  /** Event time, whole unix seconds, in [0, 2^32). */
  ts: number;
}

/** Every way a frame can be refused, in the order a decoder checks them. */
export const MALFORMED_KINDS = [
  'too-long',
  'empty',
  'invalid-utf8',
  'not-object',
  'truncated',
  'invalid-json',
  'missing-uid',
  'invalid-uid',
  'missing-ts',
  'invalid-ts',
] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/** Turns one frame's bytes into a uid hash and a ts. */
export interface FrameDecoder {
  readonly name: string;
  /**
   * Decodes `frame` (one line without its `\n`; a trailing `\r` counts as
   * whitespace) into `out`. Returns null when the frame is valid, or the kind
   * of damage when it is not, in which case `out` holds no meaning. Never
   * throws.
   *
   * `knownUtf8`: the caller has already checked that `frame` is valid UTF-8
   * (a source validates a whole chunk of lines in one call, which is cheaper
   * than one call per frame), so the decoder may skip its own check. Passing
   * true for a frame that is not valid UTF-8 is the caller's error.
   */
  decode(frame: Uint8Array, out: DecodedFrame, knownUtf8?: boolean): MalformedKind | null;
}

/**
 * `fast` is the WebAssembly SIMD scanner where the engine has WebAssembly
 * SIMD (Node 16.4+), else the same scanner in JavaScript; `fast-js` is always
 * the JavaScript one.
 */
export const DECODER_KINDS = ['fast', 'fast-js', 'json', 'simdjson'] as const;
export type DecoderKind = (typeof DECODER_KINDS)[number];

export interface DecoderOptions {
  /** Frames longer than this many bytes are refused as `too-long`. Default 1 MiB. */
  readonly maxFrameBytes?: number;
}

/** 1 MiB: ~500 times a real frame, small enough that one bad line cannot stall a batch. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;
