/**
 * The dated report: one Markdown file (and the same data as JSON, which the
 * README generator reads), with the machine, the headline figures and every
 * suite's tables, charts and notes.
 */
import { si } from './format.js';
import type { Chart, Headline, Measurement, SuiteReport, TextTable } from './harness.js';
import { formatLoad, type Machine } from './machine.js';

export const REPORT_VERSION = 1;

export interface SuiteFailure {
  readonly id: string;
  readonly title: string;
  readonly error: string;
}

/** Everything one run of the runner produced. */
export interface RunReport {
  readonly version: number;
  /** `YYYY-MM-DD-HHMM` (UTC), the report's file name without extension and suffix. */
  readonly stamp: string;
  /** The report's file name without `.md`: the stamp, plus `-quick` or `-partial` for runs that do not update
   * latest. */
  readonly name: string;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly command: string;
  readonly quick: boolean;
  readonly runs: number;
  readonly suites: readonly string[];
  readonly machine: Machine;
  readonly reports: readonly SuiteReport[];
  readonly failures: readonly SuiteFailure[];
  /** Chart id -> SVG file name, beside the report. */
  readonly chartFiles: Readonly<Record<string, string>>;
  /** Partial runs whose suites replaced or joined this run's in the READMEs (see withPartial). */
  readonly partials?: readonly PartialSource[];
}

/** Where suites quoted beside a complete run were measured. */
export interface PartialSource {
  /** The partial report's file name without `.md`. */
  readonly name: string;
  readonly startedAt: string;
  readonly command: string;
  /** Titles of the suites taken from it. */
  readonly titles: readonly string[];
  readonly loadAtStart: readonly number[];
  readonly loadAtEnd: readonly number[];
}

/** `2025-11-26-1405` in UTC. */
export function stampOf(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}`;
}

export function chartFileName(name: string, chart: Chart): string {
  return `${name}-${chart.id}.svg`;
}

/** GitHub's heading anchors: lowercase, spaces to dashes, most punctuation dropped. */
export function anchorOf(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
}

/** A table cell: pipes would end the cell early. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function measurementTable(caption: string, measurements: readonly Measurement[]): string {
  const lines = [`**${caption}**`, '', '| case | median | min | max | unit | runs |', '|---|---:|---:|---:|---|---:|'];
  for (const m of measurements)
    lines.push(`| ${cell(m.name)} | ${si(m.median)} | ${si(m.min)} | ${si(m.max)} | ${m.unit} | ${m.values.length} |`);
  return lines.join('\n');
}

export function textTable(table: TextTable): string {
  const lines = [
    `**${table.caption}**`,
    '',
    `| ${table.header.map(cell).join(' | ')} |`,
    `|${table.header.map(() => '---').join('|')}|`,
  ];
  for (const row of table.rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

export function headlineTable(headlines: readonly Headline[]): string {
  const lines = ['| figure | measured | target |', '|---|---|---|'];
  for (const h of headlines) {
    const target =
      h.target === undefined ? '' : `${h.target}: ${h.met === undefined ? '' : h.met ? '**met**' : '**not met**'}`;
    lines.push(`| ${cell(h.label)} | ${cell(h.value)} | ${cell(target)} |`);
  }
  return lines.join('\n');
}

function gigabytes(bytes: number): string {
  return `${(bytes / 1e9).toFixed(1)} GB`;
}

function machineSection(machine: Machine, runs: number): string {
  const rows: [string, string][] = [
    [
      'CPU',
      `${machine.cpuModel}, ${machine.cpuCount} logical CPUs (${machine.availableParallelism} available to Node)`,
    ],
    [
      'Memory',
      `${gigabytes(machine.memoryTotalBytes)} total, ${gigabytes(machine.memoryFreeBytesAtStart)} free at the start`,
    ],
    ['Node.js', `${machine.node} (${machine.arch})`],
    ['Kernel', machine.kernel],
    ['Load average (1 / 5 / 15 min)', `start ${formatLoad(machine.loadAtStart)}; end ${formatLoad(machine.loadAtEnd)}`],
    [
      'Peak RSS',
      machine.gnuTime
        ? 'GNU time (`/usr/bin/time -f %M`) around each CLI process'
        : 'not measured: GNU time is not installed',
    ],
    [
      'Code',
      machine.commit === null
        ? 'not a git checkout'
        : `commit ${machine.commit}${
            machine.uncommittedFiles > 0
              ? ` with ${machine.uncommittedFiles} uncommitted files (work in progress of several engineers)`
              : ''
          }`,
    ],
  ];
  return [
    '| | |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${cell(v)} |`),
    '',
    `> **This machine is shared** with other engineers working at the same time: absolute figures ` +
      `move with their load (see the load averages). Each figure is the median of ${runs} runs with ` +
      `their min and max, and every comparison was measured side by side (cases run round-robin) in ` +
      `this same run, so ratios are steadier than absolute numbers.`,
  ].join('\n');
}

function suiteSection(report: SuiteReport, chartFiles: Readonly<Record<string, string>>): string {
  const parts = [`## ${report.title}`];
  if (report.skipped !== undefined) {
    parts.push(`_Skipped: ${report.skipped}_`);
    return parts.join('\n\n');
  }
  for (const t of report.tables) parts.push(measurementTable(t.caption, t.measurements));
  for (const t of report.textTables ?? []) parts.push(textTable(t));
  for (const c of report.charts ?? []) {
    const file = chartFiles[c.id];
    if (file !== undefined) parts.push(`![${c.title}](${file})`);
  }
  if (report.notes.length > 0) parts.push(report.notes.map((n) => `- ${n}`).join('\n'));
  for (const p of report.paragraphs ?? []) parts.push(p);
  return parts.join('\n\n');
}

export function allHeadlines(run: RunReport): Headline[] {
  return run.reports.flatMap((r) => r.headlines ?? []);
}

export function renderReport(run: RunReport): string {
  const minutes = (run.durationSeconds / 60).toFixed(1);
  const started = run.startedAt.slice(0, 16).replace('T', ' ');
  const parts = [
    `# uniqstream benchmarks, ${started} UTC${run.quick ? ' (quick run: small inputs)' : ''}`,
    `Command: \`${run.command}\`, ${run.runs} runs per figure, ${minutes} minutes in all. Suites: ` +
      `${run.suites.join(', ')}.` +
      (run.quick ? ' A quick run uses small inputs for a fast look; its figures are not the published ones.' : ''),
    '## Machine',
    machineSection(run.machine, run.runs),
  ];
  const headlines = allHeadlines(run);
  if (headlines.length > 0) parts.push('## Headlines', headlineTable(headlines));
  if (run.failures.length > 0) {
    parts.push(
      '## Suites that failed',
      run.failures.map((f) => `- **${f.title}** (\`${f.id}\`): ${f.error}`).join('\n'),
    );
  }
  parts.push(
    '## Contents',
    run.reports
      .map((r) => `- [${r.title}](#${anchorOf(r.title)})${r.skipped === undefined ? '' : ' (skipped)'}`)
      .join('\n'),
  );
  for (const r of run.reports) parts.push(suiteSection(r, run.chartFiles));
  return `${parts.join('\n\n')}\n`;
}
