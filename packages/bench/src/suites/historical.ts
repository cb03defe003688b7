/**
 * Historical ingest: two years of data replayed at full speed, 10M frames
 * (~0.16 frames/s of event time) from 100k users, all six windows, --method
 * auto, through the real CLI. Beside it, the first tenth of the same stream
 * (73 days): if closed windows are freed, peak RSS hardly grows with ten
 * times the input and ten times the event time. Frames are ~200 bytes (the
 * 10M would be 21 GB at 2 KB; the frame size changes the reading cost, not
 * the window bookkeeping this measures). Quick: 10^6 and 10^5 frames at the
 * same event-time rate (73 and 7 days).
 */
import { CliCases } from '../cli-run.js';
import { ensureDataset, eventSeconds, warmPageCache } from '../dataset.js';
import { MB, byName, power, runLogger, spread } from '../format.js';
import { compare, type Headline, type Measurement, type ReportTable, type Suite } from '../harness.js';
import { HISTORICAL_RATE, SMALL_FRAME_BYTES, historicalStream } from '../streams.js';

const FULL_FRAMES = 10_000_000;
const QUICK_FRAMES = 1_000_000;
/** The shorter comparison stream holds this share of the frames. */
const SHORT_SHARE = 10;
const SECONDS_PER_DAY = 86_400;
/**
 * Peak RSS may grow this much with ten times the input and still count as
 * bounded: V8 sizes its heap by how much was allocated, so some growth is
 * the garbage collector's choice; memory held per frame or per window would
 * grow close to tenfold.
 */
const BOUNDED_GROWTH = 1.5;
const ARGS = ['--windows', 'all', '--method', 'auto'] as const;

export const historicalSuite: Suite = async (ctx) => {
  const frames = ctx.quick ? QUICK_FRAMES : FULL_FRAMES;
  const log = (m: string): void => ctx.log(`historical: ${m}`);
  const long = ensureDataset(ctx.workDir, historicalStream(frames), { log });
  const short = ensureDataset(ctx.workDir, historicalStream(frames / SHORT_SHARE), { log });
  warmPageCache(short.path);
  warmPageCache(long.path);
  const days = (d: typeof long): number => eventSeconds(d) / SECONDS_PER_DAY;
  const longName = `${power(long.frames)} frames, ${days(long).toFixed(0)} days`;
  const shortName = `${power(short.frames)} frames, ${days(short).toFixed(0)} days`;

  const cli = new CliCases();
  const speed = await compare([cli.case(shortName, [...ARGS, short.path]), cli.case(longName, [...ARGS, long.path])], {
    unit: 'frames/s',
    runs: ctx.runs,
    warmup: 0,
    onRun: runLogger(ctx.log, 'historical', ctx.runs, 'frames/s', (name) => cli.describeLast(name)),
  });
  const rss = [cli.peakRss(shortName, ctx.runs), cli.peakRss(longName, ctx.runs)].filter(
    (m): m is Measurement => m !== null,
  );
  const tables: ReportTable[] = [
    { caption: 'Historical ingest, all six windows, --method auto (frames/s)', measurements: speed },
  ];
  if (rss.length === 2) tables.push({ caption: 'Peak RSS (MB)', measurements: rss });

  const main = byName(speed, longName);
  const last = cli.last(longName);
  const notes = [
    `Input: ${long.frames.toLocaleString('en-US')} clean frames of ~${SMALL_FRAME_BYTES} bytes ` +
      `(${(long.bytes / MB).toFixed(0)} MB) from ${long.summary.users.toLocaleString('en-US')} distinct users ` +
      `over ${days(long).toFixed(0)} days of event time (${HISTORICAL_RATE.toFixed(3)} frames/s), ` +
      `replayed as fast as the CLI reads.`,
    `Throughput: ${spread(main, 'frames/s')}${
      last === undefined
        ? ''
        : `; ${last.results.toLocaleString('en-US')} results emitted per run (one per window and revision)`
    }.`,
  ];
  const headlines: Headline[] = [
    {
      key: 'historical.framesPerSecond',
      label: `Historical ingest, ${power(long.frames)} frames over ${days(long).toFixed(0)} days, all six windows`,
      value: spread(main, 'frames/s'),
    },
  ];
  if (rss.length === 2) {
    const [shortRss, longRss] = rss as [Measurement, Measurement];
    const growth = longRss.median / shortRss.median;
    const bounded = growth <= BOUNDED_GROWTH;
    notes.push(
      `Memory: peak RSS ${longRss.median.toFixed(0)} MB for ${days(long).toFixed(0)} days against ` +
        `${shortRss.median.toFixed(0)} MB for the first ${days(short).toFixed(0)}: ` +
        `${growth.toFixed(2)}x for ${SHORT_SHARE}x the input and the event time, so memory is ` +
        `${
          bounded
            ? `bounded (at most ${BOUNDED_GROWTH}x: closed windows are freed)`
            : `NOT bounded (more than ${BOUNDED_GROWTH}x): it grows with the input`
        }.`,
    );
    headlines.push({
      key: 'historical.peakRss',
      label: 'Historical ingest, peak RSS (vs the first tenth of the stream)',
      value: `${longRss.median.toFixed(0)} MB (${shortRss.median.toFixed(0)} MB)`,
      target: 'bounded',
      met: bounded,
    });
  }
  return { id: 'historical', title: 'Historical ingest: two years at full speed', tables, notes, headlines };
};
