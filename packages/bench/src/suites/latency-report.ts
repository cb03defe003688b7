/**
 * The latency suite's report: per counter and partition count, quantiles of
 * how long after a window could be known its first and its final result were
 * readable, the checks against the reference, the headlines the READMEs
 * quote and the paragraph the bench README quotes.
 */
import { quantile, type Headline, type SuiteReport, type TextTable } from '../harness.js';
import type { WaitSteps } from '../partials-timeline.js';
import type { LatencyFigures } from '../result-latency.js';

export const AT_LEAST_ONCE = 'at-least-once';
const MS_PER_SECOND = 1e3;

/** A counter measured on each topic. */
export interface Variant {
  /** Headline key and part of topic and group names. */
  readonly id: string;
  readonly label: string;
  readonly kind: 'cli' | 'service';
  readonly args: readonly string[];
  readonly guarantee: string;
  /** The p99 its first results are held against, if any (ms). */
  readonly targetP99Ms?: number;
}

/** What one variant did on one topic. */
export interface VariantRun {
  readonly variant: Variant;
  readonly figures: LatencyFigures | undefined;
  /** Why there are no figures: the process failed. */
  readonly failure: string | undefined;
  readonly records: number;
  /** CPU seconds over its life, and that life in seconds (0 when unknown). */
  readonly cpuSeconds: number;
  readonly lifeSeconds: number;
  /** Bytes of checkpoint records written (the service). */
  readonly checkpointBytes?: number;
  /** The service: where its first results waited, per window (see partials-timeline.ts). */
  readonly steps?: WaitSteps;
}

/** How the input arrived, from its append times. */
export interface Arrival {
  readonly frames: number;
  readonly seconds: number;
  /** The longest time between two appends (ms). */
  readonly largestGapMs: number;
}

export interface TopicRun {
  readonly partitions: number;
  readonly variants: readonly VariantRun[];
  readonly arrival: Arrival;
  readonly streamWindows: number;
  /** Windows whose first result is measured. */
  readonly measured: number;
}

/** How the suite was set up, for the report's words. */
export interface LatencySetup {
  readonly id: string;
  readonly title: string;
  readonly wallRate: number;
  readonly eventRate: number;
  readonly windowSeconds: number;
  readonly maxDelay: number;
  readonly allowedLateness: number;
  readonly warmupWindows: number;
  /** The at-least-once target (ms); exactly-once variants add their commit interval. */
  readonly targetP99Ms: number;
  readonly countingArgs: readonly string[];
  readonly frames: number;
  readonly broker: string;
  readonly loadAtStart: readonly number[];
  readonly loadAtEnd: readonly number[];
  /** Variants left out, one sentence each. */
  readonly left: readonly string[];
}

interface Quantiles {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly count: number;
}

export function quantilesOf(values: readonly number[]): Quantiles | undefined {
  if (values.length === 0) return undefined;
  return { p50: quantile(values, 0.5), p99: quantile(values, 0.99), max: quantile(values, 1), count: values.length };
}

