export { SOURCE_ERROR_CODES, SourceError, type SourceErrorCode } from './errors.js';
export { LineSplitter, type SplitterOptions } from './splitter.js';
export {
  checkReadable,
  DEFAULT_BATCH_FRAMES,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_MAX_FRAME_BYTES,
  openFileSource,
  STDIN_PATH,
  type FileSource,
  type FileSourceOptions,
} from './file-source.js';
