import { computeTruth, generateFrames, type StreamOptions, type TruthWindow } from '@uniqstream/generator';
import { describe, expect, it } from 'vitest';
import { DeliveredTruth } from '../src/delivered-truth.js';
import { utcWindowStart, validFrame, WINDOWS } from './support/reference.js';

const STREAM: StreamOptions = {
  seed: 7,
  users: 500,
  rate: 40,
  start: 1_468_244_384,
  frames: 6000,
  frameBytes: 120,
  lateFraction: 0.1,
  maxDelay: 5,
  tailFraction: 0.01,
  tailDelay: 70,
  malformedFraction: 0.02,
  tsStringFraction: 0.05,
};

const key = (w: { window: string; start: number }): string => `${w.window}:${w.start}`;
const byWindow = (windows: readonly TruthWindow[]) =>
  new Map(windows.map((w) => [key(w), { users: w.users, frames: w.frames }]));

/** Delivery in uneven steps, as acknowledgements of batches come: 1, 2, 3, ... frames. */
function* steps(): Generator<number> {
  for (let n = 1; ; n = (n % 97) + 1) yield n;
}

describe('DeliveredTruth', () => {
  it(
    'once every frame is delivered, holds the truth of the whole stream, and closes windows as ' + 'deliveries go on',
    () => {
      const truth = new DeliveredTruth({ users: 500 });
      const windows: TruthWindow[] = [];
      const step = steps();
      let mostOpen = 0;
      for (const _frame of generateFrames(STREAM, { truth })) {
        // Deliveries lag behind what is made, by up to a few hundred frames.
        if (truth.undelivered > 300) truth.deliver(step.next().value as number);
        windows.push(...truth.drain());
        mostOpen = Math.max(mostOpen, truth.openWindows);
      }
      while (truth.undelivered > 0) truth.deliver(step.next().value as number);
      truth.finish();
      windows.push(...truth.drain());

      const expected = computeTruth(STREAM);
      expect(byWindow(windows)).toEqual(byWindow(expected.windows));
      expect(truth.summary()).toEqual(expected.summary);
      // 150 s of stream: windows closed along the way, not all at the end.
      expect(mostOpen).toBeLessThan(20);
    },
  );

  it('cut short, counts exactly the frames delivered, by an independent recount of their bytes', () => {
    const truth = new DeliveredTruth({ users: 500 });
    const made: Buffer[] = [];
    for (const frame of generateFrames(STREAM, { truth })) made.push(Buffer.from(frame.bytes));
    const delivered = 2345;
    truth.deliver(1000);
    truth.deliver(delivered - 1000);
    truth.dropUndelivered();
    truth.finish();

    const uids = new Map<string, Set<string>>();
    const frames = new Map<string, number>();
    for (const bytes of made.slice(0, delivered)) {
      const frame = validFrame(bytes);
      if (frame === null) continue;
      for (const window of WINDOWS) {
        const k = `${window}:${utcWindowStart(frame.ts, window)}`;
        uids.set(k, (uids.get(k) ?? new Set()).add(frame.uid));
        frames.set(k, (frames.get(k) ?? 0) + 1);
      }
    }
    const recount = new Map([...uids].map(([k, set]) => [k, { users: set.size, frames: frames.get(k) ?? 0 }]));
    expect(byWindow([...truth.drain()])).toEqual(recount);
    expect(truth.summary().frames).toBe(delivered);
  });

  it('counts nothing before delivery', () => {
    const truth = new DeliveredTruth();
    for (const _frame of generateFrames({ ...STREAM, frames: 100 }, { truth })) {
      // made, not delivered
    }
    expect(truth.undelivered).toBe(100);
    expect(truth.summary().frames).toBe(0);
    truth.dropUndelivered();
    truth.finish();
    expect([...truth.drain()]).toEqual([]);
  });
});
