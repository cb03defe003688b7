import { describe, expect, it } from 'vitest';
import { encodeSnapshot } from '@uniqstream/core';
import { PartialsTimeline, waitSteps } from '../src/partials-timeline.js';

/** A record as the service writes it: core's snapshot container around a JSON body with a blob. */
const partial = (partition: number, watermark: number): Uint8Array =>
  encodeSnapshot({
    type: 'partial',
    version: 1,
    partition,
    window: 'minute',
    start: 0,
    end: 60,
    state: new Uint8Array([1, 2, 3]),
    watermark,
  });
const progress = (partition: number, watermark: number): Uint8Array =>
  encodeSnapshot({ type: 'progress', version: 1, partition, watermark, idle: false });

describe('PartialsTimeline', () => {
  it("lets a window out at the record that brought the last partition's watermark to its end", () => {
    const timeline = new PartialsTimeline(2);
    timeline.add('minute:0:0', partial(0, 65), 100);
    expect(timeline.reachedAt(60)).toBeUndefined();
    timeline.add('minute:0:1', partial(1, 59), 110);
    timeline.add('minute:0:1', null, 115);
    timeline.add('progress:1', progress(1, 61), 120);
    timeline.add('minute:60:1', partial(1, 130), 130);
    expect(timeline.reachedAt(60)).toBe(120);
    expect(timeline.reachedAt(65)).toBe(130);
    expect(timeline.reachedAt(131)).toBeUndefined();
  });

  it('passes over records it cannot read, of other partitions, and -Infinity watermarks', () => {
    const timeline = new PartialsTimeline(1);
    timeline.add('minute:0:0', new Uint8Array([1, 2, 3]), 100);
    timeline.add('minute:0:7', partial(7, 100), 100);
    timeline.add('progress:0', progress(0, Number.NEGATIVE_INFINITY), 100);
    timeline.add(null, partial(0, 100), 100);
    expect(timeline.reachedAt(0)).toBeUndefined();
    timeline.add('progress:0', progress(0, 60), 200);
    expect(timeline.reachedAt(60)).toBe(200);
  });
});

describe('waitSteps', () => {
  it("splits each first result's wait at the record that let it out", () => {
    const timeline = new PartialsTimeline(1);
    timeline.add('progress:0', progress(0, 60), 1_050);
    timeline.add('progress:0', progress(0, 120), 2_300);
    const steps = waitSteps(timeline, [
      { end: 60, knownMs: 1_000, readableMs: 1_080 },
      { end: 120, knownMs: 2_000, readableMs: 2_310 },
      { end: 180, knownMs: 3_000, readableMs: 3_100 },
    ]);
    expect(steps).toEqual({ countMs: [50, 300], mergeMs: [30, 10] });
  });
});
