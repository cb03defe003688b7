import { describe, expect, it } from 'vitest';
import { EngineStats, type PipelineSummary } from '@uniqstream/core';
import { noValidFrameLine, progressLine, summaryLines } from '../src/report.js';

function summary(frames: number, bytes: number, fill: (stats: EngineStats) => void = () => undefined): PipelineSummary {
  const stats = new EngineStats();
  fill(stats);
  return {
    frames,
    bytes,
    elapsedMs: 1000,
    watermark: 1468244340,
    openWindows: 0,
    stats,
    stopReason: 'end-of-input',
    committed: new Map(),
  };
}

describe('summaryLines and progressLine', () => {
  it('say 1 frame and 2 frames', () => {
    expect(summaryLines(summary(1, 30))[0]).toMatch(/^read 1 frame \(30 B\)/);
    expect(summaryLines(summary(2, 60))[0]).toMatch(/^read 2 frames \(60 B\)/);
    expect(summaryLines(summary(0, 0))[0]).toMatch(/^read 0 frames \(0 B\)/);
    expect(progressLine(summary(1, 30))).toMatch(/^1 frame {2}/);
    expect(progressLine(summary(1500, 30))).toMatch(/^1\.5k frames {2}/);
  });
});

describe('noValidFrameLine', () => {
  it('warns when frames were read and every one was malformed', () => {
    const noise = summary(800, 200_000, (stats) => {
      for (let i = 0; i < 800; i++) stats.addMalformed(i % 2 === 0 ? 'invalid-utf8' : 'not-object');
    });
    expect(noValidFrameLine(noise)).toBe(
      'warning: no valid frame in 200,000 bytes: is this JSON lines (one object per line, with "uid" and "ts")?',
    );
  });

  it('says nothing for empty input, or when one frame was valid (even if late or corrupt)', () => {
    expect(noValidFrameLine(summary(0, 0))).toBeUndefined();
    for (const field of ['counted', 'lateDropped', 'corruptTs'] as const) {
      const one = summary(3, 90, (stats) => {
        stats.addMalformed('truncated');
        stats.addMalformed('truncated');
        stats[field] = 1;
      });
      expect(noValidFrameLine(one)).toBeUndefined();
    }
  });
});
