/**
 * The scale-out suite's report: per case and partition count, frames per
 * second, CPU per frame and peak RSS, the ratios the targets are held
 * against (of the medians, and per round of the round-robin), the
 * headlines and the paragraph the consumer README quotes.
 */
import { percent, si, spread } from '../format.js';
import { summarize, type Headline, type Measurement, type SuiteReport, type TextTable } from '../harness.js';

export const AT_LEAST_ONCE = 'at-least-once';
export const EXACTLY_ONCE = 'exactly-once';
type Guarantee = typeof AT_LEAST_ONCE | typeof EXACTLY_ONCE;

/** Letters as the issue names the cases: (a) the CLI, (b)-(d) the service. */
type CaseLetter = 'a' | 'b' | 'c' | 'd';

/** One way of counting the input topic. */
export interface CaseSpec {
  readonly letter: CaseLetter;
  readonly kind: 'cli' | 'service';
  /** Processes in the consumer group. */
  readonly instances: number;
  readonly guarantee: Guarantee;
  /** Flags after the input, output, group and --from-beginning. */
  readonly args: readonly string[];
  /** For a reader: `uniqstream-consumer, 1 instance`. */
  readonly what: string;
}

/** What one run of a case measured. */
export interface CaseRun {
  /** From the first input bytes read to every frame counted and its results acknowledged. */
  readonly seconds: number;
  /** CPU of all the case's processes over the same span. */
  readonly cpuSeconds: number;
  /** CPU of all the case's processes from their start to the first input bytes read. */
  readonly startupCpuSeconds: number;
  /** CPU of all the case's processes over the second half of the input (from half its bytes read to the end):
   * warmed up. */
  readonly secondHalfCpuSeconds: number;
  /** Peak RSS of each process (bytes). */
  readonly peakRssBytes: readonly number[];
  /** Frames the processes read: more than the topic holds when a rebalance made a new owner read from a checkpoint. */
  readonly framesRead: number;
  /** With several instances: the frames each read, in start order. */
  readonly framesPerInstance?: readonly number[];
  /** Partial results the merge read (the service). */
  readonly partials?: number;
  /** frames/s as `uniqstream count` prints it itself: from its pipeline's start (group join included) to its exit
   * (the idle wait included). */
  readonly ownRate?: number;
  /** uniqstream count: ms from the last sample in which it read 1 MiB or more (a fetch answer with frames) to its
   * end point. */
  readonly lastFetchBeforeEndMs?: number;
}

/** A case on one topic, with its measured runs in round order (warm-ups left out). */
export interface CaseResult {
  readonly spec: CaseSpec;
  readonly partitions: number;
  /** frames/s of the measured runs, as compare() gave them. */
  readonly speed: Measurement;
  readonly runs: readonly CaseRun[];
}

export interface ScaleOutSetup {
  readonly id: string;
  readonly title: string;
  readonly frames: number;
  /** Bytes of the frames, without record overhead. */
  readonly frameBytes: number;
  readonly broker: string;
  /** The broker's group.initial.rebalance.delay.ms, when it could be read. */
  readonly groupDelayMs?: number | undefined;
  readonly cores: number;
  readonly untilIdleSeconds: number;
  readonly loadAtStart: readonly number[];
  readonly loadAtEnd: readonly number[];
}

/** Targets of issue 13. */
const TARGETS = {
  /** (b) at this share of (a)'s frames/s, or more, on every partition count. */
  serviceShare: 0.9,
  /** (d)'s CPU per frame at most this times (b)'s. */
  twoInstancesCpu: 1.1,
  /** Peak RSS of every service instance at most this (MB), on 1M frames of 100k users, minute windows. */
  peakRssMb: 250,
} as const;

const MS_PER_SECOND = 1000;
const MB = 1e6;
const PER_MILLION = 1e6;

export function caseName(spec: CaseSpec, partitions: number): string {
  return `${partitions}p (${spec.letter}) ${spec.what}`;
}