/** 87 -> `87 ms`, 1234 -> `1.23 s`. */
function ms(value: number): string {
  return Math.abs(value) < MS_PER_SECOND ? `${value.toFixed(0)} ms` : `${(value / MS_PER_SECOND).toFixed(2)} s`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

function percentOf(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(0)}%`;
}

/** Figures that may be quoted: the variant ran and its results were right. */
export function sound(run: VariantRun): LatencyFigures | undefined {
  return run.figures !== undefined && run.figures.problems.length === 0 ? run.figures : undefined;
}

/** Why a variant on a topic has no figures, in a few words. */
export function whyNot(run: VariantRun): string {
  if (run.failure !== undefined || run.figures === undefined) return 'failed';
  return `results wrong (${plural(run.figures.problems.length, 'problem')})`;
}

/** `p50 87 ms, p99 240 ms, max 260 ms (93 windows)`. */
export function describeQuantiles(q: Quantiles): string {
  return `p50 ${ms(q.p50)}, p99 ${ms(q.p99)}, max ${ms(q.max)} (${plural(q.count, 'window')})`;
}

/** `p99 <= 250 ms`. */
function targetText(target: number): string {
  return `p99 <= ${ms(target)}`;
}

function latencyRow(
  topic: TopicRun,
  run: VariantRun,
  pick: (f: LatencyFigures) => readonly number[],
  withTarget: boolean,
): string[] {
  const head = [run.variant.label, run.variant.guarantee, String(topic.partitions)];
  const figures = sound(run);
  const q = figures === undefined ? undefined : quantilesOf(pick(figures));
  if (q === undefined)
    return [...head, figures === undefined ? whyNot(run) : 'none', '', '', '', ...(withTarget ? [''] : [])];
  const target = run.variant.targetP99Ms;
  const verdict = target === undefined ? 'no target' : `${targetText(target)}: ${q.p99 <= target ? 'met' : 'not met'}`;
  return [...head, String(q.count), ms(q.p50), ms(q.p99), ms(q.max), ...(withTarget ? [verdict] : [])];
}

function runOf(topic: TopicRun, variant: Variant): VariantRun | undefined {
  return topic.variants.find((r) => r.variant.id === variant.id);
}

function headlineOf(variant: Variant, topics: readonly TopicRun[]): Headline {
  const parts: string[] = [];
  const target = variant.targetP99Ms;
  let met = true;
  for (const topic of topics) {
    const run = runOf(topic, variant);
    const figures = run === undefined ? undefined : sound(run);
    const q = figures === undefined ? undefined : quantilesOf(figures.firstResultMs);
    if (q === undefined || (target !== undefined && q.p99 > target)) met = false;
    parts.push(q === undefined ? (run === undefined ? 'not run' : whyNot(run)) : describeQuantiles(q));
  }
  const which = topics.map((t) => plural(t.partitions, 'partition')).join('; ');
  // A variant named after its guarantee ("service, exactly-once") does not repeat it.
  const named = variant.label.endsWith(variant.guarantee) ? variant.label : `${variant.label}, ${variant.guarantee}`;
  return {
    key: `latency.${variant.id}`,
    label: `Result latency, a window's first result readable after it could be known: ${named} (${which})`,
    value: parts.join('; '),
    ...(target === undefined ? {} : { target: targetText(target), met }),
  };
}

function paragraphOf(setup: LatencySetup, variants: readonly Variant[], topics: readonly TopicRun[]): string {
  const phrases: string[] = [];
  const meeting: string[] = [];
  const missing: string[] = [];
  for (const variant of variants) {
    const per = topics.map((topic) => {
      const run = runOf(topic, variant);
      const figures = run === undefined ? undefined : sound(run);
      return figures === undefined ? undefined : quantilesOf(figures.firstResultMs);
    });
    const name = `\`${variant.label}\``;
    const target = variant.targetP99Ms;
    if (per.some((q) => q === undefined)) {
      phrases.push(`${name}: no sound figures (see the report)`);
      if (target !== undefined) missing.push(`${name} (${targetText(target)})`);
      continue;
    }
    phrases.push(
      `${name}: ${per
        .map((q, i) => `${ms(q!.p50)} / ${ms(q!.p99)} ` + `(${plural(topics[i]!.partitions, 'partition')})`)
        .join(', ')}`,
    );
    if (target !== undefined)
      (per.every((q) => q!.p99 <= target) ? meeting : missing).push(`${name} (${targetText(target)})`);
  }
  const windows = topics.map((t) => `${t.measured} windows with ${plural(t.partitions, 'partition')}`).join(', ');
  const metBy = meeting.length === 0 ? 'met by none' : `met by ${meeting.join('; ')}`;
  const notBy = missing.length === 0 ? '' : `; not by ${missing.join('; ')}`;
  const allSound = topics.every((t) => t.variants.every((r) => sound(r) !== undefined));
  return [
    `**Result latency.** Frames arriving at ${setup.wallRate.toLocaleString('en-US')} frames/s with ` +
      `docs/frames.md's disorder (event time at ${(setup.wallRate / setup.eventRate).toFixed(0)}x the wall ` +
      `clock), minute windows:`,
    `the first result of a window was readable in the results topic, counted from the arrival of the ` +
      `frame that let it be known, within (p50 / p99) ${phrases.join('; ')} (${windows}).`,
    `Targets, with every partition count (p99 <= ${ms(setup.targetP99Ms)} at-least-once; ` +
      `exactly-once, its commit interval + ${ms(setup.targetP99Ms)}): ${metBy}${notBy}.`,
    allSound
      ? "Every window's final result equalled tools/reference's count of the input."
      : 'Some results differed from the reference count or a counter failed: see the report.',
    'How this is measured, and what sets each figure: Result latency in the bench README.',
  ].join(' ');
}

