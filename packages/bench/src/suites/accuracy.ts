/**
 * Accuracy against ground truth: the real CLI on realistic generated streams
 * (the generator's REALISTIC preset: 5% late up to 5 s, 0.1% tail up to
 * 60 s, 0.01% bitflips of any ts bit, 0.1% malformed, 1% string ts), whose
 * exact per-window answers the generator knows. Three settings: the
 * defaults (minute windows, 60 s allowed lateness), `--allowed-lateness 0`,
 * and all six windows with `--method auto` (hll from day windows up). The
 * final result of every window is compared with the truth; dead letters say
 * which frames were dropped and why, and the bitflipped frames are looked
 * up by position to see where they went (a flip of a low bit moves ts by
 * seconds and cannot be told from an honest ts).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TruthWindow } from '@uniqstream/generator';
import { runCli, type CliRun } from '../cli-run.js';
import { ensureDataset, type Bitflip, type Dataset } from '../dataset.js';
import { compact, percent } from '../format.js';
import type { Headline, Suite, TextTable } from '../harness.js';
import { realisticStream } from '../streams.js';

/**
 * Six streams of 1M frames (quick: one of 300k) at the sample's 1000 frames/s:
 * about 100 minute windows in all. Frames are ~512 bytes, not 2 KB: the size
 * changes nothing about lateness, damage or counting, and keeps the six
 * streams at 3 GB.
 */
const FULL_STREAMS = [1, 2, 3, 4, 5, 6].map((seed) => ({ frames: 1_000_000, seed }));
const QUICK_STREAMS = [{ frames: 300_000, seed: 1 }];
const ACCURACY_FRAME_BYTES = 512;
const SECONDS_PER_MINUTE = 60;
/** HyperLogLog at the CLI's default precision 14: relative standard error 1.04 / sqrt(2^14). */
const HLL_STANDARD_ERROR = 1.04 / Math.sqrt(2 ** 14);

export interface Setting {
  readonly name: string;
  readonly args: readonly string[];
  /** The windows its results hold. */
  readonly granularities: readonly string[];
}

export const SETTINGS: readonly Setting[] = [
  { name: 'defaults (minute, lateness 60 s)', args: [], granularities: ['minute'] },
  { name: '--allowed-lateness 0', args: ['--allowed-lateness', '0'], granularities: ['minute'] },
  {
    name: 'all six windows, --method auto',
    args: ['--windows', 'all', '--method', 'auto'],
    granularities: ['minute', 'hour', 'day', 'week', 'month', 'year'],
  },
];

/** One result line of the CLI (the fields this suite reads). */
export interface ResultLine {
  readonly window: string;
  readonly start: number;
  readonly end: number;
  readonly users: number;
  readonly frames: number;
  readonly revision: number;
  readonly final: boolean;
  readonly method: string;
}

/** The last revision of every window: `window:start` -> result. */
export function finalResults(lines: Iterable<ResultLine>): Map<string, ResultLine> {
  const finals = new Map<string, ResultLine>();
  for (const line of lines) {
    const key = `${line.window}:${line.start}`;
    const seen = finals.get(key);
    if (seen === undefined || line.revision > seen.revision) finals.set(key, line);
  }
  return finals;
}

export interface WindowErrors {
  readonly granularity: string;
  /** Windows in the truth. */
  readonly windows: number;
  /** Truth windows the CLI gave no result for. */
  readonly missing: number;
  /** Windows the CLI gave a result for that the truth does not have (e.g. a bitflip's far-away ts). */
  readonly spurious: number;
  /** Of the windows both have, how many have exactly the true user count. */
  readonly exact: number;
  readonly meanAbs: number;
  readonly maxAbs: number;
  readonly meanRel: number;
  readonly maxRel: number;
  /** Mean of (result - truth): below 0 is undercounting. */
  readonly meanSigned: number;
}

