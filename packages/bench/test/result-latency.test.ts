import { describe, expect, it } from 'vitest';
import {
  measureLatency,
  parseResult,
  ResultLog,
  type ReceivedResult,
  type ResultValue,
} from '../src/result-latency.js';

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

function result(
  start: number,
  revision: number,
  final: boolean,
  receivedMs: number,
  users = 10,
  frames = 20,
): ReceivedResult {
  return {
    window: 'minute',
    start,
    end: start + 60,
    users,
    frames,
    revision,
    final,
    receivedMs,
    appendedMs: receivedMs - 1,
  };
}

describe('parseResult', () => {
  it('reads a result line as the sinks write it, and nothing else', () => {
    const line: ResultValue = {
      window: 'minute',
      start: 1468244340,
      end: 1468244400,
      users: 5823,
      frames: 59231,
      revision: 0,
      final: true,
    };
    expect(parseResult(json({ ...line, method: 'exact' }))).toEqual(line);
    expect(parseResult(null)).toBeNull();
    expect(parseResult(Buffer.alloc(0))).toBeNull();
    expect(parseResult(Buffer.from('{not json'))).toBeNull();
    expect(parseResult(json({ ...line, users: -1 }))).toBeNull();
    expect(parseResult(json({ ...line, final: 'yes' }))).toBeNull();
    expect(parseResult(json([line]))).toBeNull();
  });
});

describe('ResultLog', () => {
  it('keeps the first result and the first final result, and notes final results that contradict each other', () => {
    const log = new ResultLog();
    log.add(result(0, 0, false, 100));
    log.add(result(0, 0, false, 900)); // written again after a replay
    log.add(result(0, 1, true, 1000));
    log.add(result(0, 1, true, 1100));
    log.add(result(60, 0, true, 1200, 5));
    log.add(result(60, 0, true, 1300, 6));
    expect(log.records).toBe(6);
    expect(log.first(0)?.receivedMs).toBe(100);
    expect(log.first(60)?.revision).toBe(0);
    expect(log.final(0)?.receivedMs).toBe(1000);
    expect(log.hasFinals([0, 60])).toBe(true);
    expect(log.hasFinals([0, 120])).toBe(false);
    expect(log.contradictions).toEqual(['window 60: two final results, 5 users in 20 frames and 6 users in 20 frames']);
  });
});

describe('measureLatency', () => {
  const reference = new Map([
    [0, { users: 10, frames: 20 }],
    [60, { users: 10, frames: 20 }],
    [120, { users: 3, frames: 3 }],
  ]);

  it('measures from the moment each window could be known to its result read, and checks every final result', () => {
    const log = new ResultLog();
    log.add(result(0, 0, false, 1250));
    log.add(result(0, 2, true, 5040));
    // A counter that publishes at intervals may first publish a later revision.
    log.add(result(60, 2, false, 2300));
    log.add(result(60, 3, true, 6100));
    log.add(result(120, 0, true, 7000, 3, 3));
    const figures = measureLatency(
      log,
      [
        { start: 0, end: 60, knownMs: 1000, finalKnownMs: 5000 },
        { start: 60, end: 120, knownMs: 2000, finalKnownMs: 6000 },
        // The input ended before this one could be known: not measured.
        { start: 120, end: 180, knownMs: undefined, finalKnownMs: undefined },
      ],
      reference,
      [0, 60, 120],
      'received',
    );
    expect(figures.firstResultMs).toEqual([250, 300]);
    expect(figures.firstRevisions).toEqual([0, 2]);
    expect(figures.finalMs).toEqual([40, 100]);
    expect(figures.readerDelayMs).toEqual([1, 1]);
    expect(figures.checked).toBe(3);
    expect(figures.problems).toEqual([]);
    // Outside transactions a result is readable once appended: here 1 ms before the reader had it.
    expect(
      measureLatency(log, [{ start: 0, end: 60, knownMs: 1000, finalKnownMs: 5000 }], reference, [0], 'appended')
        .firstResultMs,
    ).toEqual([249]);
  });

  it(
    'reports windows without a result, results read before they could be known, and final results ' +
      'that differ from the reference',
    () => {
      const log = new ResultLog();
      log.add(result(0, 0, false, 900));
      log.add(result(0, 1, true, 5000, 11));
      const figures = measureLatency(
        log,
        [
          { start: 0, end: 60, knownMs: 1000, finalKnownMs: 5000 },
          { start: 60, end: 120, knownMs: 2000, finalKnownMs: 6000 },
        ],
        reference,
        [0, 60, 120],
        'received',
      );
      expect(figures.problems).toEqual([
        'window 0: first result readable 100 ms before the frame that let it be known arrived',
        'window 60: no result read',
        'window 0: final result 11 users in 20 frames, reference 10 users in 20 frames',
        'window 60: no final result read (reference: 10 users in 20 frames)',
        'window 120: no final result read (reference: 3 users in 3 frames)',
      ]);
    },
  );
});