function tablesOf(setup: LatencySetup, topics: readonly TopicRun[]): TextTable[] {
  const rows = (pick: (f: LatencyFigures) => readonly number[], withTarget: boolean): string[][] =>
    topics.flatMap((topic) => topic.variants.map((run) => latencyRow(topic, run, pick, withTarget)));
  const stepCells = (values: readonly number[] | undefined): string[] => {
    const q = values === undefined ? undefined : quantilesOf(values);
    return q === undefined ? ['', '', ''] : [ms(q.p50), ms(q.p99), ms(q.max)];
  };
  const revisionZero = (f: LatencyFigures): string =>
    f.firstRevisions.length === 0
      ? ''
      : percentOf(f.firstRevisions.filter((r) => r === 0).length, f.firstRevisions.length);
  return [
    {
      caption:
        "First result of a window (revision 0 for the CLI, the service's merged revision at its first " +
        'publication): from the arrival (append to the input topic) of the frame that moved the watermark ' +
        "past the window's end to the result readable in the results topic",
      header: ['counter', 'guarantee', 'partitions', 'windows', 'p50', 'p99', 'max', 'target'],
      rows: rows((f) => f.firstResultMs, true),
    },
    {
      caption:
        "The service's first results, step by step: from when the window could be known to the append " +
        "of the partials-topic record that let the merge publish it (every partition's watermark, carried " +
        "by its partials and progress records, past the window's end): the counting role's fetch, count " +
        "and write; from there to the result readable: the merge's fetch, merge and write (with " +
        "exactly-once, the partials' commit comes first)",
      header: ['counter', 'partitions', 'windows', 'count role p50', 'p99', 'max', 'merge p50', 'p99', 'max'],
      rows: topics.flatMap((topic) =>
        topic.variants
          .filter((run) => run.steps !== undefined && sound(run) !== undefined)
          .map((run) => [
            run.variant.label,
            String(topic.partitions),
            String(run.steps!.countMs.length),
            ...stepCells(run.steps!.countMs),
            ...stepCells(run.steps!.mergeMs),
          ]),
      ),
    },
    {
      caption:
        `Final results: from the arrival of the frame that moved the watermark past the ` +
        `window's end + ${setup.allowedLateness} s of allowed lateness to the final result readable`,
      header: ['counter', 'guarantee', 'partitions', 'windows', 'p50', 'p99', 'max'],
      rows: rows((f) => f.finalMs, false),
    },
    {
      caption:
        'Checks and cost: every window of the stream ended with a final result equal to ' +
        "tools/reference's count of the topic",
      header: [
        'counter',
        'partitions',
        'result records',
        'windows checked',
        'problems',
        'first results that are revision 0',
        'CPU, share of one core',
        'checkpoints written',
      ],
      rows: topics.flatMap((topic) =>
        topic.variants.map((run) => [
          run.variant.label,
          String(topic.partitions),
          String(run.records),
          run.figures === undefined ? '' : String(run.figures.checked),
          run.failure !== undefined
            ? `failed: ${run.failure.split('\n')[0]!.slice(0, 200)}`
            : String(run.figures?.problems.length ?? 0),
          run.figures === undefined ? '' : revisionZero(run.figures),
          run.lifeSeconds > 0 && run.cpuSeconds > 0 ? percentOf(run.cpuSeconds, run.lifeSeconds) : '',
          run.checkpointBytes === undefined || run.lifeSeconds === 0
            ? ''
            : `${(run.checkpointBytes / run.lifeSeconds / 1e6).toFixed(2)} MB/s`,
        ]),
      ),
    },
  ];
}