/** CPU seconds per million frames of each measured run. */
function cpuPerMillion(result: CaseResult, frames: number): Measurement {
  return summarize(
    caseName(result.spec, result.partitions),
    'CPU-s / M frames',
    result.runs.map((r) => (PER_MILLION * r.cpuSeconds) / frames),
  );
}

/** CPU seconds per million frames over the second half of the input, of each measured run. */
function warmCpuPerMillion(result: CaseResult, frames: number): Measurement {
  const half = frames / 2;
  return summarize(
    caseName(result.spec, result.partitions),
    'CPU-s / M frames',
    result.runs.map((r) => (PER_MILLION * r.secondHalfCpuSeconds) / half),
  );
}

/** The largest process's peak RSS of each measured run, in MB. */
function peakRss(result: CaseResult): Measurement {
  return summarize(
    caseName(result.spec, result.partitions),
    'MB',
    result.runs.map((r) => Math.max(...r.peakRssBytes) / MB),
  );
}

/** `x` against `y`: the ratio of the medians, and the ratios of the runs of the same round. */
export interface Share {
  readonly ofMedians: number;
  readonly perRound: Measurement;
}

export function shareOf(x: Measurement, y: Measurement): Share {
  const rounds = Math.min(x.values.length, y.values.length);
  const perRound = Array.from({ length: rounds }, (_, i) => x.values[i]! / y.values[i]!);
  return { ofMedians: x.median / y.median, perRound: summarize(`${x.name} / ${y.name}`, 'ratio', perRound) };
}

function describeShare(share: Share, asPercent: boolean): string {
  const f = (v: number): string => (asPercent ? percent(v, 0) : `${v.toFixed(2)}x`);
  return (
    `${f(share.ofMedians)} (per round ${f(share.perRound.median)}, ` +
    `${f(share.perRound.min)}-${f(share.perRound.max)})`
  );
}

function find(results: readonly CaseResult[], letter: CaseLetter, partitions: number): CaseResult | undefined {
  return results.find((r) => r.spec.letter === letter && r.partitions === partitions);
}

function median(values: readonly number[]): number {
  return summarize('', '', values).median;
}

const verdict = (met: boolean): string => (met ? 'met' : 'not met');

/** A target held against one ratio or figure, as a table row and a headline. */
interface Check {
  readonly what: string;
  readonly value: string;
  readonly target: string;
  readonly met: boolean | undefined;
}

function checksOf(setup: ScaleOutSetup, results: readonly CaseResult[], partitionCounts: readonly number[]): Check[] {
  const checks: Check[] = [];
  for (const p of partitionCounts) {
    const a = find(results, 'a', p);
    const b = find(results, 'b', p);
    const c = find(results, 'c', p);
    if (a !== undefined && b !== undefined) {
      const share = shareOf(b.speed, a.speed);
      checks.push({
        what: `${p}p: (b) 1 instance, at-least-once / (a) uniqstream count, frames/s`,
        value: describeShare(share, true),
        target: `>= ${percent(TARGETS.serviceShare, 0)}`,
        met: share.ofMedians >= TARGETS.serviceShare,
      });
    }
    if (a !== undefined && c !== undefined) {
      checks.push({
        what: `${p}p: (c) 1 instance, exactly-once / (a) uniqstream count, frames/s`,
        value: describeShare(shareOf(c.speed, a.speed), true),
        target: '',
        met: undefined,
      });
    }
    const d = find(results, 'd', p);
    if (b !== undefined && d !== undefined) {
      checks.push({
        what: `${p}p: (d) 2 instances / (b) 1 instance, frames/s`,
        value: describeShare(shareOf(d.speed, b.speed), false),
        target: '',
        met: undefined,
      });
      const cpu = shareOf(cpuPerMillion(d, setup.frames), cpuPerMillion(b, setup.frames));
      checks.push({
        what: `${p}p: (d) 2 instances / (b) 1 instance, CPU per frame`,
        value: describeShare(cpu, false),
        target: `<= ${TARGETS.twoInstancesCpu.toFixed(2)}x`,
        met: cpu.ofMedians <= TARGETS.twoInstancesCpu,
      });
      checks.push({
        what: `${p}p: (d) 2 instances / (b) 1 instance, CPU per frame over the second half of the input`,
        value: describeShare(shareOf(warmCpuPerMillion(d, setup.frames), warmCpuPerMillion(b, setup.frames)), false),
        target: '',
        met: undefined,
      });
    }
  }
  const services = results.filter((r) => r.spec.kind === 'service');
  if (services.length > 0) {
    const largest = services.map((r) => ({ r, rss: peakRss(r) })).reduce((x, y) => (y.rss.max > x.rss.max ? y : x));
    checks.push({
      what: 'Peak RSS of a service instance, largest run of any case',
      value: `${largest.rss.max.toFixed(0)} MB (${caseName(largest.r.spec, largest.r.partitions)})`,
      target: `<= ${TARGETS.peakRssMb} MB`,
      met: largest.rss.max <= TARGETS.peakRssMb,
    });
  }
  return checks;
}

