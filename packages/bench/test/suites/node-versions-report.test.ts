import { describe, expect, it } from 'vitest';
import type { CliSummary } from '../../src/cli-run.js';
import { BenchError } from '../../src/errors.js';
import {
  agreedSummary,
  binaryName,
  nodeLabel,
  nodeVersionsReport,
  type NodeBinary,
  type NodeVersionsSetup,
  type PathResult,
  type VersionRun,
} from '../../src/suites/node-versions-report.js';

const node20: NodeBinary = { label: 'Node 20', version: 'v20.20.2', path: '/usr/bin/node' };
const node24: NodeBinary = { label: 'Node 24', version: 'v24.22.3', path: '/repo/.cache/node/bin/node' };
const setup: NodeVersionsSetup = {
  id: 'node-versions',
  title: 'Node 24 beside Node 20',
  baseline: node20,
  other: node24,
  notes: ['Kafka -> Kafka: 100,000 frames.'],
};

const summary: CliSummary = {
  frames: 100_000,
  seconds: 0.5,
  framesPerSecond: 200_000,
  counted: 99_880,
  late: 430,
  lateDropped: 70,
  corruptTs: 10,
  malformed: 104,
  malformedKinds: new Map([['missing-ts', 104]]),
  results: 250,
};

/** Runs at the given frames/s, with `cpu` CPU-s per million frames and `rss` MB each. */
function runs(framesPerSecond: readonly number[], cpu: number | undefined, rss: number | undefined): VersionRun[] {
  return framesPerSecond.map((speed) => ({ framesPerSecond: speed, cpuSecondsPerMillion: cpu, peakRssMb: rss }));
}

function path(key: string, baseline: VersionRun[], other: VersionRun[]): PathResult {
  return {
    key,
    label: key === 'e2e' ? 'End to end' : 'Kafka -> Kafka',
    what: `uniqstream count (${key})`,
    sources: { speed: 'the summary', usage: 'GNU time' },
    runs: [baseline, other],
    counted: summary,
  };
}

describe('nodeLabel', () => {
  it('names a version by its major', () => {
    expect(nodeLabel('v24.22.3')).toBe('Node 24');
    expect(nodeLabel('20.1.0')).toBe('Node 20');
  });
});

describe('agreedSummary', () => {
  it('gives what every run of both binaries counted', () => {
    const faster = { ...summary, seconds: 0.4, framesPerSecond: 250_000 };
    expect(
      agreedSummary('count', [
        { binary: 'Node 20', summary },
        { binary: 'Node 24', summary: faster },
        { binary: 'Node 20', summary },
      ]),
    ).toBe(summary);
  });

  it('is a BAD_OUTPUT bench error when a run counted otherwise, naming the binary and the figures', () => {
    const other = { ...summary, counted: 99_879, late: 431 };
    const check = (): CliSummary =>
      agreedSummary('uniqstream count x.jsonl', [
        { binary: 'Node 20', summary },
        { binary: 'Node 24', summary: other },
      ]);
    expect(check).toThrow(BenchError);
    expect(check).toThrow(
      'uniqstream count x.jsonl: a run by Node 24 counted otherwise than the first by Node 20: ' +
        'counted 99,880 vs 99,879, late 430 vs 431',
    );
    try {
      check();
    } catch (error) {
      expect((error as BenchError).code).toBe('BAD_OUTPUT');
    }
  });
});

describe('nodeVersionsReport', () => {
  const report = nodeVersionsReport(setup, [
    path('e2e', runs([300e3, 310e3, 290e3], 3.2, 180), runs([330e3, 320e3, 340e3], 2.9, 198)),
    path('kafka', runs([100e3, 110e3, 90e3], 6, 150), runs([120e3, 110e3, 130e3], 5, 165)),
  ]);

  it('has a table per figure and path, the two binaries side by side in that order', () => {
    expect(report.tables).toHaveLength(6);
    for (const table of report.tables)
      expect(table.measurements.map((m) => m.name)).toEqual([binaryName(node20), binaryName(node24)]);
    const speed = report.tables[0]!;
    expect(speed.caption).toBe('uniqstream count (e2e): frames/s (the summary)');
    expect(speed.measurements.map((m) => [m.median, m.min, m.max])).toEqual([
      [300e3, 290e3, 310e3],
      [330e3, 320e3, 340e3],
    ]);
    expect(report.tables[1]!.caption).toBe('uniqstream count (e2e): CPU seconds per million frames (GNU time)');
    expect(report.tables[2]!.measurements.map((m) => m.unit)).toEqual(['MB', 'MB']);
  });

  it('gives the ratio of the medians, Node 24 / Node 20, per path and figure', () => {
    const ratios = report.textTables!.find((t) => t.caption.startsWith('Node 24 / Node 20'))!;
    expect(ratios.header).toEqual(['path', 'frames/s', 'CPU seconds per million frames', 'peak RSS (MB = 10^6 bytes)']);
    expect(ratios.rows).toEqual([
      ['End to end', '1.10x', '0.91x', '1.10x'],
      ['Kafka -> Kafka', '1.20x', '0.83x', '1.10x'],
    ]);
  });

  it('names the exact versions and where each binary is', () => {
    const binaries = report.textTables!.find((t) => t.caption === 'The Node binaries')!;
    expect(binaries.rows).toEqual([
      ['Node 20', 'v20.20.2', '/usr/bin/node'],
      ['Node 24', 'v24.22.3', '/repo/.cache/node/bin/node'],
    ]);
    expect(report.notes[0]).toContain('Node 20 (v20.20.2): /usr/bin/node');
    expect(report.notes).toContain('Kafka -> Kafka: 100,000 frames.');
  });

  it('says what both counted, and has a headline per path', () => {
    expect(report.notes).toContain(
      'End to end: every run of both binaries read the same: counted 99,880 of 100,000, late 430 (dropped 70), ' +
        'corrupt ts 10, malformed 104.',
    );
    expect(report.headlines!.map((h) => h.key)).toEqual(['nodeVersions.e2e', 'nodeVersions.kafka']);
    expect(report.headlines![0]).toMatchObject({
      label: 'End to end, Node 24 / Node 20 (v20.20.2, v24.22.3)',
      value:
        'frames/s 1.10x (330.0 k vs 300.0 k); CPU-s/M frames 0.91x (2.90 vs 3.20); peak RSS 1.10x (198.0 vs 180.0 MB)',
    });
  });

  it('leaves out a figure no run measured (no GNU time), and its ratio', () => {
    const bare = nodeVersionsReport(setup, [path('e2e', runs([300e3], undefined, undefined), runs([330e3], 2, 1))]);
    expect(bare.tables).toHaveLength(1);
    expect(bare.textTables![0]!.rows).toEqual([['End to end', '1.10x', '-', '-']]);
  });
});
