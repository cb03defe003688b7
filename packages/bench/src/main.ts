/**
 * `npm run bench`: runs every suite (or those named with --suite) one after the
 * other, shows progress on stderr, and writes the dated report, its charts
 * and, for a complete run, latest.md and the READMEs' performance sections.
 *
 *   node packages/bench/dist/main.js [--quick] [--suite e2e,scaling] [--runs 5] [--no-readme] [--no-build]
 */
import { mkdirSync } from 'node:fs';
import { relative } from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { buildCommand, buildPackage } from './build.js';
import { cliBuilt } from './cli-run.js';
import { BenchError } from './errors.js';
import type { Suite, SuiteContext, SuiteReport } from './harness.js';
import { withHeadlines } from './headlines.js';
import { describeMachine, formatLoad, recordEnd } from './machine.js';
import { REPO_ROOT, WORK_DIR } from './paths.js';
import { chartFileName, REPORT_VERSION, renderReport, stampOf, type RunReport, type SuiteFailure } from './report.js';
import { updateReadmes, writeRun } from './results.js';

/** At least this many runs per figure for a report that updates latest.md and the READMEs. */
const MIN_REPORT_RUNS = 5;
const DEFAULT_RUNS = 5;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const MS_PER_SECOND = 1e3;
const CLI_PACKAGE = '@uniqstream/cli';

/**
 * Each suite module is imported only when its suite runs, so a suite that
 * does not load (another engineer's file mid-change, a missing native addon)
 * fails alone instead of taking the runner down.
 */
interface SuiteRef {
  readonly title: string;
  readonly load: () => Promise<Suite>;
}

interface Entry {
  readonly id: string;
  readonly title: string;
  /** A suite id may run several suites (decode: the decoders, then their share of the end-to-end time). */
  readonly suites: readonly SuiteRef[];
  /** Needs the CLI's dist/. */
  readonly cli: boolean;
}

/** An entry of one suite, whose title the report repeats. */
const single = (id: string, title: string, load: () => Promise<Suite>, cli: boolean): Entry => ({
  id,
  title,
  suites: [{ title, load }],
  cli,
});

/** Every suite, in the order a full run measures them. */
const SUITES: readonly Entry[] = [
  {
    id: 'decode',
    title: 'Frame decoding, and its share of the end-to-end time',
    suites: [
      { title: 'Frame decoding', load: async () => (await import('./suites/decode.js')).decodeSuite },
      {
        title: "Decoding: the parser's share of the end-to-end time",
        load: async () => (await import('./suites/decode-share.js')).decodeShareSuite,
      },
    ],
    cli: true,
  },
  single('e2e', 'End to end through the CLI', async () => (await import('./suites/e2e.js')).e2eSuite, true),
  single('kafka', 'Kafka source and sink', async () => (await import('./suites/kafka.js')).kafkaSuite, false),
  single(
    'scale-out',
    'Kafka service: uniqstream count vs the consumer service, 1 and 2 instances',
    async () => (await import('./suites/scale-out.js')).scaleOutSuite,
    true,
  ),
  single(
    'node-versions',
    'Node 24 beside Node 20: end to end and Kafka -> Kafka through the CLI',
    async () => (await import('./suites/node-versions.js')).nodeVersionsSuite,
    true,
  ),
  single(
    'latency',
    'Result latency (Kafka, frames arriving in real time)',
    async () => (await import('./suites/latency.js')).latencySuite,
    true,
  ),
  single(
    'serialization',
    'Serialization',
    async () => (await import('./suites/serialization.js')).serializationSuite,
    false,
  ),
  single('scaling', 'Scaling', async () => (await import('./suites/scaling.js')).scalingSuite, true),
  single('historical', 'Historical ingest', async () => (await import('./suites/historical.js')).historicalSuite, true),
  single(
    'accuracy',
    'Accuracy against ground truth',
    async () => (await import('./suites/accuracy.js')).accuracySuite,
    true,
  ),
  single('profile', 'CPU profile', async () => (await import('./suites/profile.js')).profileSuite, true),
  single('counters', 'Distinct counters', async () => (await import('./suites/counters.js')).countersSuite, false),
  single('split', 'Line splitting', async () => (await import('./suites/split.js')).splitSuite, false),
  single('generate', 'Generating frames', async () => (await import('./suites/generate.js')).generateSuite, false),
];