function headlinesOf(
  setup: ScaleOutSetup,
  results: readonly CaseResult[],
  partitionCounts: readonly number[],
): Headline[] {
  const headlines: Headline[] = [];
  const frames = `${si(setup.frames)} frames of ~2 KB`;
  for (const p of partitionCounts) {
    const a = find(results, 'a', p);
    const b = find(results, 'b', p);
    if (a === undefined || b === undefined) continue;
    const share = shareOf(b.speed, a.speed);
    headlines.push({
      key: `scaleOut.service.${p}p`,
      label:
        `Consumer service, 1 instance, at-least-once, ${p} partition${p === 1 ? '' : 's'} ` +
        `(${frames}; share of uniqstream count Kafka -> Kafka)`,
      value: `${spread(b.speed, 'frames/s')}; ${percent(share.ofMedians, 0)} of ${si(a.speed.median)}`,
      target: `>= ${percent(TARGETS.serviceShare, 0)} of uniqstream count`,
      met: share.ofMedians >= TARGETS.serviceShare,
    });
  }
  const exactly = partitionCounts.flatMap((p) => {
    const a = find(results, 'a', p);
    const c = find(results, 'c', p);
    return a === undefined || c === undefined
      ? []
      : [`${spread(c.speed, 'frames/s')}, ${percent(shareOf(c.speed, a.speed).ofMedians, 0)}`];
  });
  if (exactly.length > 0) {
    headlines.push({
      key: 'scaleOut.exactlyOnce',
      label:
        `Consumer service, 1 instance, exactly-once ` +
        `(${partitionCounts.map((p) => `${p}p`).join('; ')}; share of uniqstream count)`,
      value: exactly.join('; '),
    });
  }
  for (const p of partitionCounts) {
    const b = find(results, 'b', p);
    const d = find(results, 'd', p);
    if (b === undefined || d === undefined) continue;
    const cpuB = cpuPerMillion(b, setup.frames);
    const cpuD = cpuPerMillion(d, setup.frames);
    const cpu = shareOf(cpuD, cpuB);
    headlines.push({
      key: `scaleOut.twoInstances.${p}p`,
      label:
        `Consumer service, 2 instances in one group, ${p} partitions: frames/s (vs 1 instance); ` +
        `CPU per frame (vs 1 instance)`,
      value:
        `${spread(d.speed, 'frames/s')} (${shareOf(d.speed, b.speed).ofMedians.toFixed(2)}x); ${si(cpuD.median)} ` +
        `vs ${si(cpuB.median)} CPU-s per M frames (${cpu.ofMedians.toFixed(2)}x)`,
      target: `CPU per frame <= ${TARGETS.twoInstancesCpu.toFixed(2)}x 1 instance`,
      met: cpu.ofMedians <= TARGETS.twoInstancesCpu,
    });
  }
  const services = results.filter((r) => r.spec.kind === 'service');
  const cli = results.filter((r) => r.spec.kind === 'cli');
  if (services.length > 0) {
    const largest = Math.max(...services.map((r) => peakRss(r).max));
    const cliRss =
      cli.length === 0 ? '' : `; uniqstream count ${Math.max(...cli.map((r) => peakRss(r).max)).toFixed(0)} MB`;
    headlines.push({
      key: 'scaleOut.peakRss',
      label:
        `Consumer service, peak RSS per instance (${frames} from 100k users, minute windows; ` +
        `largest run of any case)`,
      value: `${largest.toFixed(0)} MB${cliRss}`,
      target: `<= ${TARGETS.peakRssMb} MB`,
      met: largest <= TARGETS.peakRssMb,
    });
  }
  return headlines;
}

