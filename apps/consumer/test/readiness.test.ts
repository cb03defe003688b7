import { describe, expect, it } from 'vitest';
import { readinessOf, type MergeStatus, type RoleStatus } from '../src/readiness.js';

const counting = (notReady: string | null = null): RoleStatus => ({
  notReady: () => notReady,
  describe: () => 'count: partitions 0,1 of frames',
});
const merging = (notReady: string | null = null, fault: string | null = null): MergeStatus => ({
  notReady: () => fault ?? notReady,
  describe: () => 'merge: following g.partials, 2 windows open',
  fault: () => fault,
});
const BROKERS = ['127.0.0.1:9092'];

describe('readinessOf', () => {
  it('is not ready before the roles run', () => {
    expect(
      readinessOf({ counting: undefined, merging: undefined, brokers: BROKERS, fetchesUnansweredForMs: 0 }),
    ).toEqual({ ready: false, reasons: ['starting: not connected to Kafka yet'] });
  });

  it('is ready when one role does its job and nothing is broken: counting while the merge stands by', () => {
    expect(
      readinessOf({
        counting: counting(),
        merging: merging('merge: standing by (another instance merges)'),
        brokers: BROKERS,
        fetchesUnansweredForMs: 0,
      }),
    ).toEqual({
      ready: true,
      reasons: ['count: partitions 0,1 of frames', 'merge: standing by (another instance merges)'],
    });
  });

  it('is not ready, naming the broker, while fetches go unanswered, whatever the roles say', () => {
    expect(
      readinessOf({
        counting: counting(),
        merging: merging(),
        brokers: ['127.0.0.1:19392', 'b2:9092'],
        fetchesUnansweredForMs: 7_400,
      }),
    ).toEqual({
      ready: false,
      reasons: [
        'kafka: no fetch answered by 127.0.0.1:19392,b2:9092 for 7 s',
        'count: partitions 0,1 of frames',
        'merge: following g.partials, 2 windows open',
      ],
    });
  });

  it('is not ready while results cannot be written, even though it counts', () => {
    const fault = 'merge: cannot write results to counts: no acknowledgement for 10 s';
    expect(
      readinessOf({ counting: counting(), merging: merging(null, fault), brokers: BROKERS, fetchesUnansweredForMs: 0 }),
    ).toEqual({
      ready: false,
      reasons: ['count: partitions 0,1 of frames', fault],
    });
  });
});