interface Options {
  readonly quick: boolean;
  readonly suite?: readonly string[];
  readonly runs: number;
  readonly readme: boolean;
  readonly build: boolean;
  readonly print: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const ids = SUITES.map((s) => s.id);
  const program = new Command('bench')
    .description('Runs the uniqstream benchmarks and writes a dated report to packages/bench/results/.')
    .option('--quick', 'small inputs, for a fast look (a few minutes)', false)
    .option('--suite <ids>', `only these suites, comma-separated: ${ids.join(', ')}`, (value: string) => {
      const picked = value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      const unknown = picked.filter((s) => !ids.includes(s));
      if (unknown.length > 0)
        throw new InvalidArgumentError(`unknown suite ${unknown.join(', ')} (choose from ${ids.join(', ')})`);
      return picked;
    })
    .option(
      '--runs <n>',
      `runs per figure (at least ${MIN_REPORT_RUNS} for a published report)`,
      (value: string) => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('needs a positive integer');
        return n;
      },
      DEFAULT_RUNS,
    )
    .option('--no-readme', 'do not rewrite the READMEs even after a complete run')
    .option(
      '--print',
      'print the report on stdout and write nothing (a quick look at one suite while working on it)',
      false,
    )
    .option('--no-build', 'do not build the CLI first (turbo; cached when nothing changed)')
    .showHelpAfterError()
    .exitOverride();
  program.parse(argv, { from: 'user' });
  return program.opts<Options>();
}

/** The suites depend on the CLI, which is not a dependency of this package: build it (turbo caches it). */
function buildCli(log: (m: string) => void): void {
  log(`building the CLI (${buildCommand(CLI_PACKAGE)})`);
  if (buildPackage(CLI_PACKAGE)) return;
  if (cliBuilt()) log('the CLI build failed; measuring the CLI already in apps/cli/dist');
  else throw new BenchError('NOT_BUILT', 'the CLI could not be built and apps/cli/dist is missing');
}

function clock(startedAt: number): string {
  const seconds = Math.floor((Date.now() - startedAt) / MS_PER_SECOND);
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseOptions(argv);
  const started = new Date();
  const startedAt = Date.now();
  const log = (message: string): void => void process.stderr.write(`[${clock(startedAt)}] ${message}\n`);
  const selected = options.suite === undefined ? SUITES : SUITES.filter((s) => options.suite!.includes(s.id));
  if (options.build && selected.some((s) => s.cli)) buildCli(log);
  mkdirSync(WORK_DIR, { recursive: true });

  const machine = describeMachine();
  log(`${machine.cpuModel} x ${machine.cpuCount}, Node ${machine.node}, load ${formatLoad(machine.loadAtStart)}`);
  if (options.runs < MIN_REPORT_RUNS)
    log(`--runs ${options.runs} is below ${MIN_REPORT_RUNS}: the report will not replace latest.md`);
  const context: SuiteContext = { quick: options.quick, workDir: WORK_DIR, runs: options.runs, log };

  const reports: SuiteReport[] = [];
  const failures: SuiteFailure[] = [];
  for (const entry of selected) {
    const t0 = Date.now();
    log(`== ${entry.id}: ${entry.title}`);
    for (const suite of entry.suites) {
      try {
        const run = await suite.load();
        reports.push(withHeadlines(await run(context)));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`!! ${entry.id} (${suite.title}) failed: ${message}`);
        failures.push({ id: entry.id, title: suite.title, error: message });
      }
    }
    log(`== ${entry.id} done in ${((Date.now() - t0) / MS_PER_SECOND / 60).toFixed(1)} min`);
  }
  recordEnd(machine);

  const complete = !options.quick && selected.length === SUITES.length && options.runs >= MIN_REPORT_RUNS;
  const stamp = stampOf(started);
  const name = complete ? stamp : `${stamp}-${options.quick ? 'quick' : 'partial'}`;
  const chartFiles: Record<string, string> = {};
  for (const r of reports) for (const c of r.charts ?? []) chartFiles[c.id] = chartFileName(name, c);
  const run: RunReport = {
    version: REPORT_VERSION,
    stamp,
    name,
    startedAt: started.toISOString(),
    durationSeconds: (Date.now() - startedAt) / MS_PER_SECOND,
    command: ['npm run bench', ...(argv.length === 0 ? [] : ['--', ...argv])].join(' '),
    quick: options.quick,
    runs: options.runs,
    suites: selected.map((s) => s.id),
    machine,
    reports,
    failures,
    chartFiles,
  };
  if (options.print) {
    process.stdout.write(renderReport(run));
    return failures.length === 0 ? 0 : EXIT_FAILURE;
  }
  const written = writeRun(run, complete);
  log(`report: ${relative(REPO_ROOT, written.markdown)} (${written.charts.length} charts)`);
  if (written.latest !== null) {
    log(`copied to ${relative(REPO_ROOT, written.latest)}`);
    if (options.readme)
      for (const file of updateReadmes(run)) log(`rewrote the bench block of ${relative(REPO_ROOT, file)}`);
  } else {
    log(
      'not a complete run (quick, a subset of suites, or fewer than 5 runs): latest.md and the ' +
        'READMEs are left as they are',
    );
  }
  return failures.length === 0 ? 0 : EXIT_FAILURE;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has already printed the message (or the help).
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
  } else {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT_FAILURE;
  }
}