function paragraphOf(
  setup: ScaleOutSetup,
  results: readonly CaseResult[],
  partitionCounts: readonly number[],
  checks: readonly Check[],
): string {
  const perTopic = partitionCounts.map((p) => {
    const cases = results.filter((r) => r.partitions === p);
    const list = cases.map((r) => `(${r.spec.letter}) ${si(r.speed.median)}`).join(', ');
    return `${p} partition${p === 1 ? '' : 's'}: ${list} frames/s`;
  });
  const cpu = partitionCounts.flatMap((p) =>
    results
      .filter((r) => r.partitions === p)
      .map((r) => `${p}p (${r.spec.letter}) ${si(cpuPerMillion(r, setup.frames).median)}`),
  );
  const partials = results.flatMap((r) => r.runs.flatMap((run) => (run.partials === undefined ? [] : [run.partials])));
  const merged =
    partials.length === 0
      ? []
      : [
          `The merge read ${si(median(partials))} partial results per run (median) for the ${si(setup.frames)} ` +
            `frames: its work grows with windows x partitions x revisions, not with frames.`,
        ];
  const targets = checks.filter((c) => c.met !== undefined);
  const met = targets.filter((c) => c.met === true).map((c) => c.what);
  const missed = targets.filter((c) => c.met === false).map((c) => c.what);
  return [
    `**Service throughput.** ${setup.frames.toLocaleString('en-US')} frames of ~2 KB from 100k users ` +
      `in a 1- and a 4-partition topic, minute windows, exact, counted Kafka to Kafka by (a) ` +
      `\`uniqstream count\`, (b) \`uniqstream-consumer\` (1 instance, at-least-once), (c) the same with ` +
      `\`--guarantee exactly-once\` and (d) 2 instances in one group, from the first input bytes read ` +
      `to every frame counted and its results acknowledged (medians of ${results[0]?.speed.values.length ?? 0} ` +
      `runs, round-robin): ${perTopic.join('; ')}.`,
    `CPU seconds per million frames of all the case's processes over the same span: ${cpu.join(', ')}.`,
    ...merged,
    `Targets met: ${met.length === 0 ? 'none' : met.join('; ')}. Not met: ` +
      `${missed.length === 0 ? 'none' : missed.join('; ')}.`,
    'How the end points are found, and the figures per run: the scale-out section of the bench report.',
  ].join(' ');
}

