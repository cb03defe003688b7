import { describe, expect, it } from 'vitest';
import type { LatencyFigures } from '../../src/result-latency.js';
import {
  latencyReport,
  type LatencySetup,
  type TopicRun,
  type Variant,
  type VariantRun,
} from '../../src/suites/latency-report.js';

const setup: LatencySetup = {
  id: 'latency',
  title: 'Result latency',
  wallRate: 2000,
  eventRate: 100,
  windowSeconds: 60,
  maxDelay: 5,
  allowedLateness: 600,
  warmupWindows: 2,
  targetP99Ms: 250,
  countingArgs: ['--windows', 'minute'],
  frames: 1000,
  broker: 'Kafka 4.4.0 on 127.0.0.1:9092',
  loadAtStart: [1, 1, 1],
  loadAtEnd: [2, 2, 2],
  left: ['Not measured: service, exactly-once (the built service has no --guarantee).'],
};

const cli: Variant = {
  id: 'count-cli',
  label: 'count (CLI)',
  kind: 'cli',
  args: [],
  guarantee: 'at-least-once',
  targetP99Ms: 250,
};
const fast: Variant = {
  id: 'service-fast',
  label: 'service, fast',
  kind: 'service',
  args: [],
  guarantee: 'at-least-once',
  targetP99Ms: 250,
};
const once: Variant = {
  id: 'service-eo',
  label: 'service, exactly-once',
  kind: 'service',
  args: [],
  guarantee: 'exactly-once',
  targetP99Ms: 1250,
};
const untargeted: Variant = {
  id: 'service-x',
  label: 'service, x',
  kind: 'service',
  args: [],
  guarantee: 'at-least-once',
};

function figures(firstResultMs: number[], problems: string[] = []): LatencyFigures {
  return {
    firstResultMs,
    firstRevisions: firstResultMs.map(() => 0),
    finalMs: firstResultMs,
    readerDelayMs: [1],
    checked: 10,
    problems,
  };
}

function run(variant: Variant, f: LatencyFigures): VariantRun {
  const steps =
    variant.kind === 'service'
      ? { steps: { countMs: f.firstResultMs.map((v) => v - 10), mergeMs: f.firstResultMs.map(() => 10) } }
      : {};
  return { variant, figures: f, failure: undefined, records: 20, cpuSeconds: 1, lifeSeconds: 10, ...steps };
}

function topic(partitions: number, runs: VariantRun[]): TopicRun {
  return {
    partitions,
    variants: runs,
    arrival: { frames: 1000, seconds: 0.5, largestGapMs: 3 },
    streamWindows: 12,
    measured: 10,
  };
}

describe('latencyReport', () => {
  const topics = [
    topic(1, [
      run(cli, figures([100, 4000])),
      run(fast, figures([100, 200])),
      run(once, figures([300, 900])),
      run(untargeted, figures([500, 600])),
    ]),
    topic(4, [
      run(cli, figures([100, 200], ['window 60: final result 1 users in 1 frames, reference 2 users in 2 frames'])),
      run(fast, figures([150, 250])),
      run(once, figures([300, 1300])),
      run(untargeted, figures([500, 600])),
    ]),
  ];
  const report = latencyReport(setup, [cli, fast, once, untargeted], topics);

  it(
    'holds each counter against its own p99 target over every partition count (exactly-once: its ' +
      'commit interval more)',
    () => {
      const byKey = new Map(report.headlines!.map((h) => [h.key, h]));
      expect(byKey.get('latency.service-fast')).toMatchObject({ met: true, target: 'p99 <= 250 ms' });
      expect(byKey.get('latency.service-fast')!.value).toBe(
        'p50 100 ms, p99 200 ms, max 200 ms (2 windows); p50 150 ms, p99 250 ms, max 250 ms (2 windows)',
      );
      expect(byKey.get('latency.count-cli')!.met).toBe(false);
      expect(byKey.get('latency.service-eo')).toMatchObject({ met: false, target: 'p99 <= 1.25 s' });
      expect(byKey.get('latency.service-x')!.target).toBeUndefined();
      const rows = report.textTables![0]!.rows;
      expect(rows.find((r) => r[0] === 'service, exactly-once' && r[2] === '1')!.at(-1)).toBe('p99 <= 1.25 s: met');
      expect(rows.find((r) => r[0] === 'service, x')!.at(-1)).toBe('no target');
    },
  );

  it("gives the service's steps: the count role's and the merge's parts of its first results", () => {
    const steps = report.textTables![1]!;
    expect(steps.header[3]).toBe('count role p50');
    expect(steps.rows.find((r) => r[0] === 'service, fast' && r[1] === '4')).toEqual([
      'service, fast',
      '4',
      '2',
      '140 ms',
      '240 ms',
      '240 ms',
      '10 ms',
      '10 ms',
      '10 ms',
    ]);
    expect(steps.rows.some((r) => r[0] === 'count (CLI)')).toBe(false);
  });

  it('withholds the figures of results that differ from the reference, and says why', () => {
    expect(report.headlines!.find((h) => h.key === 'latency.count-cli')!.value).toContain('results wrong (1 problem)');
    const rows = report.textTables![0]!.rows;
    expect(rows.find((r) => r[0] === 'count (CLI)' && r[2] === '4')![3]).toBe('results wrong (1 problem)');
    expect(rows.find((r) => r[0] === 'count (CLI)' && r[2] === '1')!.slice(3)).toEqual([
      '2',
      '100 ms',
      '4.00 s',
      '4.00 s',
      'p99 <= 250 ms: not met',
    ]);
    expect(report.notes.some((n) => n.includes('reference 2 users'))).toBe(true);
    expect(report.paragraphs![0]).toContain(
      'met by `service, fast` (p99 <= 250 ms); not by `count (CLI)` (p99 <= 250 ms); `service, ' +
        'exactly-once` (p99 <= 1.25 s)',
    );
    expect(report.paragraphs![0]).toContain('Some results differed from the reference count');
  });
});
