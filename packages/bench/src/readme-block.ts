/**
 * The READMEs' performance sections are generated from the latest report,
 * never copied by hand: everything between the two markers is rewritten,
 * and nothing outside them is touched.
 */
import { BenchError } from './errors.js';
import type { Headline } from './harness.js';
import { formatLoad } from './machine.js';
import { allHeadlines, headlineTable, type RunReport } from './report.js';

export const START_MARKER = '<!-- bench:start -->';
export const END_MARKER = '<!-- bench:end -->';

/** The order the READMEs list headlines in (`x.*`: every key starting `x.`, in report order); others follow in
 * report order. */
const ORDER = [
  'e2e.minute.framesPerSecond',
  'e2e.peakRss',
  'e2e.all.framesPerSecond',
  'e2e.cascadeRatio',
  'decode.scanner',
  'decode.share',
  'kafka.1p',
  'kafka.4p',
  'scaleOut.*',
  'latency.*',
  'historical.framesPerSecond',
  'historical.peakRss',
  'scaling.frames.rss',
  'scaling.users.rss',
  'accuracy.minute',
  'accuracy.lateDropped',
  'serialization.avro',
] as const;

export function orderedHeadlines(headlines: readonly Headline[]): Headline[] {
  const rank = (h: Headline): number => {
    // biome-ignore lint/complexity/useIndexOf: a key ending in `*` matches a prefix, not one value.
    const i = ORDER.findIndex((key) => (key.endsWith('*') ? h.key.startsWith(key.slice(0, -1)) : key === h.key));
    return i < 0 ? ORDER.length : i;
  };
  return headlines
    .map((h, i) => ({ h, i }))
    .sort((a, b) => rank(a.h) - rank(b.h) || a.i - b.i)
    .map(({ h }) => h);
}

export interface BlockOptions {
  /** From the README's folder to the results folder, ending in `/`. */
  readonly resultsLink: string;
  /** Paragraphs of these suites are quoted (e.g. accuracy's estimated counting error). */
  readonly paragraphsOf: readonly string[];
  /** The id of a chart to show, if the report has it. */
  readonly chart?: string;
  /** Only these suites' figures (a package's README); every suite when absent. */
  readonly suites?: readonly string[];
}

/** `run` with only the suites a block shows, and the partial reports they come from. */
function shownPart(run: RunReport, suites: readonly string[] | undefined): RunReport {
  if (suites === undefined) return run;
  const reports = run.reports.filter((r) => suites.includes(r.id));
  const titles = new Set(reports.map((r) => r.title));
  return {
    ...run,
    reports,
    failures: run.failures.filter((f) => suites.includes(f.id)),
    partials: (run.partials ?? [])
      .filter((p) => p.titles.some((t) => titles.has(t)))
      .map((p) => ({ ...p, titles: p.titles.filter((t) => titles.has(t)) })),
  };
}

export function readmeBlock(whole: RunReport, options: BlockOptions): string {
  const run = shownPart(whole, options.suites);
  const m = run.machine;
  const report = `${options.resultsLink}${run.name}.md`;
  const partials = run.partials ?? [];
  const partialLinks = partials.map(
    (p) => `[the partial report of ${p.startedAt.slice(0, 10)}](${options.resultsLink}${p.name}.md)`,
  );
  const andPartials = partialLinks.map((link) => ` and ${link}`).join('');
  const lines = [
    `_Generated from [the benchmark report of ${run.startedAt.slice(0, 10)}](${report})${andPartials} ` +
      `by \`npm run bench\`; edits between the bench markers are overwritten._`,
    '',
    `Measured on ${run.startedAt.slice(0, 10)} on a **shared** machine (${m.cpuModel}, ${m.cpuCount} ` +
      `logical CPUs, ${(m.memoryTotalBytes / 1e9).toFixed(0)} GB, Node.js ${m.node}, ` +
      `${m.kernel.split(' ').slice(0, 2).join(' ')}; load average ${formatLoad(m.loadAtStart)} at the ` +
      `start, ${formatLoad(m.loadAtEnd)} at the end). Each figure is the median of ${run.runs} runs ` +
      `with min-max in brackets; comparisons were run side by side.`,
    ...partials.flatMap((p, i) => [
      '',
      `The figures of ${p.titles.map((t) => `**${t}**`).join(', ')} come from ${partialLinks[i]} ` +
        `(\`${p.command}\`, on ${p.startedAt.slice(0, 10)}, load average ${formatLoad(p.loadAtStart)} at ` +
        `the start, ${formatLoad(p.loadAtEnd)} at the end), measured after the complete run, as that ` +
        `report describes.`,
    ]),
    '',
    headlineTable(orderedHeadlines(allHeadlines(run))),
  ];
  if (options.chart !== undefined) {
    const file = run.chartFiles[options.chart];
    if (file !== undefined) lines.push('', `![${options.chart}](${options.resultsLink}${file})`);
  }
  for (const id of options.paragraphsOf) {
    for (const p of run.reports.find((r) => r.id === id)?.paragraphs ?? []) lines.push('', p);
  }
  if (run.failures.length > 0)
    lines.push(
      '',
      `Not measured in this run: ${run.failures.map((f) => `${f.title} (${f.error.split('\n')[0]})`).join('; ')}.`,
    );
  const skipped = run.reports.filter((r) => r.skipped !== undefined);
  if (skipped.length > 0) lines.push('', `Skipped: ${skipped.map((r) => `${r.title} (${r.skipped})`).join('; ')}`);
  const reproduce =
    options.suites === undefined
      ? `\`npm run bench\` (${Math.round(run.durationSeconds / 60)} minutes here; \`npm run bench -- ` +
        `--quick\` for a look in a few minutes)`
      : `\`npm run bench -- --suite ${options.suites.join(',')}\` (\`--quick\` for a look in a few minutes)`;
  lines.push('', `Reproduce with ${reproduce}. Every report: [${options.resultsLink}](${options.resultsLink}).`);
  return lines.join('\n');
}

/** `text` with the block between the markers replaced by `block`. */
export function replaceBlock(text: string, block: string): string {
  const start = text.indexOf(START_MARKER);
  const end = text.indexOf(END_MARKER);
  if (start < 0 || end < 0)
    throw new BenchError('BAD_README', `the README needs the markers ${START_MARKER} and ${END_MARKER}`);
  if (end < start || text.indexOf(START_MARKER, start + 1) >= 0 || text.indexOf(END_MARKER, end + 1) >= 0) {
    throw new BenchError('BAD_README', 'the README must hold the bench markers exactly once each, start before end');
  }
  return `${text.slice(0, start + START_MARKER.length)}\n${block}\n${text.slice(end)}`;
}