/** Compares the CLI's final results of one granularity with the truth's windows. */
export function windowErrors(
  granularity: string,
  truth: readonly TruthWindow[],
  finals: ReadonlyMap<string, ResultLine>,
): WindowErrors {
  const wanted = truth.filter((w) => w.window === granularity);
  let missing = 0;
  let exact = 0;
  let sumAbs = 0;
  let maxAbs = 0;
  let sumRel = 0;
  let maxRel = 0;
  let sumSigned = 0;
  let matched = 0;
  const truthKeys = new Set<string>();
  for (const w of wanted) {
    const key = `${w.window}:${w.start}`;
    truthKeys.add(key);
    const result = finals.get(key);
    if (result === undefined) {
      missing++;
      continue;
    }
    matched++;
    const signed = result.users - w.users;
    const abs = Math.abs(signed);
    const rel = w.users === 0 ? (abs === 0 ? 0 : 1) : abs / w.users;
    if (abs === 0) exact++;
    sumAbs += abs;
    sumSigned += signed;
    sumRel += rel;
    maxAbs = Math.max(maxAbs, abs);
    maxRel = Math.max(maxRel, rel);
  }
  let spurious = 0;
  for (const [key, result] of finals) if (result.window === granularity && !truthKeys.has(key)) spurious++;
  const n = Math.max(matched, 1);
  return {
    granularity,
    windows: wanted.length,
    missing,
    spurious,
    exact,
    meanAbs: sumAbs / n,
    maxAbs,
    meanRel: sumRel / n,
    maxRel,
    meanSigned: sumSigned / n,
  };
}

/** A flip of bit b moves ts by 2^b seconds. */
export const BIT_RANGES = [
  { label: 'bits 0-5 (1-32 s)', low: 0, high: 5 },
  { label: 'bits 6-11 (64 s - 34 min)', low: 6, high: 11 },
  { label: 'bits 12-16 (1.1-18 h)', low: 12, high: 16 },
  { label: 'bits 17-31 (1.5 days - 68 years)', low: 17, high: 31 },
] as const;

export interface BitflipOutcome {
  readonly label: string;
  readonly flipped: number;
  readonly corruptTs: number;
  readonly late: number;
  /** Counted in a minute window other than the frame's true one. */
  readonly wrongWindow: number;
  /** Counted in its own true minute: the flip moved ts by less than the rest of that minute. */
  readonly ownMinute: number;
}

/** Which ts bit a flip hit. */
export function flippedBit(b: Bitflip): number {
  return 31 - Math.clz32((b.ts ^ b.writtenTs) >>> 0);
}

/** Where each bitflipped frame went, by the bit it hit, from the dead letters' positions and reasons. */
export function bitflipOutcomes(bitflips: readonly Bitflip[], dropped: ReadonlyMap<number, string>): BitflipOutcome[] {
  return BIT_RANGES.map((range) => {
    let flipped = 0;
    let corruptTs = 0;
    let late = 0;
    let wrongWindow = 0;
    let ownMinute = 0;
    for (const b of bitflips) {
      const bit = flippedBit(b);
      if (bit < range.low || bit > range.high) continue;
      flipped++;
      const reason = dropped.get(b.position);
      if (reason === 'corrupt-ts') corruptTs++;
      else if (reason === 'late') late++;
      else if (Math.floor(b.writtenTs / SECONDS_PER_MINUTE) === Math.floor(b.ts / SECONDS_PER_MINUTE)) ownMinute++;
      else wrongWindow++;
    }
    return { label: range.label, flipped, corruptTs, late, wrongWindow, ownMinute };
  });
}

function readJsonLines<T>(path: string): T[] {
  const text = readFileSync(path, 'utf8');
  const out: T[] = [];
  for (const line of text.split('\n')) if (line !== '') out.push(JSON.parse(line) as T);
  return out;
}

/** position -> reason of every dead letter. */
function readDeadLetters(path: string): Map<number, string> {
  const dropped = new Map<number, string>();
  for (const letter of readJsonLines<{ reason: string; position: number }>(path))
    dropped.set(letter.position, letter.reason);
  return dropped;
}

