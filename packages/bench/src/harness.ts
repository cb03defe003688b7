/**
 * The measuring harness every suite uses. Alternatives are run round-robin
 * (A B C A B C ...) so a noisy neighbour on this shared machine slows all of
 * them alike, and each figure is the median of several runs with its min and
 * max, never a single timing.
 */

export interface Measurement {
  /** What was measured, e.g. `scanner` or `JSON.parse`. */
  readonly name: string;
  /** Unit of the values, e.g. `frames/s`, `MB/s`, `MB`. */
  readonly unit: string;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Every run's value, in run order. */
  readonly values: readonly number[];
}

export interface BenchCase {
  readonly name: string;
  /** Runs once and returns the figure for that run, in `unit`. */
  readonly run: () => number | Promise<number>;
}

export interface CompareOptions {
  readonly unit: string;
  /** Measured runs per case (at least 5 for a report). */
  readonly runs: number;
  /** Unmeasured runs per case first, so the JIT has settled. */
  readonly warmup?: number;
  /** Called after every run, for progress output. */
  readonly onRun?: (caseName: string, run: number, value: number) => void;
}

export function summarize(name: string, unit: string, values: readonly number[]): Measurement {
  if (values.length === 0) throw new RangeError(`no values for ${name}`);
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { name, unit, median, min: sorted[0]!, max: sorted[sorted.length - 1]!, values: [...values] };
}

/**
 * The nearest-rank quantile (0 < q <= 1): the smallest value with at least
 * q of the values at or below it, so a p99 is always a value that was seen
 * (with fewer than 100 values it is the largest).
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError('no values for a quantile');
  if (!(q > 0 && q <= 1)) throw new RangeError(`quantile ${q} is not in (0, 1]`);
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(q * sorted.length) - 1]!;
}

/** Measures every case round-robin and summarizes each. */
export async function compare(cases: readonly BenchCase[], options: CompareOptions): Promise<Measurement[]> {
  const warmup = options.warmup ?? 1;
  for (let i = 0; i < warmup; i++) for (const c of cases) await c.run();
  const values = cases.map(() => [] as number[]);
  for (let run = 0; run < options.runs; run++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      const value = await c.run();
      values[i]!.push(value);
      options.onRun?.(c.name, run, value);
    }
  }
  return cases.map((c, i) => summarize(c.name, options.unit, values[i]!));
}

/** Ratio of two medians, e.g. how many times faster `a` is than `b`. */
export function ratio(a: Measurement, b: Measurement): number {
  return a.median / b.median;
}

/** Wall-clock seconds of `fn`, with a monotonic clock. */
export async function timeSeconds(fn: () => unknown | Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** What a suite hands back to the report writer. */
export interface SuiteReport {
  readonly id: string;
  readonly title: string;
  /** Groups of side-by-side measurements, each a table in the report. */
  readonly tables: readonly ReportTable[];
  /** Findings in plain sentences: ratios, targets met or missed. */
  readonly notes: readonly string[];
  /** Tables of things that are not timings (sizes, errors, profiles), after `tables`. */
  readonly textTables?: readonly TextTable[];
  /** Charts drawn as SVG files beside the report. */
  readonly charts?: readonly Chart[];
  /** The few figures the READMEs quote, with their targets. */
  readonly headlines?: readonly Headline[];
  /** Longer prose after the notes, e.g. a paragraph the README quotes. */
  readonly paragraphs?: readonly string[];
  /** Set when the suite could not run here, with the reason (e.g. an app not built yet). */
  readonly skipped?: string;
}

/** A plain table: a header row and rows of cells already formatted. */
export interface TextTable {
  readonly caption: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** One median with its spread, as a chart draws it. */
export interface ChartValue {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface BarChart {
  readonly kind: 'bar';
  /** Part of the SVG file name: lowercase letters, digits and dashes. */
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  readonly bars: readonly (ChartValue & { readonly label: string })[];
  /** A horizontal line, e.g. a target. */
  readonly target?: { readonly value: number; readonly label: string };
}

export interface LineChart {
  readonly kind: 'line';
  readonly id: string;
  readonly title: string;
  readonly xLabel: string;
  readonly unit: string;
  /** Log-scale x axis, for series over powers of ten. */
  readonly logX: boolean;
  readonly series: readonly {
    readonly name: string;
    readonly points: readonly (ChartValue & { readonly x: number })[];
  }[];
  readonly target?: { readonly value: number; readonly label: string };
}

export type Chart = BarChart | LineChart;

/** A figure the READMEs quote. */
export interface Headline {
  /** Stable key, e.g. `e2e.minute.framesPerSecond`. */
  readonly key: string;
  /** What it is, for a reader. */
  readonly label: string;
  /** The figure, formatted, e.g. `312 k frames/s (298-330 k)`. */
  readonly value: string;
  /** The target it is held against, formatted, if there is one. */
  readonly target?: string;
  readonly met?: boolean;
}

export interface ReportTable {
  readonly caption: string;
  readonly measurements: readonly Measurement[];
}

export interface SuiteContext {
  /** Small inputs for a fast look. */
  readonly quick: boolean;
  /** A scratch folder the suite may fill (ignored by git). */
  readonly workDir: string;
  /** Runs per measurement. */
  readonly runs: number;
  /** Progress for a person watching; goes to stderr. */
  readonly log: (message: string) => void;
}

export type Suite = (context: SuiteContext) => Promise<SuiteReport>;
