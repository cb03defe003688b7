/**
 * Headline figures for the suites that do not state their own (decode,
 * kafka, counters, split, generate), read from their measurements by case
 * name. A renamed case only drops its headline, never fails the run.
 */
import { percent, si, spread } from './format.js';
import type { Headline, Measurement, SuiteReport } from './harness.js';

function find(report: SuiteReport, name: string | RegExp): Measurement | undefined {
  for (const table of report.tables) {
    for (const m of table.measurements) if (typeof name === 'string' ? m.name === name : name.test(m.name)) return m;
  }
  return undefined;
}

/** Kafka: the pipeline's rate against bare kafkajs, per partition count. */
function kafka(report: SuiteReport): Headline[] {
  const out: Headline[] = [];
  for (const partitions of [1, 4]) {
    const bare = find(report, new RegExp(`^${partitions}p \\(a\\)`));
    const pipeline = find(report, new RegExp(`^${partitions}p \\(b\\)`));
    if (bare === undefined || pipeline === undefined) continue;
    out.push({
      key: `kafka.${partitions}p`,
      label:
        `Kafka -> count -> Kafka, ${partitions} partition${partitions === 1 ? '' : 's'} (share ` +
        `of bare kafkajs consume)`,
      value: `${spread(pipeline, 'frames/s')}; ${percent(pipeline.median / bare.median, 0)} of ${si(bare.median)}`,
      target: '>= 80% of bare kafkajs',
      met: pipeline.median / bare.median >= 0.8,
    });
  }
  return out;
}

function decode(report: SuiteReport): Headline[] {
  // The fast decoder's case has been named `scanner (fast)` and `fast (<engine>)`.
  const scanner = find(report, /^(fast \(|scanner)/);
  const parse = find(report, /^JSON\.parse/);
  if (scanner === undefined || parse === undefined || scanner.unit !== 'frames/s') return [];
  return [
    {
      key: 'decode.scanner',
      label: `Decoding ~2 KB frames: ${scanner.name} (vs JSON.parse)`,
      value: `${spread(scanner, 'frames/s')} (${(scanner.median / parse.median).toFixed(1)}x)`,
      target: '6x JSON.parse',
      met: scanner.median / parse.median >= 6,
    },
  ];
}

function generate(report: SuiteReport): Headline[] {
  const fast = find(report, /^generateChunks, clean/);
  if (fast === undefined || fast.unit !== 'MB/s') return [];
  return [
    {
      key: 'generate.chunks',
      label: 'Generator, chunked fast path',
      value: spread(fast, 'MB/s'),
      target: '>= 100 MB/s',
      met: fast.median >= 100,
    },
  ];
}

function split(report: SuiteReport): Headline[] {
  const plain = find(report, 'openFileSource 1 MiB');
  const gzip = find(report, 'openFileSource gzip 1 MiB');
  if (plain === undefined || gzip === undefined) return [];
  return [
    {
      key: 'split.file',
      label: 'Reading and splitting a file into frames (plain; gzip)',
      value: `${si(plain.median)} MB/s; ${si(gzip.median)} MB/s`,
    },
  ];
}

function counters(report: SuiteReport): Headline[] {
  const exact = find(report, 'ExactSet.add');
  const hll = find(report, /^HyperLogLog\.add/);
  if (exact === undefined || hll === undefined) return [];
  return [
    {
      key: 'counters.add',
      label: 'Counter adds (ExactSet; HyperLogLog)',
      value: `${si(exact.median)} adds/s; ${si(hll.median)} adds/s`,
    },
  ];
}

const DERIVED: Readonly<Record<string, (report: SuiteReport) => Headline[]>> = {
  kafka,
  decode,
  generate,
  split,
  counters,
};

/** The report with headlines added where the suite gave none. */
export function withHeadlines(report: SuiteReport): SuiteReport {
  if (report.headlines !== undefined && report.headlines.length > 0) return report;
  const derive = DERIVED[report.id];
  if (derive === undefined) return report;
  try {
    return { ...report, headlines: derive(report) };
  } catch {
    return report;
  }
}