interface Outcome {
  readonly setting: Setting;
  readonly data: Dataset;
  readonly run: CliRun;
  readonly finals: Map<string, ResultLine>;
  readonly dropped: Map<number, string>;
}

/** Sums error figures of several streams, weighting means by matched windows. */
function combine(errors: readonly WindowErrors[]): WindowErrors {
  const first = errors[0]!;
  const matched = (e: WindowErrors): number => e.windows - e.missing;
  const total = errors.reduce((n, e) => n + matched(e), 0) || 1;
  const mean = (pick: (e: WindowErrors) => number): number =>
    errors.reduce((s, e) => s + pick(e) * matched(e), 0) / total;
  return {
    granularity: first.granularity,
    windows: errors.reduce((n, e) => n + e.windows, 0),
    missing: errors.reduce((n, e) => n + e.missing, 0),
    spurious: errors.reduce((n, e) => n + e.spurious, 0),
    exact: errors.reduce((n, e) => n + e.exact, 0),
    meanAbs: mean((e) => e.meanAbs),
    maxAbs: Math.max(...errors.map((e) => e.maxAbs)),
    meanRel: mean((e) => e.meanRel),
    maxRel: Math.max(...errors.map((e) => e.maxRel)),
    meanSigned: mean((e) => e.meanSigned),
  };
}

