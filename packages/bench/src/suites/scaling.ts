/**
 * How time and memory grow, through the real CLI, on clean frames of ~200
 * bytes (10^7 frames of 2 KB would be 21 GB; a frame's size changes the
 * reading cost, not how counting scales). Three series, each measured side
 * by side in one comparison:
 *   - frames: 10^5, 10^6, 10^7 (quick: 10^4 to 10^6) from 100k users,
 *     minute windows, exact;
 *   - distinct users: pools of 10^3 to 10^7 users (quick: to 10^6), all six
 *     windows (so the day to year windows hold every user), exact vs hll;
 *   - windows: 1, 2, 4, 6 granularities, --method auto.
 * Figures: the CLI's frames/s and the process's peak RSS.
 */
import { CliCases } from '../cli-run.js';
import { ensureDataset, eventSeconds, warmPageCache, type Dataset } from '../dataset.js';
import { byName, duration, power, runLogger, si } from '../format.js';
import {
  compare,
  type Chart,
  type Headline,
  type Measurement,
  type ReportTable,
  type SuiteContext,
  type Suite,
  type TextTable,
} from '../harness.js';
import { SMALL_FRAME_BYTES, smallFrameStream } from '../streams.js';

const FULL_FRAME_COUNTS = [100_000, 1_000_000, 10_000_000] as const;
const QUICK_FRAME_COUNTS = [10_000, 100_000, 1_000_000] as const;
const FULL_USER_POOLS = [1_000, 10_000, 100_000, 1_000_000, 10_000_000] as const;
const QUICK_USER_POOLS = [1_000, 10_000, 100_000, 1_000_000] as const;
/** Frames per user series point: as many as the pool (63% of it then appears), at least 10^6. */
const FULL_USERS_MIN_FRAMES = 1_000_000;
const QUICK_USERS_FRAMES = 100_000;
const WINDOW_SETS = [
  ['minute'],
  ['minute', 'hour'],
  ['minute', 'hour', 'day', 'week'],
  ['minute', 'hour', 'day', 'week', 'month', 'year'],
] as const;
const FULL_WINDOWS_FRAMES = 1_000_000;
const QUICK_WINDOWS_FRAMES = 100_000;
const METHODS = ['exact', 'hll'] as const;

interface Point {
  readonly name: string;
  readonly x: number;
  readonly args: readonly string[];
  readonly data: Dataset;
}

interface SeriesResult {
  readonly speed: readonly Measurement[];
  /** Null without GNU time. */
  readonly rss: readonly Measurement[] | null;
}

async function measure(ctx: SuiteContext, label: string, points: readonly Point[]): Promise<SeriesResult> {
  for (const p of new Set(points.map((q) => q.data.path))) warmPageCache(p);
  const cli = new CliCases();
  const cases = points.map((p) => cli.case(p.name, [...p.args, p.data.path]));
  ctx.log(`scaling: ${label}, ${points.length} cases x ${ctx.runs} runs`);
  const speed = await compare(cases, {
    unit: 'frames/s',
    runs: ctx.runs,
    warmup: 0,
    onRun: runLogger(ctx.log, `scaling ${label}`, ctx.runs, 'frames/s', (name) => cli.describeLast(name)),
  });
  const rss = points.map((p) => cli.peakRss(p.name, ctx.runs));
  return { speed, rss: rss.every((m): m is Measurement => m !== null) ? rss : null };
}

function line(
  id: string,
  title: string,
  xLabel: string,
  unit: string,
  logX: boolean,
  series: readonly { name: string; xs: readonly number[]; ms: readonly Measurement[] }[],
): Chart {
  return {
    kind: 'line',
    id,
    title,
    xLabel,
    unit,
    logX,
    series: series.map((s) => ({
      name: s.name,
      points: s.ms.map((m, i) => ({ x: s.xs[i]!, median: m.median, min: m.min, max: m.max })),
    })),
  };
}

