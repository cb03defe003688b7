import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topicReachedAt, WatermarkHistory } from '../src/watermark-history.js';

const MAX_DELAY = 5;

function history(frames: readonly (readonly [ts: number, arrivedMs: number])[]): WatermarkHistory {
  const h = new WatermarkHistory(MAX_DELAY);
  for (const [ts, at] of frames) h.observe(ts, at);
  return h;
}

describe('WatermarkHistory', () => {
  it('reaches a window end at the first frame whose ts is at least end + max delay, late frames moving nothing', () => {
    // Window [60, 120): the watermark reaches 120 when a frame of ts >= 125 arrives.
    const h = history([
      [100, 1000],
      [124, 2000],
      [90, 2500], // late: behind the highest ts
      [126, 3000],
      [125, 3500], // reaches 120 too, but after 126 did
      [200, 4000],
    ]);
    expect(h.reachedAt(120)).toBe(3000);
    expect(h.reachedAt(119)).toBe(2000);
    expect(h.reachedAt(121)).toBe(3000);
    expect(h.reachedAt(195)).toBe(4000);
    expect(h.reachedAt(196)).toBeUndefined();
  });

  it('gives the first arrival for a level the first frame already passed, and nothing before any frame', () => {
    expect(history([[100, 7]]).reachedAt(0)).toBe(7);
    expect(new WatermarkHistory(MAX_DELAY).reachedAt(0)).toBeUndefined();
    expect(new WatermarkHistory(MAX_DELAY).started).toBe(false);
  });

  it('agrees with a scan of the frames for any stream and level', () => {
    const frame = fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 100 }));
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 60 }), fc.integer({ min: -10, max: 520 }), (steps, level) => {
        // Arrivals only grow, as appends to one partition do.
        let at = 0;
        const frames = steps.map(([ts, gap]) => [ts, (at += gap)] as const);
        const expected = frames.find(([ts]) => ts - MAX_DELAY >= level)?.[1];
        expect(history(frames).reachedAt(level)).toBe(expected);
      }),
    );
  });
});

describe('topicReachedAt', () => {
  it('is the latest partition to get there, ignoring partitions without frames', () => {
    const fast = history([[130, 100]]);
    const slow = history([
      [110, 50],
      [125, 400],
    ]);
    const empty = new WatermarkHistory(MAX_DELAY);
    expect(topicReachedAt([fast, slow, empty], 120)).toBe(400);
    expect(topicReachedAt([fast, slow], 121)).toBeUndefined();
    expect(topicReachedAt([empty], 0)).toBeUndefined();
  });
});
