import { describe, expect, it } from 'vitest';
import { MALFORMED_KINDS } from '../src/damage.js';
import type { FramePlan } from '../src/frame-writer.js';
import { resolveOptions, type StreamOptions } from '../src/options.js';
import { Schedule } from '../src/schedule.js';
import { plausible } from './support/reference.js';

const options: StreamOptions = {
  seed: 21,
  users: 500,
  rate: 200,
  start: 1_600_000_000,
  frames: 60_000,
  lateFraction: 0.1,
  maxDelay: 5,
  tailFraction: 0.02,
  tailDelay: 40,
  bitflipFraction: 0.01,
  bitflipMinBit: 4,
  malformedFraction: 0.07,
};
const plans: FramePlan[] = [...new Schedule(resolveOptions(options)).plans()];

describe('Schedule', () => {
  it('hands out every frame once, with ts = start + floor(seq / rate)', () => {
    expect(plans).toHaveLength(60_000);
    const seqs = new Set(plans.map((p) => p.seq));
    expect(seqs.size).toBe(60_000);
    expect(plans.filter((p) => p.ts !== 1_600_000_000 + Math.floor(p.seq / 200))).toEqual([]);
  });

  it('hands frames out in arrival order, arrival = seq / rate + delay', () => {
    let bad = 0;
    for (let i = 0; i < plans.length; i++) {
      const p = plans[i]!;
      if (Math.abs(p.arrival - (p.seq / 200 + p.delay)) > 1e-9) bad++;
      const prev = plans[i - 1];
      if (prev !== undefined && (prev.arrival > p.arrival || (prev.arrival === p.arrival && prev.seq > p.seq))) bad++;
    }
    expect(bad).toBe(0);
  });

  it('keeps delays in their ranges and at their fractions', () => {
    const late = plans.filter((p) => p.disorder === 'late');
    const tail = plans.filter((p) => p.disorder === 'tail');
    const onTime = plans.filter((p) => p.disorder === null);
    expect(late.every((p) => p.delay >= 1 && p.delay <= 5)).toBe(true);
    expect(tail.every((p) => p.delay >= 6 && p.delay <= 40)).toBe(true);
    expect(onTime.every((p) => p.delay === 0)).toBe(true);
    expect(plausible(late.length, plans.length, 0.1)).toBe(true);
    expect(plausible(tail.length, plans.length, 0.02)).toBe(true);
    // Both ends of each range occur.
    expect(new Set(late.map((p) => p.delay))).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(tail.some((p) => p.delay === 6) && tail.some((p) => p.delay === 40)).toBe(true);
  });

  it('really arrives out of order, and never later than its delay behind the newest ts', () => {
    let maxTs = Number.NEGATIVE_INFINITY;
    let behind = 0;
    let tooFarBehind = 0;
    for (const p of plans) {
      if (p.ts < maxTs) {
        behind++;
        if (maxTs - p.ts > p.delay) tooFarBehind++;
      }
      maxTs = Math.max(maxTs, p.ts);
    }
    // At 200 frames/s nearly every frame delayed by 1 s or more arrives behind a newer one.
    const delayed = plans.filter((p) => p.delay > 0).length;
    expect(behind).toBeGreaterThan(delayed * 0.9);
    expect(behind).toBeLessThanOrEqual(delayed);
    expect(tooFarBehind).toBe(0);
  });

  it('damages frames at the asked fractions, malformed kinds evenly', () => {
    const n = plans.length;
    const flips = plans.filter((p) => p.damage === 'bitflip');
    expect(plausible(flips.length, n, 0.01)).toBe(true);
    expect(flips.every((p) => p.flipBit >= 4 && p.flipBit <= 31)).toBe(true);
    expect(plans.filter((p) => p.damage !== 'bitflip').every((p) => p.flipBit === -1)).toBe(true);
    for (const kind of MALFORMED_KINDS) {
      expect(plausible(plans.filter((p) => p.damage === kind).length, n, 0.07 / MALFORMED_KINDS.length)).toBe(true);
    }
  });

  it('reports its horizon as the largest possible delay', () => {
    expect(new Schedule(resolveOptions(options)).horizon).toBe(40);
    expect(new Schedule(resolveOptions({ ...options, tailFraction: 0 })).horizon).toBe(5);
    expect(new Schedule(resolveOptions({ ...options, tailFraction: 0, lateFraction: 0 })).horizon).toBe(0);
  });
});
