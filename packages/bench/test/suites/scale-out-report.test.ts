import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/harness.js';
import { orderedHeadlines } from '../../src/readme-block.js';
import {
  caseName,
  scaleOutReport,
  shareOf,
  type CaseResult,
  type CaseRun,
  type ScaleOutSetup,
} from '../../src/suites/scale-out-report.js';
import { CASES } from '../../src/suites/scale-out.js';

const setup: ScaleOutSetup = {
  id: 'scale-out',
  title: 'Kafka service',
  frames: 1_000_000,
  frameBytes: 2_047_000_000,
  broker: 'Kafka 4.4.0 on 127.0.0.1:49092',
  cores: 2,
  untilIdleSeconds: 1,
  loadAtStart: [1, 1, 1],
  loadAtEnd: [2, 2, 2],
};

const spec = (letter: string) => CASES.find((c) => c.letter === letter)!;

/** A case whose runs took `seconds` each, with `cpu` CPU seconds and `rssMb` per process. */
function result(
  letter: string,
  partitions: number,
  rates: readonly number[],
  cpu: number,
  rssMb: readonly number[],
): CaseResult {
  const runs: CaseRun[] = rates.map((rate) => ({
    seconds: setup.frames / rate,
    cpuSeconds: cpu,
    startupCpuSeconds: 0.5,
    secondHalfCpuSeconds: cpu / 2,
    peakRssBytes: rssMb.map((mb) => mb * 1e6),
    framesRead: setup.frames,
  }));
  return {
    spec: spec(letter),
    partitions,
    speed: summarize(caseName(spec(letter), partitions), 'frames/s', rates),
    runs,
  };
}

describe('shareOf', () => {
  it('gives the ratio of the medians and the ratios of the runs of each round', () => {
    const share = shareOf(summarize('x', 'frames/s', [90, 100, 80]), summarize('y', 'frames/s', [100, 100, 100]));
    expect(share.ofMedians).toBeCloseTo(0.9);
    expect(share.perRound.values).toEqual([0.9, 1, 0.8]);
    expect(share.perRound.min).toBeCloseTo(0.8);
  });
});

describe('scaleOutReport', () => {
  const results = [
    result('a', 1, [100_000, 100_000, 100_000], 8, [120]),
    result('b', 1, [95_000, 96_000, 90_000], 9, [200]),
    result('c', 1, [50_000, 50_000, 50_000], 12, [210]),
    result('a', 4, [100_000, 100_000, 100_000], 8, [120]),
    result('b', 4, [80_000, 85_000, 90_000], 10, [180]),
    result('c', 4, [50_000, 50_000, 50_000], 12, [190]),
    result('d', 4, [90_000, 90_000, 90_000], 10.5, [150, 260]),
  ];
  const report = scaleOutReport(setup, results);
  const headline = (key: string) => report.headlines!.find((h) => h.key === key)!;

  it('holds (b) against 90% of (a) per partition count', () => {
    expect(headline('scaleOut.service.1p')).toMatchObject({
      met: true,
      value: expect.stringContaining('95% of 100.0 k'),
    });
    expect(headline('scaleOut.service.4p')).toMatchObject({
      met: false,
      value: expect.stringContaining('85% of 100.0 k'),
    });
  });

  it("holds (d)'s CPU per frame against 1.10x (b)'s, and every instance's peak RSS against 250 MB", () => {
    expect(headline('scaleOut.twoInstances.4p')).toMatchObject({
      met: true,
      value: expect.stringContaining('10.5 vs 10.0 CPU-s per M frames (1.05x)'),
    });
    expect(headline('scaleOut.peakRss')).toMatchObject({ met: false, value: '260 MB; uniqstream count 120 MB' });
    expect(headline('scaleOut.exactlyOnce').value).toContain('50%');
    expect(headline('scaleOut.exactlyOnce').target).toBeUndefined();
  });

  it('writes every ratio with its verdict, and a paragraph naming what was met and what was not', () => {
    const rows = report.textTables![0]!.rows;
    expect(rows.find((r) => r[0]!.startsWith('4p: (b)'))!.slice(2)).toEqual(['>= 90%', 'not met']);
    expect(rows.find((r) => r[0]!.startsWith('4p: (d) 2 instances / (b) 1 instance, CPU'))!.slice(2)).toEqual([
      '<= 1.10x',
      'met',
    ]);
    const paragraph = report.paragraphs![0]!;
    expect(paragraph).toMatch(/^\*\*Service throughput\.\*\*/);
    expect(paragraph).toContain(
      'Not met: 4p: (b) 1 instance, at-least-once / (a) uniqstream count, frames/s; Peak RSS',
    );
  });

  it('lists its headlines with the Kafka figures in the READMEs', () => {
    const keys = orderedHeadlines([
      { key: 'historical.framesPerSecond', label: '', value: '' },
      ...report.headlines!,
    ]).map((h) => h.key);
    expect(keys.at(-1)).toBe('historical.framesPerSecond');
  });

  it("says how (d)'s instances shared the frames, and what the broker's initial rebalance delay made of it", () => {
    const split = (groupDelayMs: number) => {
      const d = result('d', 4, [90_000, 90_000, 90_000], 10.5, [150, 160]);
      const runs = d.runs.map((run, i) => ({
        ...run,
        framesPerInstance: [
          [835_000, 165_000],
          [500_000, 500_000],
          [600_000, 400_000],
        ][i]!,
      }));
      return scaleOutReport({ ...setup, groupDelayMs }, [...results.slice(0, 6), { ...d, runs }]).notes!.join('\n');
    };
    expect(split(0)).toContain('group.initial.rebalance.delay.ms is 0 ms');
    expect(split(0)).toContain('the busier instance read 60% of the frames (median; 84%, 50%, 60% per run)');
    expect(split(3000)).toContain("join a new group's first generation together");
  });
});