export const scalingSuite: Suite = async (ctx) => {
  const log = (m: string): void => ctx.log(`scaling: ${m}`);
  const tables: ReportTable[] = [];
  const textTables: TextTable[] = [];
  const charts: Chart[] = [];
  const notes: string[] = [
    `All series use generated clean frames of about ${SMALL_FRAME_BYTES} bytes at 1000 frames/s of ` +
      `event time (not 2 KB: 10^7 such frames would be 21 GB); the end-to-end suite has the 2 KB figures.`,
  ];
  const headlines: Headline[] = [];

  // ---- frames
  const frameCounts = ctx.quick ? QUICK_FRAME_COUNTS : FULL_FRAME_COUNTS;
  const framePoints: Point[] = frameCounts.map((n) => ({
    name: `${power(n)} frames`,
    x: n,
    args: ['--windows', 'minute', '--method', 'exact'],
    data: ensureDataset(ctx.workDir, smallFrameStream(n), { log }),
  }));
  const frames = await measure(ctx, 'frames', framePoints);
  tables.push({ caption: 'Frames: minute windows, exact, 100k users (frames/s)', measurements: frames.speed });
  if (frames.rss !== null) tables.push({ caption: 'Frames: peak RSS (MB)', measurements: frames.rss });
  const xs = framePoints.map((p) => p.x);
  charts.push(
    line(
      'scaling-frames-speed',
      'Frames/s by input size (minute windows, exact, ~200 B frames)',
      'frames',
      'frames/s',
      true,
      [{ name: 'frames/s', xs, ms: frames.speed }],
    ),
  );
  if (frames.rss !== null) {
    charts.push(
      line('scaling-frames-rss', 'Peak RSS by input size (minute windows, exact)', 'frames', 'MB', true, [
        { name: 'peak RSS', xs, ms: frames.rss },
      ]),
    );
    const first = frames.rss[0]!;
    const last = frames.rss.at(-1)!;
    notes.push(
      `Frames: from ${power(frameCounts[0])} to ${power(frameCounts.at(-1)!)} frames, peak RSS goes ` +
        `from ${first.median.toFixed(0)} to ${last.median.toFixed(0)} MB ` +
        `(${(last.median / first.median).toFixed(2)}x for ` +
        `${(frameCounts.at(-1)! / frameCounts[0]).toFixed(0)}x the frames): memory follows the open ` +
        `windows, not the input.`,
    );
    headlines.push({
      key: 'scaling.frames.rss',
      label: `Peak RSS, ${power(frameCounts.at(-1)!)} frames (minute windows, ~200 B frames)`,
      value: `${last.median.toFixed(0)} MB (${power(frameCounts[0])} frames: ${first.median.toFixed(0)} MB)`,
    });
  }
  const speedFirst = frames.speed[0]!;
  const speedLast = frames.speed.at(-1)!;
  notes.push(
    `Frames: ${si(speedFirst.median)} frames/s at ${power(frameCounts[0])} frames, ${si(speedLast.median)} ` +
      `frames/s at ${power(frameCounts.at(-1)!)} (the CLI's own figure: Node's start-up is not in it).`,
  );

  // ---- distinct users
  const pools = ctx.quick ? QUICK_USER_POOLS : FULL_USER_POOLS;
  const userData = pools.map((users) => {
    const n = ctx.quick ? QUICK_USERS_FRAMES : Math.max(FULL_USERS_MIN_FRAMES, users);
    return ensureDataset(ctx.workDir, smallFrameStream(n, users), { log });
  });
  const userPoints: Point[] = [];
  for (const method of METHODS) {
    pools.forEach((users, i) => {
      userPoints.push({
        name: `${power(users)} users, ${method}`,
        x: userData[i]!.summary.users,
        args: ['--windows', 'all', '--method', method],
        data: userData[i]!,
      });
    });
  }
  const users = await measure(ctx, 'users', userPoints);
  tables.push({ caption: 'Distinct users: all six windows, exact vs hll (frames/s)', measurements: users.speed });
  if (users.rss !== null) tables.push({ caption: 'Distinct users: peak RSS (MB)', measurements: users.rss });
  textTables.push({
    caption: 'Distinct users: the inputs',
    header: ['user pool', 'frames', 'distinct users present', 'event time'],
    rows: pools.map((pool, i) => {
      const d = userData[i]!;
      return [power(pool), power(d.frames), d.summary.users.toLocaleString('en-US'), duration(eventSeconds(d))];
    }),
  });
  const distinct = userData.map((d) => d.summary.users);
  const perMethod = (ms: readonly Measurement[]) =>
    METHODS.map((method, k) => ({
      name: method,
      xs: distinct,
      ms: ms.slice(k * pools.length, (k + 1) * pools.length),
    }));
  charts.push(
    line(
      'scaling-users-speed',
      'Frames/s by distinct users (all six windows)',
      'distinct users',
      'frames/s',
      true,
      perMethod(users.speed),
    ),
  );
  if (users.rss !== null) {
    charts.push(
      line(
        'scaling-users-rss',
        'Peak RSS by distinct users (all six windows)',
        'distinct users',
        'MB',
        true,
        perMethod(users.rss),
      ),
    );
    const top = power(pools.at(-1)!);
    const exact = byName(users.rss, `${top} users, exact`);
    const hll = byName(users.rss, `${top} users, hll`);
    notes.push(
      `Distinct users: with ${distinct.at(-1)!.toLocaleString('en-US')} distinct users, exact ` +
        `counting peaks at ${exact.median.toFixed(0)} MB and HyperLogLog at ${hll.median.toFixed(0)} MB ` +
        `(${(exact.median / hll.median).toFixed(1)}x); exact sets grow with the users of every open ` +
        `window, sketches stay at 16 KB per window.`,
    );
    headlines.push({
      key: 'scaling.users.rss',
      label: `Peak RSS, ${distinct.at(-1)!.toLocaleString('en-US')} distinct users, all six windows (exact vs hll)`,
      value: `${exact.median.toFixed(0)} MB vs ${hll.median.toFixed(0)} MB`,
    });
  }

  // ---- windows
  const windowsData = ensureDataset(
    ctx.workDir,
    smallFrameStream(ctx.quick ? QUICK_WINDOWS_FRAMES : FULL_WINDOWS_FRAMES),
    { log },
  );
  const windowPoints: Point[] = WINDOW_SETS.map((set) => ({
    name: `${set.length} (${set.join(',')})`,
    x: set.length,
    args: ['--windows', set.join(','), '--method', 'auto'],
    data: windowsData,
  }));
  const windows = await measure(ctx, 'windows', windowPoints);
  tables.push({
    caption: `Windows: ${power(windowsData.frames)} frames, --method auto (frames/s)`,
    measurements: windows.speed,
  });
  if (windows.rss !== null) tables.push({ caption: 'Windows: peak RSS (MB)', measurements: windows.rss });
  const wxs = windowPoints.map((p) => p.x);
  charts.push(
    line(
      'scaling-windows-speed',
      'Frames/s by number of window granularities (--method auto)',
      'granularities',
      'frames/s',
      false,
      [{ name: 'frames/s', xs: wxs, ms: windows.speed }],
    ),
  );
  if (windows.rss !== null)
    charts.push(
      line('scaling-windows-rss', 'Peak RSS by number of window granularities', 'granularities', 'MB', false, [
        { name: 'peak RSS', xs: wxs, ms: windows.rss },
      ]),
    );
  const one = windows.speed[0]!;
  const six = windows.speed.at(-1)!;
  notes.push(
    `Windows: six granularities run at ${((100 * six.median) / one.median).toFixed(0)}% of the speed ` +
      `of minute windows alone (${si(six.median)} vs ${si(one.median)} frames/s).`,
  );

  return {
    id: 'scaling',
    title: 'Scaling: frames, distinct users, windows',
    tables,
    textTables,
    notes,
    charts,
    headlines,
  };
};
