import { describe, expect, it } from 'vitest';
import { casesFor, cliEndMs, serviceEndMs, type ServicePoll } from '../../src/suites/scale-out.js';

describe('casesFor', () => {
  it(
    'runs the CLI and one service instance on every topic, and two instances only where each holds ' +
      'two partitions or more',
    () => {
      expect(casesFor(1).map((c) => c.letter)).toEqual(['a', 'b', 'c']);
      expect(casesFor(4).map((c) => c.letter)).toEqual(['a', 'b', 'c', 'd']);
      expect(casesFor(4).find((c) => c.letter === 'c')!.args).toEqual(['--guarantee', 'exactly-once']);
    },
  );
});

describe('cliEndMs', () => {
  it('is the append time of the results written at the idle stop, less the idle wait', () => {
    // Results while counting, then the last windows written 1 s after the last batch.
    expect(cliEndMs([100, 400, 900, 2_050, 1_950, 1_952], 1)).toBe(950);
  });

  it(
    'is the last result written before the stop when that came later (results acknowledged after the ' + 'last batch)',
    () => {
      expect(cliEndMs([100, 1_300, 2_000, 2_001], 1)).toBe(1_300);
    },
  );

  it('takes the idle stop alone when it wrote every result', () => {
    expect(cliEndMs([5_000, 5_003], 2)).toBe(3_000);
  });

  it('refuses a run without results', () => {
    expect(() => cliEndMs([], 1)).toThrow(/no results/);
  });
});

describe('serviceEndMs', () => {
  const frames = 1_000;
  const poll = (
    atMs: number,
    framesRead: number,
    partialsEnd: number | undefined,
    mergedTo: number | undefined,
    committedAtEnd = true,
  ): ServicePoll => ({ atMs, framesRead, partialsEnd, mergedTo, committedAtEnd });

  it(
    'is the first poll with every frame read and the merge at the end of the partials, unchanged at ' + 'the next poll',
    () => {
      const polls = [
        poll(0, 900, 10, 10),
        poll(25, 1_000, 10, 10),
        poll(50, 1_000, 12, 10),
        poll(75, 1_000, 12, 12),
        poll(100, 1_000, 12, 12),
        poll(1_100, 1_000, 12, 12),
      ];
      // At 25 the last partials were still in the writer: the next poll found them appended.
      expect(serviceEndMs(polls, frames, 1_000)).toBe(75);
    },
  );

  it('waits until the frames read have stood still long enough', () => {
    expect(serviceEndMs([poll(0, 1_000, 5, 5), poll(25, 1_000, 5, 5)], frames, 1_000)).toBeUndefined();
    expect(serviceEndMs([poll(0, 1_000, 5, 5), poll(25, 1_000, 5, 5), poll(1_000, 1_000, 5, 5)], frames, 1_000)).toBe(
      0,
    );
  });

  it('counts frames read again after a rebalance: the end comes once as many were read as in the end', () => {
    const polls = [
      poll(0, 1_000, 5, 5),
      poll(25, 1_000, 5, 5),
      poll(50, 1_200, 6, 6),
      poll(75, 1_200, 6, 6),
      poll(1_100, 1_200, 6, 6),
    ];
    expect(serviceEndMs(polls, frames, 1_000)).toBe(50);
  });

  it(
    'with exactly-once, waits for the input offsets committed at the end (they go with the partials ' +
      'in one transaction)',
    () => {
      const polls = [
        poll(0, 1_000, 5, 5, false),
        poll(25, 1_000, 5, 5, false),
        poll(900, 1_000, 9, 9, true),
        poll(925, 1_000, 9, 9, true),
        poll(1_000, 1_000, 9, 9, true),
      ];
      expect(serviceEndMs(polls, frames, 1_000)).toBe(900);
    },
  );

  it('never ends on an empty partials topic or one the merge has not committed on', () => {
    expect(
      serviceEndMs([poll(0, 1_000, 0, undefined), poll(1_000, 1_000, 0, undefined)], frames, 1_000),
    ).toBeUndefined();
    expect(
      serviceEndMs([poll(0, 1_000, 4, undefined), poll(1_000, 1_000, 4, undefined)], frames, 1_000),
    ).toBeUndefined();
  });
});