function notesOf(setup: ScaleOutSetup, results: readonly CaseResult[]): string[] {
  const load = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  const startup = results.map(
    (r) => `(${r.spec.letter}) ${r.partitions}p ${median(r.runs.map((run) => run.startupCpuSeconds)).toFixed(2)} s`,
  );
  const reread = results.filter((r) => r.runs.some((run) => run.framesRead > setup.frames));
  const own = results.filter((r) => r.runs.some((run) => run.ownRate !== undefined));
  const medianOfKnown = (values: readonly (number | undefined)[]): number =>
    median(values.filter((v): v is number => v !== undefined));
  const ownRates = own.map((r) => `${r.partitions}p ${si(medianOfKnown(r.runs.map((run) => run.ownRate)))} frames/s`);
  const lastFetches = own.map(
    (r) => `${r.partitions}p ${medianOfKnown(r.runs.map((run) => run.lastFetchBeforeEndMs)).toFixed(0)} ms`,
  );
  const rereadShare = (r: CaseResult): number => Math.max(...r.runs.map((run) => run.framesRead / setup.frames - 1));
  return [
    `${setup.frames.toLocaleString('en-US')} frames of ${(setup.frameBytes / setup.frames).toFixed(0)} ` +
      `bytes on average (${(setup.frameBytes / 1e9).toFixed(2)} GB) per topic, the kafka suite's ` +
      `topics; broker: ${setup.broker}, same machine. Every case counts with the defaults (minute ` +
      `windows, exact, 5 s max delay, 60 s allowed lateness), reading from the beginning in a fresh ` +
      `group and writing its results to a results topic of its own.`,
    `Start: the first sample (every 10 ms, /proc/<pid>/io of the case's processes) in which they read ` +
      `1 MiB or more: the first fetch answer with frames. Nothing before it is timed: process start, ` +
      `group join, and the service's state set-up (reading its checkpoints).`,
    `End, uniqstream count: it runs with --until-idle ${setup.untilIdleSeconds}, so it stops ` +
      `${setup.untilIdleSeconds} s (plus its idle ticks' timer slack) after the last batch with frames was ` +
      `read, and writes its last windows then; the end is the append time of those last results ` +
      `(LogAppendTime) less ${setup.untilIdleSeconds} s, or the append time of the results written before, ` +
      `if later. The idle wait is not timed.`,
    'End, the service: from then on, /metrics of every instance and the group offsets are polled ' +
      'every 25 ms (not before: a scrape costs an instance a few ms of CPU); the end is the first poll ' +
      'at which the instances had read every frame, the merge had read the partials topic to its end ' +
      '(its group offset, committed after the results it made were acknowledged), and no record was ' +
      'added to the partials topic by the next poll; with exactly-once, also the input offsets ' +
      'committed at the end of every partition (they go in the transaction with the partials). ' +
      "At-least-once checkpoints come every 10 s (the default) and are not waited for, as the CLI's " +
      'offset commits every 5 s are not.',
    `CPU: utime + stime of all the case's processes (/proc/<pid>/stat; the broker not included) over ` +
      `the timed span. Before the first input bytes (process start, group join) they used, median: ` +
      `${startup.join(', ')} (not in the figures). Peak RSS: VmHWM of each process (/proc/<pid>/status) as ` +
      `last read before it stopped; a case with 2 instances gives its larger one.`,
    ...(own.length === 0
      ? []
      : [
          `For comparison, uniqstream count's own summary, whose time runs from its pipeline's start ` +
            `(the group join included) to its exit (the idle wait included): ${ownRates.join(', ')} (median).`,
          `A check of the CLI's end point: its last fetch answer with frames (the last sample in ` +
            `which it read 1 MiB or more) came ${lastFetches.join(', ')} ` +
            `(median) before it: the decoding and counting of the last answers, and the idle ticks' slack.`,
        ]),
    ...splitNotes(setup, results),
    reread.length === 0
      ? 'No frame was read twice: a partition that moved to the second instance moved with its checkpoint.'
      : `Frames read again after a rebalance (a new owner restarts from the last checkpoint): ` +
        `${reread
          .map((r) => `${caseName(r.spec, r.partitions)} up to ${percent(rereadShare(r), 1)} of the topic`)
          .join('; ')}; ` +
        `the end waits for them.`,
    `This machine has ${setup.cores} cores shared by the broker, the case's processes and the bench: ` +
      `a second instance adds a process, not a core. Load average (1, 5, 15 min) at the start ` +
      `${load(setup.loadAtStart)}, at the end ${load(setup.loadAtEnd)}.`,
  ];
}

