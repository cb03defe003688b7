/**
 * Writes a run's report into packages/bench/results: `<name>.md`, the same
 * data as `<name>.json`, and one SVG per chart. A complete run (every suite,
 * full inputs, at least 5 runs) is also copied to latest.md / latest.json,
 * and the READMEs' generated blocks (root, bench, consumer service) are
 * rewritten from it.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchError } from './errors.js';
import { BENCH_README, CONSUMER_README, RESULTS_DIR, ROOT_README } from './paths.js';
import { readmeBlock, replaceBlock, type BlockOptions } from './readme-block.js';
import { REPORT_VERSION, renderReport, type PartialSource, type RunReport } from './report.js';
import { renderChart } from './svg.js';

export const LATEST = 'latest';

export interface Written {
  readonly markdown: string;
  readonly json: string;
  readonly charts: readonly string[];
  /** The latest.md copy, when the run was complete. */
  readonly latest: string | null;
}

export function writeRun(run: RunReport, complete: boolean, dir = RESULTS_DIR): Written {
  mkdirSync(dir, { recursive: true });
  const charts: string[] = [];
  for (const report of run.reports) {
    for (const chart of report.charts ?? []) {
      const file = run.chartFiles[chart.id];
      if (file === undefined) continue;
      writeFileSync(join(dir, file), renderChart(chart));
      charts.push(join(dir, file));
    }
  }
  const markdown = join(dir, `${run.name}.md`);
  const json = join(dir, `${run.name}.json`);
  writeFileSync(markdown, renderReport(run));
  writeFileSync(json, `${JSON.stringify(run, null, 1)}\n`);
  if (!complete) return { markdown, json, charts, latest: null };
  // The copies keep the dated chart file names, so both open with their charts.
  copyFileSync(markdown, join(dir, `${LATEST}.md`));
  copyFileSync(json, join(dir, `${LATEST}.json`));
  return { markdown, json, charts, latest: join(dir, `${LATEST}.md`) };
}

export function readRun(path: string): RunReport {
  const run = JSON.parse(readFileSync(path, 'utf8')) as RunReport;
  if (run.version !== REPORT_VERSION)
    throw new BenchError(
      'BAD_INPUT',
      `${path} is a version ${String(run.version)} report; this runner reads version ${REPORT_VERSION}`,
    );
  return run;
}

/**
 * `base` (a complete run) with the suites `partial` measured in place of
 * its own, or beside them: how the READMEs quote a suite measured after
 * the last complete run, naming the partial report it comes from.
 */
export function withPartial(base: RunReport, partial: RunReport): RunReport {
  const taken = new Set(partial.reports.map((r) => r.id));
  const source: PartialSource = {
    name: partial.name,
    startedAt: partial.startedAt,
    command: partial.command,
    titles: partial.reports.map((r) => r.title),
    loadAtStart: partial.machine.loadAtStart,
    loadAtEnd: partial.machine.loadAtEnd,
  };
  return {
    ...base,
    reports: [...base.reports.filter((r) => !taken.has(r.id)), ...partial.reports],
    failures: [...base.failures.filter((f) => !taken.has(f.id)), ...partial.failures],
    chartFiles: { ...base.chartFiles, ...partial.chartFiles },
    // An earlier partial run whose suites this one all measured again is no longer quoted.
    partials: [
      ...(base.partials ?? []).filter((p) => !p.titles.every((title) => source.titles.includes(title))),
      source,
    ],
  };
}

export interface ReadmeFiles {
  readonly root: string;
  readonly bench: string;
  /** The consumer service's README: the figures of the service (scale-out and latency suites) only. */
  readonly consumer: string;
}

/** The service's suites, which apps/consumer/README.md quotes. */
const SERVICE_SUITES = ['scale-out', 'latency'];

/** Rewrites the generated blocks of the root README, the bench README and the consumer service's README from `run`. */
export function updateReadmes(
  run: RunReport,
  files: ReadmeFiles = { root: ROOT_README, bench: BENCH_README, consumer: CONSUMER_README },
): string[] {
  const targets: { path: string; options: BlockOptions }[] = [
    {
      path: files.root,
      options: { resultsLink: 'packages/bench/results/', paragraphsOf: ['accuracy'], chart: 'e2e-speed' },
    },
    { path: files.bench, options: { resultsLink: 'results/', paragraphsOf: ['accuracy', 'serialization', 'latency'] } },
    {
      path: files.consumer,
      options: { resultsLink: '../../packages/bench/results/', paragraphsOf: SERVICE_SUITES, suites: SERVICE_SUITES },
    },
  ];
  // Every README is checked before any is written, so a broken one leaves both as they were.
  const changes = targets.map((t) => {
    const text = readFileSync(t.path, 'utf8');
    return { path: t.path, text, next: replaceBlock(text, readmeBlock(run, t.options)) };
  });
  const written: string[] = [];
  for (const c of changes) {
    if (c.next === c.text) continue;
    writeFileSync(c.path, c.next);
    written.push(c.path);
  }
  return written;
}
