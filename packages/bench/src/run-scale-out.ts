/**
 * Runs only the scale-out suite (the consumer service as 1 vs 2 instances;
 * needs Java and Maven for the local broker) and prints its tables as
 * markdown.
 *
 *   node packages/bench/dist/run-scale-out.js [--quick] [--runs N]
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Measurement, SuiteReport } from './harness.js';
import { scaleOutSuite } from './suites/scale-out.js';

const DEFAULT_RUNS = 5;
const QUICK_RUNS = 3;

function parseRuns(argv: readonly string[], quick: boolean): number {
  const at = argv.indexOf('--runs');
  if (at < 0) return quick ? QUICK_RUNS : DEFAULT_RUNS;
  const runs = Number(argv[at + 1]);
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write(`--runs needs a positive integer, got ${argv[at + 1] ?? 'nothing'}\n`);
    process.exit(2);
  }
  return runs;
}

function format(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k`;
  return value >= 10 ? value.toFixed(1) : value.toPrecision(3);
}

function table(caption: string, measurements: readonly Measurement[]): string {
  const lines = [`### ${caption}`, '', '| case | median | min | max | unit |', '|---|---:|---:|---:|---|'];
  for (const m of measurements) lines.push(`| ${m.name} | ${format(m.median)} | ${format(m.min)} | ${format(m.max)} | ${m.unit} |`);
  return lines.join('\n');
}

function render(report: SuiteReport): string {
  const parts = [`## ${report.title}`];
  for (const t of report.tables) parts.push(table(t.caption, t.measurements));
  if (report.notes.length > 0) parts.push(report.notes.map((n) => `- ${n}`).join('\n'));
  return `${parts.join('\n\n')}\n`;
}

/** packages/bench/.work, ignored by git. */
const workDir = fileURLToPath(new URL('../.work/', import.meta.url));
mkdirSync(workDir, { recursive: true });

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const report = await scaleOutSuite({
  quick,
  runs: parseRuns(argv, quick),
  workDir,
  log: (message) => process.stderr.write(`${message}\n`),
});
process.stdout.write(`${render(report)}\nnode ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
