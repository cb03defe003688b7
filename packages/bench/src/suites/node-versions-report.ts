/**
 * The node-versions suite's report: for each path (a file end to end, Kafka
 * to Kafka) one table per figure with the two Node binaries side by side,
 * the ratio of their medians, what both counted, and the exact versions.
 */
import { summaryDifferences, type CliSummary } from '../cli-run.js';
import { BenchError } from '../errors.js';
import { si, spread } from '../format.js';
import {
  summarize,
  type Headline,
  type Measurement,
  type ReportTable,
  type SuiteReport,
  type TextTable,
} from '../harness.js';

/** A node binary the CLI is run by. */
export interface NodeBinary {
  /** `Node 20`: its major, as the ratios name it. */
  readonly label: string;
  /** `v20.20.2`, as `node --version` prints it. */
  readonly version: string;
  readonly path: string;
}

/** The figures of one run of the CLI. */
export interface VersionRun {
  readonly framesPerSecond: number;
  /** CPU seconds per million frames; undefined when not measured (no GNU time). */
  readonly cpuSecondsPerMillion: number | undefined;
  /** Peak RSS in MB (10^6 bytes); undefined when not measured. */
  readonly peakRssMb: number | undefined;
}

/** One path measured on both binaries, round-robin. */
export interface PathResult {
  /** `e2e` or `kafka`: the last part of the headline's key. */
  readonly key: string;
  /** For a reader: `End to end` or `Kafka -> Kafka`. */
  readonly label: string;
  /** The command and input, starting every table's caption. */
  readonly what: string;
  /** Where each figure comes from, after the command in the captions. */
  readonly sources: { readonly speed: string; readonly usage: string };
  /** The measured runs (warm-ups left out) of the baseline, then of the other binary. */
  readonly runs: readonly [readonly VersionRun[], readonly VersionRun[]];
  /** What every run of both binaries counted (they were checked to agree). */
  readonly counted: CliSummary;
}

export interface NodeVersionsSetup {
  readonly id: string;
  readonly title: string;
  /** The bench's own Node, which the other is held against. */
  readonly baseline: NodeBinary;
  readonly other: NodeBinary;
  /** Sentences about the inputs and the broker, first in the notes. */
  readonly notes: readonly string[];
}

interface Figure {
  readonly title: string;
  /** In the notes and headlines: `peak RSS 1.10x (198 vs 180 MB)`. */
  readonly short: string;
  readonly unit: string;
  /** After the two medians there, where `short` does not say the unit. */
  readonly suffix: string;
  readonly pick: (run: VersionRun) => number | undefined;
}

const FIGURES: readonly Figure[] = [
  { title: 'frames/s', short: 'frames/s', unit: 'frames/s', suffix: '', pick: (run) => run.framesPerSecond },
  {
    title: 'CPU seconds per million frames',
    short: 'CPU-s/M frames',
    unit: 'CPU-s/M frames',
    suffix: '',
    pick: (run) => run.cpuSecondsPerMillion,
  },
  { title: 'peak RSS (MB = 10^6 bytes)', short: 'peak RSS', unit: 'MB', suffix: ' MB', pick: (run) => run.peakRssMb },
];

/** `v24.1.0` -> `Node 24`. */
export function nodeLabel(version: string): string {
  return `Node ${/^v?(\d+)/.exec(version)?.[1] ?? version}`;
}

/** A run of the CLI on a path, and which binary ran it. */
export interface SummaryOf {
  readonly binary: string;
  readonly summary: CliSummary;
}

/**
 * What every run counted, checked against the first: the Node version may
 * change the speed, never the counts, so a difference is a bench error
 * (BAD_OUTPUT) naming the run and the figures that differ.
 */
export function agreedSummary(what: string, runs: readonly SummaryOf[]): CliSummary {
  const first = runs[0];
  if (first === undefined) throw new BenchError('BAD_OUTPUT', `${what}: no run to check`);
  for (const run of runs) {
    const differences = summaryDifferences(first.summary, run.summary);
    if (differences.length > 0) {
      throw new BenchError(
        'BAD_OUTPUT',
        `${what}: a run by ${run.binary} counted otherwise than the first by ${first.binary}: ` +
          `${differences.join(', ')}`,
      );
    }
  }
  return first.summary;
}