/** How (d)'s instances shared the frames, and the broker setting that decides it. */
function splitNotes(setup: ScaleOutSetup, results: readonly CaseResult[]): string[] {
  const multi = results.filter((r) => r.spec.instances > 1);
  if (multi.length === 0) return [];
  const delay =
    setup.groupDelayMs === undefined
      ? "The broker's group.initial.rebalance.delay.ms could not be read."
      : setup.groupDelayMs >= MS_PER_SECOND
        ? `The broker's group.initial.rebalance.delay.ms is ${setup.groupDelayMs} ms (Kafka's default ` +
          `is 3000): instances started together join a new group's first generation together.`
        : `The broker's group.initial.rebalance.delay.ms is ${setup.groupDelayMs} ms (tools/kafka's ` +
          `default for tests; Kafka's is 3000): the first instance to join a new group starts alone, and ` +
          `the second gets its partitions at the first one's next heartbeat (up to 3 s later), by then it ` +
          `has counted much of the input, and the handover (checkpoints, a merge moving) is in the figures. ` +
          `Set UNIQSTREAM_KAFKA_GROUP_DELAY_MS=3000 when starting the bench's broker to measure the ` +
          `instances sharing the partitions from the start.`;
  const splits = multi.map((r) => {
    const shares = r.runs.flatMap((run) =>
      run.framesPerInstance === undefined || run.framesRead === 0
        ? []
        : [Math.max(...run.framesPerInstance) / run.framesRead],
    );
    return shares.length === 0
      ? `${caseName(r.spec, r.partitions)}: not known`
      : `${caseName(r.spec, r.partitions)}: the busier instance read ${percent(median(shares), 0)} of ` +
          `the frames (median; ${shares.map((x) => percent(x, 0)).join(', ')} per run)`;
  });
  return [delay, `How the frames were shared: ${splits.join('; ')}.`];
}

export function scaleOutReport(setup: ScaleOutSetup, results: readonly CaseResult[]): SuiteReport {
  const partitionCounts = [...new Set(results.map((r) => r.partitions))].sort((x, y) => x - y);
  const checks = checksOf(setup, results, partitionCounts);
  const targets: TextTable = {
    caption:
      'Ratios and targets: of the medians, and per round (runs of the same round of the round-robin, ' +
      'median and min-max)',
    header: ['ratio', 'measured', 'target', 'verdict'],
    rows: checks.map((c) => [c.what, c.value, c.target, c.met === undefined ? '' : verdict(c.met)]),
  };
  return {
    id: setup.id,
    title: setup.title,
    tables: [
      {
        caption:
          `Kafka -> count -> Kafka, ${setup.frames.toLocaleString('en-US')} frames, first ` +
          `input bytes read to every frame counted and its results acknowledged (frames/s)`,
        measurements: results.map((r) => ({ ...r.speed, name: caseName(r.spec, r.partitions) })),
      },
      {
        caption:
          "Same runs, CPU seconds per million frames of all the case's processes over the same span " +
          '(the broker not included)',
        measurements: results.map((r) => cpuPerMillion(r, setup.frames)),
      },
      {
        caption:
          'Same runs, CPU seconds per million frames over the second half of the input (from the ' +
          "sample in which the processes had read half the frames' bytes to the end): JIT and WebAssembly " +
          'warm-up, once per process, left out',
        measurements: results.map((r) => warmCpuPerMillion(r, setup.frames)),
      },
      {
        caption: 'Same runs, peak RSS per process (the larger of 2 instances)',
        measurements: results.map((r) => peakRss(r)),
      },
    ],
    textTables: [targets],
    notes: notesOf(setup, results),
    headlines: headlinesOf(setup, results, partitionCounts),
    paragraphs: [paragraphOf(setup, results, partitionCounts, checks)],
  };
}
