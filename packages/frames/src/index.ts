export { DECODER_KINDS, DEFAULT_MAX_FRAME_BYTES, MALFORMED_KINDS } from './contract.js';
export type { DecodedFrame, DecoderKind, DecoderOptions, FrameDecoder, MalformedKind } from './contract.js';
export {
  createDecoder,
  createFastDecoder,
  createFastJsDecoder,
  createJsonDecoder,
  createSimdjsonDecoder,
  isDecoderKind,
} from './decoder.js';
export { FRAMES_ERROR_CODES, FramesError } from './errors.js';
export type { FramesErrorCode } from './errors.js';
export { hashString, hashUid } from './hash.js';
export type { UidHash } from './hash.js';
export { TS_LIMIT } from './ts.js';
export { wasmScannerAvailable } from './wasm-scanner.js';
