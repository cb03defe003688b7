/**
 * End to end through the real command: `uniqstream count FILE > /dev/null`
 * on a generated stream like the challenge sample (1M frames of ~2 KB from
 * 100k users at 1000 frames/s, with docs/frames.md's disorder and damage; quick:
 * 100k frames). Side by side in one run: minute windows only and all six,
 * exact and HyperLogLog, cascade and per-frame aggregation. Figures: the
 * CLI's own frames/s (from its stderr summary: the pipeline, without Node's
 * start-up), the process's peak RSS (GNU time) and its frames per CPU-second.
 */
import { CliCases } from '../cli-run.js';
import { ensureDataset, warmPageCache } from '../dataset.js';
import { MB, byName, compact, percent, runLogger, si, spread } from '../format.js';
import {
  compare,
  type BenchCase,
  type Chart,
  type Headline,
  type Measurement,
  type ReportTable,
  type Suite,
} from '../harness.js';
import { realisticStream } from '../streams.js';

export const FULL_FRAMES = 1_000_000;
export const QUICK_FRAMES = 100_000;
/** From the issues: minute windows at this rate or better. */
export const TARGET_FRAMES_PER_SECOND = 300_000;
/** From the issues: 1M frames from 100k users in at most this much memory. */
export const TARGET_PEAK_RSS_MB = 250;

const MINUTE_EXACT = 'minute, exact';
const MINUTE_HLL = 'minute, hll';
const ALL_EXACT_CASCADE = 'all six, exact, cascade';
const ALL_EXACT_PER_FRAME = 'all six, exact, per-frame';
const ALL_AUTO_CASCADE = 'all six, auto, cascade';
const ALL_AUTO_PER_FRAME = 'all six, auto, per-frame';

const CASES: readonly { readonly name: string; readonly args: readonly string[] }[] = [
  { name: MINUTE_EXACT, args: ['--windows', 'minute', '--method', 'exact'] },
  { name: MINUTE_HLL, args: ['--windows', 'minute', '--method', 'hll'] },
  { name: ALL_EXACT_CASCADE, args: ['--windows', 'all', '--method', 'exact', '--aggregation', 'cascade'] },
  { name: ALL_EXACT_PER_FRAME, args: ['--windows', 'all', '--method', 'exact', '--aggregation', 'per-frame'] },
  { name: ALL_AUTO_CASCADE, args: ['--windows', 'all', '--method', 'auto', '--aggregation', 'cascade'] },
  { name: ALL_AUTO_PER_FRAME, args: ['--windows', 'all', '--method', 'auto', '--aggregation', 'per-frame'] },
];