/** `Node 24 (v24.1.0)`: a case's name in the tables. */
export function binaryName(binary: NodeBinary): string {
  return `${binary.label} (${binary.version})`;
}

/** `1.04x`. */
function formatRatio(ratio: number): string {
  return `${ratio.toFixed(2)}x`;
}

/** A figure of both binaries, or undefined when a run did not measure it. */
function measure(
  figure: Figure,
  setup: NodeVersionsSetup,
  path: PathResult,
): readonly [Measurement, Measurement] | undefined {
  const [baselineRuns, otherRuns] = path.runs;
  const values = (runs: readonly VersionRun[]): number[] | undefined => {
    const picked = runs.map(figure.pick);
    return picked.length === 0 || picked.some((v) => v === undefined) ? undefined : (picked as number[]);
  };
  const baseline = values(baselineRuns);
  const other = values(otherRuns);
  if (baseline === undefined || other === undefined) return undefined;
  return [
    summarize(binaryName(setup.baseline), figure.unit, baseline),
    summarize(binaryName(setup.other), figure.unit, other),
  ];
}

/** `counted 99,880, late 430 (dropped 70), corrupt ts 10, malformed 104`. */
function countedLine(summary: CliSummary): string {
  const n = (value: number): string => value.toLocaleString('en-US');
  return (
    `counted ${n(summary.counted)} of ${n(summary.frames)}, late ${n(summary.late)} (dropped ` +
    `${n(summary.lateDropped)}), corrupt ts ${n(summary.corruptTs)}, malformed ${n(summary.malformed)}`
  );
}

export function nodeVersionsReport(setup: NodeVersionsSetup, paths: readonly PathResult[]): SuiteReport {
  const { baseline, other } = setup;
  const versus = `${other.label} / ${baseline.label}`;
  const tables: ReportTable[] = [];
  const ratioRows: string[][] = [];
  const headlines: Headline[] = [];
  const notes: string[] = [
    `${binaryName(baseline)}: ${baseline.path} (the bench's own); ${binaryName(other)}: ${other.path}. Both run ` +
      'the same apps/cli/dist/main.js, alternating run by run (A B A B ...), after one unmeasured run each.',
    ...setup.notes,
  ];
  for (const path of paths) {
    const ratios: string[] = [];
    const parts: string[] = [];
    for (const figure of FIGURES) {
      const pair = measure(figure, setup, path);
      if (pair === undefined) {
        ratios.push('-');
        continue;
      }
      const [base, next] = pair;
      const source = figure === FIGURES[0] ? path.sources.speed : path.sources.usage;
      tables.push({ caption: `${path.what}: ${figure.title} (${source})`, measurements: [base, next] });
      const ratio = formatRatio(next.median / base.median);
      ratios.push(ratio);
      parts.push(`${figure.short} ${ratio} (${si(next.median)} vs ${si(base.median)}${figure.suffix})`);
    }
    ratioRows.push([path.label, ...ratios]);
    const speed = measure(FIGURES[0]!, setup, path);
    if (speed !== undefined) {
      notes.push(
        `${path.label}: ${other.label} at ${spread(speed[1], 'frames/s')} against ${baseline.label} at ` +
          `${spread(speed[0], 'frames/s')}; ${versus}: ${parts.join(', ')}.`,
      );
    }
    notes.push(`${path.label}: every run of both binaries read the same: ${countedLine(path.counted)}.`);
    headlines.push({
      key: `nodeVersions.${path.key}`,
      label: `${path.label}, ${versus} (${baseline.version}, ${other.version})`,
      value: parts.join('; '),
    });
  }
  notes.push(
    `${versus} is the ratio of the medians: above 1, ${other.label} has more of it (faster for frames/s; more CPU ` +
      'or memory for the others).',
  );
  const textTables: TextTable[] = [
    {
      caption: `${versus}, ratio of the medians`,
      header: ['path', ...FIGURES.map((f) => f.title)],
      rows: ratioRows,
    },
    {
      caption: 'The Node binaries',
      header: ['binary', 'version', 'path'],
      rows: [baseline, other].map((b) => [b.label, b.version, b.path]),
    },
  ];
  return { id: setup.id, title: setup.title, tables, notes, textTables, headlines };
}
