/**
 * @uniqstream/bench is mostly scripts (main.ts, readme.ts, run-*.ts); this
 * is what other code may reuse from it.
 */
export {
  compare,
  quantile,
  ratio,
  summarize,
  timeSeconds,
  type BarChart,
  type BenchCase,
  type Chart,
  type ChartValue,
  type CompareOptions,
  type Headline,
  type LineChart,
  type Measurement,
  type ReportTable,
  type Suite,
  type SuiteContext,
  type SuiteReport,
  type TextTable,
} from './harness.js';
export { BENCH_ERROR_CODES, BenchError, type BenchErrorCode } from './errors.js';
export {
  CliCases,
  parseSummary,
  parseTimeLine,
  runCli,
  type CliOptions,
  type CliRun,
  type CliSummary,
  type ProcessUsage,
} from './cli-run.js';
export {
  datasetFileName,
  ensureDataset,
  eventSeconds,
  type Bitflip,
  type Dataset,
  type DatasetOptions,
} from './dataset.js';
export { renderChart } from './svg.js';
export { areaTimes, parseCpuProfile, selfTimes, type CpuProfile, type FunctionTime } from './cpuprofile.js';
export { END_MARKER, START_MARKER, readmeBlock, replaceBlock, type BlockOptions } from './readme-block.js';
export type { RunReport } from './report.js';