export const e2eSuite: Suite = async (ctx) => {
  const frames = ctx.quick ? QUICK_FRAMES : FULL_FRAMES;
  const data = ensureDataset(ctx.workDir, realisticStream(frames), { log: (m) => ctx.log(`e2e: ${m}`) });
  warmPageCache(data.path);
  const bytesPerFrame = data.bytes / data.frames;
  ctx.log(
    `e2e: ${frames.toLocaleString('en-US')} frames, ${(data.bytes / MB).toFixed(0)} MB, ${CASES.length} ` +
      `cases x ${ctx.runs} runs`,
  );

  const cli = new CliCases();
  const cases: BenchCase[] = CASES.map((c) => cli.case(c.name, [...c.args, data.path]));
  // Each run is a fresh process (nothing to warm up in the JIT) and the file is already in the page cache.
  const speed = await compare(cases, {
    unit: 'frames/s',
    runs: ctx.runs,
    warmup: 0,
    onRun: runLogger(ctx.log, 'e2e', ctx.runs, 'frames/s', (name) => cli.describeLast(name)),
  });
  const rss = CASES.map((c) => cli.peakRss(c.name, ctx.runs)).filter((m): m is Measurement => m !== null);
  const cpu = CASES.map((c) => cli.cpuRate(c.name, ctx.runs)).filter((m): m is Measurement => m !== null);

  const tables: ReportTable[] = [
    {
      caption:
        `uniqstream count FILE > /dev/null, ${frames.toLocaleString('en-US')} frames (frames/s ` +
        `from the CLI's summary)`,
      measurements: speed,
    },
  ];
  if (rss.length > 0)
    tables.push({ caption: 'Peak RSS of the same runs (MB = 10^6 bytes; GNU time %M)', measurements: rss });
  if (cpu.length > 0)
    tables.push({
      caption:
        'Frames per CPU-second of the same runs (whole process, start-up included; steadier on a shared machine)',
      measurements: cpu,
    });

  const minute = byName(speed, MINUTE_EXACT);
  const ratio = (a: string, b: string): number => byName(speed, a).median / byName(speed, b).median;
  const exactRatio = ratio(ALL_EXACT_CASCADE, ALL_EXACT_PER_FRAME);
  const autoRatio = ratio(ALL_AUTO_CASCADE, ALL_AUTO_PER_FRAME);
  const full = !ctx.quick;
  const speedMet = minute.median >= TARGET_FRAMES_PER_SECOND;
  const notes: string[] = [
    `Input: ${data.frames.toLocaleString('en-US')} frames, ${(data.bytes / MB).toFixed(0)} MB ` +
      `(${bytesPerFrame.toFixed(0)} bytes per frame with its newline), ` +
      `${data.summary.users.toLocaleString('en-US')} distinct users ` +
      `of a pool of 100,000, 1000 frames/s of event time, docs/frames.md's disorder and damage (5% late up ` +
      `to 5 s, 0.1% up to 60 s, 0.01% bitflips, 0.1% malformed, 1% string ts).`,
    `Minute windows, exact: ${spread(minute, 'frames/s')}, ${si((minute.median * bytesPerFrame) / MB)} ` +
      `MB/s: the ${compact(TARGET_FRAMES_PER_SECOND)} frames/s target is ` +
      `${speedMet ? 'met' : 'NOT met'}${full ? '' : ' (quick run)'}.`,
    `Cascade vs per-frame aggregation, all six windows: ${exactRatio.toFixed(2)}x (exact), ` +
      `${autoRatio.toFixed(2)}x (auto); above 1 means cascade is faster. ${
        exactRatio >= 1 && autoRatio >= 1
          ? 'Cascade is faster in ' + 'both: keep it (it is the default).'
          : exactRatio < 1 && autoRatio < 1
            ? 'Per-frame is faster in ' + 'both: the default (cascade) should change.'
            : 'Neither wins both: the ' + 'difference is within the noise or depends on the method.'
      }`,
  ];
  const headlines: Headline[] = [
    {
      key: 'e2e.minute.framesPerSecond',
      label: `End to end, minute windows, exact (${compact(frames)} frames of ~2 KB)`,
      value: spread(minute, 'frames/s'),
      target: `>= ${compact(TARGET_FRAMES_PER_SECOND)} frames/s`,
      met: speedMet,
    },
    {
      key: 'e2e.all.framesPerSecond',
      label: 'End to end, all six windows, --method auto',
      value: spread(byName(speed, ALL_AUTO_CASCADE), 'frames/s'),
    },
    {
      key: 'e2e.cascadeRatio',
      label: 'Cascade / per-frame aggregation, all six windows (exact, auto)',
      value: `${exactRatio.toFixed(2)}x, ${autoRatio.toFixed(2)}x`,
    },
  ];
  if (rss.length > 0) {
    const minuteRss = byName(rss, MINUTE_EXACT);
    const worst = rss.reduce((a, b) => (b.median > a.median ? b : a));
    const rssMet = worst.median <= TARGET_PEAK_RSS_MB;
    notes.push(
      `Peak RSS: ${spread(minuteRss, 'MB')} for minute windows (exact); the largest case, ` +
        `${worst.name}, ${spread(worst, 'MB')}: the ${TARGET_PEAK_RSS_MB} MB target for 1M frames from ` +
        `100k users is ${
          rssMet
            ? 'met by every case'
            : minuteRss.median <= TARGET_PEAK_RSS_MB
              ? 'met by minute windows ' + 'but not by every case'
              : 'NOT met'
        }${full ? '' : ' (quick run: 100k frames only)'}.`,
    );
    headlines.push({
      key: 'e2e.peakRss',
      label: `Peak RSS, ${compact(frames)} frames from 100k users (minute exact; largest case)`,
      value: `${minuteRss.median.toFixed(0)} MB; ${worst.median.toFixed(0)} MB (${worst.name})`,
      target: `<= ${TARGET_PEAK_RSS_MB} MB`,
      met: rssMet,
    });
  } else {
    notes.push('Peak RSS not measured: GNU time (/usr/bin/time) is not installed.');
  }
  const last = cli.last(MINUTE_EXACT);
  if (last !== undefined) {
    const dropped = percent((last.frames - last.counted) / last.frames, 2);
    notes.push(
      `What the CLI reported (minute, exact, last run): counted ` +
        `${last.counted.toLocaleString('en-US')}, late ${last.late} (dropped ${last.lateDropped}), ` +
        `corrupt ts ${last.corruptTs}, malformed ${last.malformed}; dropped ${dropped} of frames.`,
    );
  }

  const charts: Chart[] = [
    {
      kind: 'bar',
      id: 'e2e-speed',
      title: `uniqstream count, ${compact(frames)} frames of ~2 KB: frames/s (median, min-max)`,
      unit: 'frames/s',
      bars: speed.map((m) => ({ label: m.name, median: m.median, min: m.min, max: m.max })),
      target: { value: TARGET_FRAMES_PER_SECOND, label: `target ${compact(TARGET_FRAMES_PER_SECOND)}` },
    },
  ];
  if (rss.length > 0) {
    charts.push({
      kind: 'bar',
      id: 'e2e-rss',
      title: `uniqstream count, ${compact(frames)} frames: peak RSS (MB)`,
      unit: 'MB',
      bars: rss.map((m) => ({ label: m.name, median: m.median, min: m.min, max: m.max })),
      target: { value: TARGET_PEAK_RSS_MB, label: `target ${TARGET_PEAK_RSS_MB} MB` },
    });
  }
  return { id: 'e2e', title: 'End to end: file -> uniqstream count -> /dev/null', tables, notes, charts, headlines };
};
