export { SINK_ERROR_CODES, SinkError, type SinkErrorCode } from './errors.js';
export { formatResultJson, formatResultLines } from './result-json.js';
export { isoSeconds, tableHeader, tableRow } from './table.js';
export {
  createFileSink,
  createStdoutSink,
  openResultSink,
  RESULT_FORMATS,
  type FileSinkOptions,
  type ResultFormat,
  type ResultSinkOptions,
  type StdoutSinkOptions,
} from './result-sink.js';
export {
  createDeadLetterSink,
  DEFAULT_DEAD_LETTER_FRAME_BYTES,
  formatDeadLetter,
  type DeadLetterFormatOptions,
  type DeadLetterSinkOptions,
} from './dead-letter.js';