function notesOf(setup: LatencySetup, topics: readonly TopicRun[]): string[] {
  const speed = setup.wallRate / setup.eventRate;
  const readerDelays = topics.flatMap((t) =>
    t.variants.filter((r) => r.variant.guarantee === AT_LEAST_ONCE).flatMap((r) => sound(r)?.readerDelayMs ?? []),
  );
  const reader = quantilesOf(readerDelays);
  const load = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  const notes = [
    `Input: ${setup.frames.toLocaleString('en-US')} frames of ~2 KB per topic from 100k users, ${setup.eventRate} ` +
      `frames per second of event time with docs/frames.md's disorder (5% up to ${setup.maxDelay} s late, ` +
      `0.1% up to 60 s, 0.1% malformed, 1% string ts; no bitflips), replayed by \`uniqstream-sim replay ` +
      `--rate ${setup.wallRate}\` (keyed by uid): event time runs ${speed.toFixed(1)}x the wall clock, ` +
      `a minute window ends every ${(setup.windowSeconds / speed).toFixed(2)} s of wall time. Broker: ` +
      `${setup.broker}, same machine.`,
    ...topics.map(
      (t) =>
        `${plural(t.partitions, 'partition')}: the stream arrived at ` +
        `${(t.arrival.frames / t.arrival.seconds).toFixed(0)} frames/s over ${t.arrival.seconds.toFixed(0)} s ` +
        `(longest pause between appends ` +
        `${ms(t.arrival.largestGapMs)}); ${t.streamWindows} windows, the first ${setup.warmupWindows} ` +
        `left out of the figures (partial, warm-up), ${t.measured} measured.`,
    ),
    `All counters read the same stream at the same time, each in a group of its own, writing to a ` +
      `results topic of its own (${setup.countingArgs.join(' ')}): they are compared on the same input ` +
      `under the same load, sharing this machine's cores with the broker, the simulator and each other. ` +
      `The allowed lateness is scaled with event time (${setup.allowedLateness} s of event time, ` +
      `${(setup.allowedLateness / speed).toFixed(1)} s of wall time), so that, as 60 s does at real-time ` +
      `pace, it outlasts the pipelines' waits: ` +
      `windows come out, get revisions, and are final about half a minute later. The service's merged ` +
      `revision of a window is the sum of its partitions' share revisions + 1, less 1: its first result ` +
      `is revision 0 only when one partition makes it up (with 4 partitions, 3 at least), and a higher ` +
      `one holds late frames that came in before it was published (with exactly-once, partials wait for ` +
      `the next commit); the checks table says how often a first result was revision 0.`,
    'Could be known: computed by the bench from the input alone (each frame read back with ' +
      'tools/reference, its append time on the input topic, which has LogAppendTime; the watermark per ' +
      "partition, highest ts - max delay, and its minimum over partitions). Readable: a result's append " +
      'time on its results topic (LogAppendTime) for at-least-once counters, whose results are readable ' +
      "once appended; for results written in transactions, when the bench's reader (kafkajs, " +
      'read_committed) received it.',
    reader === undefined
      ? "The reader's delay could not be measured."
      : `The bench's reader had at-least-once results p50 ${ms(reader.p50)}, p99 ${ms(reader.p99)}, ` +
        `max ${ms(reader.max)} after their append: the tail is this machine's scheduling, not the broker, ` +
        `which is why appends are the measure where they may be.`,
    `Figures are nearest-rank quantiles over the windows of one run per topic (with fewer than 100 ` +
      `windows the p99 is the largest); --runs does not apply. Load average at the start ` +
      `${load(setup.loadAtStart)}, at the end ${load(setup.loadAtEnd)}.`,
    ...setup.left,
  ];
  for (const topic of topics) {
    for (const run of topic.variants) {
      const problems = run.figures?.problems ?? [];
      if (problems.length > 0)
        notes.push(
          `${run.variant.label}, ${plural(topic.partitions, 'partition')}: ` +
            `${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}.`,
        );
    }
  }
  return notes;
}

export function latencyReport(
  setup: LatencySetup,
  variants: readonly Variant[],
  topics: readonly TopicRun[],
): SuiteReport {
  return {
    id: setup.id,
    title: setup.title,
    tables: [],
    textTables: tablesOf(setup, topics),
    notes: notesOf(setup, topics),
    headlines: variants.map((v) => headlineOf(v, topics)),
    paragraphs: [paragraphOf(setup, variants, topics)],
  };
}