export const accuracySuite: Suite = async (ctx) => {
  const streams = ctx.quick ? QUICK_STREAMS : FULL_STREAMS;
  const dir = join(ctx.workDir, 'accuracy');
  mkdirSync(dir, { recursive: true });
  const outcomes: Outcome[] = [];
  const datasets: Dataset[] = [];
  for (const s of streams) {
    const data = ensureDataset(
      ctx.workDir,
      { ...realisticStream(s.frames, s.seed), frameBytes: ACCURACY_FRAME_BYTES },
      { windows: true, log: (m) => ctx.log(`accuracy: ${m}`) },
    );
    datasets.push(data);
    for (const [i, setting] of SETTINGS.entries()) {
      const results = join(dir, `seed${s.seed}-${s.frames}-setting${i}.results.jsonl`);
      const deadLetters = join(dir, `seed${s.seed}-${s.frames}-setting${i}.dead.jsonl`);
      ctx.log(`accuracy: seed ${s.seed}, ${s.frames.toLocaleString('en-US')} frames, ${setting.name}`);
      const run = await runCli([...setting.args, '--dead-letter', `file:${deadLetters}`, data.path], {
        stdout: results,
      });
      outcomes.push({
        setting,
        data,
        run,
        finals: finalResults(readJsonLines<ResultLine>(results)),
        dropped: readDeadLetters(deadLetters),
      });
    }
  }
  const totalFrames = datasets.reduce((n, d) => n + d.frames, 0);
  const truthMalformed = datasets.reduce(
    (n, d) =>
      n + Object.entries(d.summary.damage).reduce((m, [kind, count]) => m + (kind === 'bitflip' ? 0 : count), 0),
    0,
  );

  const drops: TextTable = {
    caption: `Frames dropped, all streams together (${totalFrames.toLocaleString('en-US')} frames)`,
    header: [
      'setting',
      'dropped as late',
      'share of frames',
      'corrupt ts',
      `malformed (generated: ${truthMalformed.toLocaleString('en-US')})`,
      'counted',
    ],
    rows: SETTINGS.map((setting) => {
      const runs = outcomes.filter((o) => o.setting === setting).map((o) => o.run);
      const sum = (pick: (r: CliRun) => number): number => runs.reduce((n, r) => n + pick(r), 0);
      return [
        setting.name,
        sum((r) => r.lateDropped).toLocaleString('en-US'),
        percent(sum((r) => r.lateDropped) / totalFrames, 3),
        sum((r) => r.corruptTs).toLocaleString('en-US'),
        sum((r) => r.malformed).toLocaleString('en-US'),
        sum((r) => r.counted).toLocaleString('en-US'),
      ];
    }),
  };

  const errorRows: string[][] = [];
  const combined = new Map<string, WindowErrors>();
  for (const setting of SETTINGS) {
    for (const granularity of setting.granularities) {
      const e = combine(
        outcomes.filter((o) => o.setting === setting).map((o) => windowErrors(granularity, o.data.windows, o.finals)),
      );
      combined.set(`${setting.name}/${granularity}`, e);
      errorRows.push([
        setting.name,
        granularity,
        String(e.windows),
        percent(e.exact / Math.max(e.windows - e.missing, 1), 1),
        e.meanAbs.toFixed(2),
        String(e.maxAbs),
        percent(e.meanRel, 3),
        percent(e.maxRel, 3),
        e.meanSigned.toFixed(2),
        `${e.missing} / ${e.spurious}`,
      ]);
    }
  }
  const errors: TextTable = {
    caption: "Users error of every window's final result against the truth",
    header: [
      'setting',
      'window',
      'windows',
      'exactly right',
      'mean abs error',
      'max abs error',
      'mean rel error',
      'max rel error',
      'mean signed error',
      'missing / spurious windows',
    ],
    rows: errorRows,
  };

  const bitflips = datasets.flatMap((d) => d.bitflips);
  const bitflipRows: string[][] = [];
  const bitflipTotals = new Map<
    string,
    { flipped: number; wrong: number; own: number; rejected: number; late: number }
  >();
  for (const setting of SETTINGS.slice(0, 2)) {
    const perStream = outcomes
      .filter((o) => o.setting === setting)
      .map((o) => bitflipOutcomes(o.data.bitflips, o.dropped));
    const totals = { flipped: 0, wrong: 0, own: 0, rejected: 0, late: 0 };
    BIT_RANGES.forEach((range, i) => {
      const rows = perStream.map((p) => p[i]!);
      const sum = (pick: (b: BitflipOutcome) => number): number => rows.reduce((n, b) => n + pick(b), 0);
      totals.flipped += sum((b) => b.flipped);
      totals.wrong += sum((b) => b.wrongWindow);
      totals.own += sum((b) => b.ownMinute);
      totals.rejected += sum((b) => b.corruptTs);
      totals.late += sum((b) => b.late);
      bitflipRows.push([
        setting.name,
        range.label,
        String(sum((b) => b.flipped)),
        String(sum((b) => b.corruptTs)),
        String(sum((b) => b.late)),
        String(sum((b) => b.wrongWindow)),
        String(sum((b) => b.ownMinute)),
      ]);
    });
    bitflipTotals.set(setting.name, totals);
  }
  const bitflipTable: TextTable = {
    caption: `Where the ${bitflips.length} bitflipped frames went (minute windows)`,
    header: [
      'setting',
      'bit hit',
      'frames',
      'rejected: corrupt ts',
      'dropped: late',
      'counted in a wrong minute',
      'counted in its own minute',
    ],
    rows: bitflipRows,
  };

  const def = combined.get(`${SETTINGS[0]!.name}/minute`)!;
  const zero = combined.get(`${SETTINGS[1]!.name}/minute`)!;
  const lateOf = (setting: Setting): number =>
    outcomes.filter((o) => o.setting === setting).reduce((n, o) => n + o.run.lateDropped, 0) / totalFrames;
  const defFlips = bitflipTotals.get(SETTINGS[0]!.name)!;
  const hllRows = ['day', 'week', 'month', 'year']
    .map((g) => combined.get(`${SETTINGS[2]!.name}/${g}`)!)
    .filter((e) => e.windows > 0);
  const hllMaxRel = Math.max(0, ...hllRows.map((e) => e.maxRel));
  const hour = combined.get(`${SETTINGS[2]!.name}/hour`)!;
  const streamText =
    `${streams.length} realistic generated stream${streams.length === 1 ? '' : 's'} ` +
    `(${totalFrames.toLocaleString('en-US')} frames of ~${ACCURACY_FRAME_BYTES} bytes, 100k-user ` +
    `pool, 1000 frames/s; 5% of frames late by up to 5 s, 0.1% by up to 60 s, 0.01% with a bitflipped ` +
    `ts, 0.1% malformed)`;
  const paragraph =
    `**Estimated counting error.** On ${streamText}, with the default settings (minute windows, exact ` +
    `counting, --allowed-lateness 60 s) ` +
    `${percent(def.exact / Math.max(def.windows - def.missing, 1), 1)} of the ${def.windows} minute ` +
    `windows ended with exactly the true number of users; ` +
    `the mean absolute error was ${def.meanAbs.toFixed(2)} users (${percent(def.meanRel, 3)}), the ` +
    `largest ${def.maxAbs} users (${percent(def.maxRel, 3)}). ` +
    `${percent(lateOf(SETTINGS[0]!), 3)} of frames were dropped as too late. Exact counting itself ` +
    `adds no error: what remains comes from frames later than the allowed lateness ` +
    `and from bitflipped timestamps, which docs/frames.md counts in no window. Of ${defFlips.flipped} ` +
    `bitflipped frames, the CLI rejected ${defFlips.rejected} as corrupt ts and dropped ${defFlips.late} as late; ` +
    `it counted ${defFlips.wrong + defFlips.own}: ${defFlips.wrong} in a wrong minute and ${defFlips.own} ` +
    `in their own. A flip of one of the low bits moves ts by seconds to minutes and cannot be told ` +
    `from an honest ts. ` +
    `With --allowed-lateness 0, ${percent(lateOf(SETTINGS[1]!), 2)} of frames are dropped as late and ` +
    `minute windows undercount by ${Math.abs(zero.meanSigned).toFixed(2)} users on average (mean ` +
    `relative error ${percent(zero.meanRel, 3)}, largest ${percent(zero.maxRel, 3)}). ` +
    `With --method auto, hour windows stay exact (mean relative error ${percent(hour.meanRel, 3)}), ` +
    `and the HyperLogLog day to year windows were within ${percent(hllMaxRel, 2)} of the truth ` +
    `(standard error at the default precision: ${percent(HLL_STANDARD_ERROR, 2)}; with so few of ` +
    `these windows per stream, that is a spot check, not an error distribution).`;

  const headlines: Headline[] = [
    {
      key: 'accuracy.minute',
      label: 'Minute windows (defaults): windows exactly right; mean, max relative error',
      value:
        `${percent(def.exact / Math.max(def.windows - def.missing, 1), 1)}; ` +
        `${percent(def.meanRel, 3)}, ${percent(def.maxRel, 3)}`,
    },
    {
      key: 'accuracy.lateDropped',
      label: 'Frames dropped as late (defaults; --allowed-lateness 0)',
      value: `${percent(lateOf(SETTINGS[0]!), 3)}; ${percent(lateOf(SETTINGS[1]!), 2)}`,
    },
  ];
  const notes = [
    `Streams: ${datasets
      .map(
        (d) =>
          `seed ${d.options.seed}: ${compact(d.frames)} frames, ${d.summary.users.toLocaleString('en-US')} ` +
          `users, ${d.summary.late} late + ${d.summary.tail} tail, ${d.summary.damage.bitflip} bitflips`,
      )
      .join('; ')}.`,
    'One run per stream and setting: for a file, everything the CLI decides is driven by event time, ' +
      'not by the clock, so the results do not change from run to run.',
    "Truth: the generator's exact distinct users per window among the valid frames (bitflipped and " +
      'malformed frames belong to no window). Results: the last revision of each window the CLI ' +
      'printed. "Spurious" windows are results for windows the truth does not have (frames whose ' +
      'bitflipped ts landed there); "missing" ones are truth windows without any result.',
  ];
  return {
    id: 'accuracy',
    title: 'Accuracy against ground truth',
    tables: [],
    textTables: [drops, errors, bitflipTable],
    notes,
    paragraphs: [paragraph],
    headlines,
  };
};
