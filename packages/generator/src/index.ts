export {
  DAMAGE_KINDS,
  MALFORMED_KINDS,
  DISORDER_KINDS,
  type DamageKind,
  type MalformedKind,
  type DisorderKind,
} from './damage.js';
export { GeneratorError, GENERATOR_ERROR_CODES, type GeneratorErrorCode } from './errors.js';
export {
  resolveOptions,
  parseStart,
  checkTimeZone,
  REALISTIC,
  DEFAULT_FRAME_BYTES,
  DEFAULT_MAX_DELAY,
  DEFAULT_TAIL_DELAY,
  MAX_TS,
  type StreamOptions,
  type ResolvedStreamOptions,
} from './options.js';
export {
  generateFrames,
  generateChunks,
  computeTruth,
  DEFAULT_CHUNK_BYTES,
  type GeneratedFrame,
  type GenerateHooks,
} from './stream.js';
export {
  GroundTruth,
  formatTruthRecord,
  parseTruthRecord,
  type GroundTruthOptions,
  type TruthFrame,
  type TruthRecord,
  type TruthSummary,
  type TruthWindow,
} from './truth.js';
export { Calendar, GRANULARITIES, windowOf, type Granularity, type WindowBounds } from './windows.js';
export { userId, UID_LENGTH } from './users.js';
export { Random } from './random.js';
