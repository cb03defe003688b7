import { describe, expect, it } from 'vitest';
import {
  Assignment,
  type AssignmentEffects,
  type KafkaPartitionHooks,
  type PartitionStart,
} from '../src/kafka-assignment.js';
import { SourceError } from '../src/errors.js';

/** Hooks and effects that write down what happens, in order; `assigned` answers from `offsets`. */
function recorder(offsets: ReadonlyMap<number, number | undefined> = new Map()): {
  journal: string[];
  starts: PartitionStart[];
  hooks: Required<KafkaPartitionHooks>;
  effects: AssignmentEffects;
} {
  const journal: string[] = [];
  const starts: PartitionStart[] = [];
  return {
    journal,
    starts,
    hooks: {
      assigned: async (partitions) => {
        journal.push(`assigned ${partitions.join(',')}`);
        return new Map(partitions.map((p) => [p, offsets.get(p)]));
      },
      revoked: async (partitions) => void journal.push(`revoked ${partitions.join(',')}`),
      rebalancing: async (partitions) => void journal.push(`rebalancing ${partitions.join(',')}`),
    },
    effects: {
      dropped: (partitions) => void journal.push(`dropped ${partitions.join(',')}`),
      start: (list) => {
        starts.push(...list);
        journal.push(`start ${list.map((s) => `${s.partition}@${s.offset ?? 'committed'}`).join(',')}`);
      },
      rejoin: (id) => void journal.push(`rejoin ${id}`),
    },
  };
}

describe('Assignment', () => {
  it(
    'adopts what a join gives: assigned first, then the start of each at the offset it returned, ' +
      'each with a session of its own',
    async () => {
      const a = new Assignment();
      const { journal, starts, hooks, effects } = recorder(
        new Map([
          [0, 120],
          [3, undefined],
        ]),
      );
      expect(a.joined([3, 0])).toEqual({ gained: [0, 3], lost: [] });
      expect(a.due).toBe(true);
      expect(a.adopting).toBe(true);
      expect(a.owned()).toEqual([]);
      expect(await a.reconcile(hooks, effects)).toBe(true);
      expect(journal).toEqual(['assigned 0,3', 'start 0@120,3@committed']);
      expect(a.owned()).toEqual([0, 3]);
      expect(a.due).toBe(false);
      expect(a.adopting).toBe(false);
      const [zero, three] = starts;
      expect(zero!.session).not.toBe(three!.session);
      expect(a.accepts(0, zero!.session)).toBe(true);
      expect(a.accepts(0, three!.session)).toBe(false);
      expect(a.accepts(1, zero!.session)).toBe(false);
    },
  );

  it('revokes what a join takes away before it adopts what it gives, and keeps the rest as it is', async () => {
    const a = new Assignment();
    const { journal, starts, hooks, effects } = recorder();
    a.joined([0, 1, 2, 3]);
    await a.reconcile(hooks, effects);
    const kept = starts.find((s) => s.partition === 1)!.session;
    journal.length = 0;
    expect(a.joined([1, 4])).toEqual({ gained: [4], lost: [0, 2, 3] });
    // Lost in the join, before revoked runs: no batch of them is accepted any more, and they are not held.
    expect(a.accepts(0, starts[0]!.session)).toBe(false);
    expect(a.owned()).toEqual([1]);
    await a.reconcile(hooks, effects);
    expect(journal).toEqual(['dropped 0,2,3', 'revoked 0,2,3', 'assigned 4', 'start 4@committed']);
    expect(a.owned()).toEqual([1, 4]);
    expect(a.accepts(1, kept)).toBe(true);
  });

  it('revokes and adopts again a partition that two joins took away and gave back before the hooks ran', async () => {
    const a = new Assignment();
    const { journal, starts, hooks, effects } = recorder();
    a.joined([0, 1]);
    await a.reconcile(hooks, effects);
    const before = starts.find((s) => s.partition === 1)!.session;
    journal.length = 0;
    a.joined([0]);
    a.joined([0, 1]);
    expect(a.accepts(1, before)).toBe(false);
    await a.reconcile(hooks, effects);
    // The reader forgot its position when the partition went: it reads it again only once started again.
    expect(journal).toEqual(['dropped 1', 'revoked 1', 'assigned 1', 'start 1@committed']);
    const after = starts.at(-1)!.session;
    expect(after).not.toBe(before);
    expect(a.accepts(1, before)).toBe(false);
    expect(a.accepts(1, after)).toBe(true);
  });

  it(
    'follows a join that comes while a hook runs: what it took is revoked after it was assigned, ' + 'never in between',
    async () => {
      const a = new Assignment();
      const journal: string[] = [];
      let during: (() => void) | undefined = () => {
        a.joined([1]);
      };
      const hooks: KafkaPartitionHooks = {
        assigned: async (partitions) => {
          journal.push(`assigned ${partitions.join(',')}`);
          const join = during;
          during = undefined;
          join?.();
          return new Map();
        },
        revoked: async (partitions) => void journal.push(`revoked ${partitions.join(',')}`),
      };
      a.joined([0, 1]);
      await a.reconcile(hooks, recorder().effects);
      expect(journal).toEqual(['assigned 0,1', 'revoked 0']);
      expect(a.owned()).toEqual([1]);
      expect(a.due).toBe(false);
    },
  );

  it('without hooks, starts every gained partition at the committed offset', async () => {
    const a = new Assignment();
    const { journal, effects } = recorder();
    a.joined([2]);
    expect(await a.reconcile(undefined, effects)).toBe(true);
    expect(journal).toEqual(['start 2@committed']);
    a.joined([]);
    expect(await a.reconcile(undefined, effects)).toBe(false);
    expect(journal).toEqual(['start 2@committed', 'dropped 2']);
  });

  it(
    'on a rebalance, saves the partitions held, then lets the rejoin go, and holds batches back ' + 'until the join',
    async () => {
      const a = new Assignment();
      const { journal, hooks, effects } = recorder();
      a.joined([0, 1]);
      await a.reconcile(hooks, effects);
      journal.length = 0;
      a.rebalancing(7);
      expect(a.due).toBe(true);
      expect(await a.reconcile(hooks, effects)).toBe(false);
      expect(journal).toEqual(['rebalancing 0,1', 'rejoin 7']);
      expect(a.holding).toBe(true);
      expect(a.due).toBe(false);
      a.joined([0, 1]);
      expect(a.holding).toBe(false);
      expect(a.due).toBe(false);
    },
  );

  it('lets the rejoin go even when the rebalancing hook fails, and without partitions calls no hook', async () => {
    const a = new Assignment();
    const { journal, hooks, effects } = recorder();
    a.joined([]);
    await a.reconcile(hooks, effects);
    a.rebalancing(1);
    await a.reconcile(hooks, effects);
    expect(journal).toEqual(['rejoin 1']);
    a.joined([5]);
    await a.reconcile(hooks, effects);
    a.rebalancing(2);
    const failing = { ...hooks, rebalancing: async () => Promise.reject(new Error('sink away')) };
    await expect(a.reconcile(failing, effects)).rejects.toThrow('sink away');
    expect(journal.at(-1)).toBe('rejoin 2');
  });

  it(
    'skips the rebalancing hook once the join came (the hold ran out: revoked follows), and does ' +
      'not hold after it',
    async () => {
      const a = new Assignment();
      const { journal, hooks, effects } = recorder();
      a.joined([0, 1]);
      await a.reconcile(hooks, effects);
      journal.length = 0;
      a.rebalancing(3);
      a.joined([1]);
      await a.reconcile(hooks, effects);
      expect(journal).toEqual(['dropped 0', 'revoked 0']);
      expect(a.holding).toBe(false);

      // The join arrives while the hook runs: nothing to hold for afterwards.
      const late = { ...hooks, rebalancing: async () => void a.joined([1]) };
      a.rebalancing(4);
      await a.reconcile(late, effects);
      expect(a.holding).toBe(false);
    },
  );

  it('stops holding when the consumer crashed (it left the group and joins again)', async () => {
    const a = new Assignment();
    const { hooks, effects } = recorder();
    a.joined([0]);
    await a.reconcile(hooks, effects);
    a.rebalancing(1);
    await a.reconcile(hooks, effects);
    expect(a.holding).toBe(true);
    a.crashed();
    expect(a.holding).toBe(false);
  });

  it(
    'drops what the owner gives up, calls no hook for it, and adopts it afresh only when a later ' + 'join lists it',
    async () => {
      const a = new Assignment();
      const { journal, starts, hooks, effects } = recorder();
      a.joined([0, 1]);
      await a.reconcile(hooks, effects);
      const first = starts.find((s) => s.partition === 1)!;
      expect(a.giveUp([1, 7])).toEqual([1]);
      // Nothing of it is handed on, and the join it was adopted by does not give it again.
      expect(a.accepts(1, first.session)).toBe(false);
      expect(a.owned()).toEqual([0]);
      expect(a.due).toBe(false);
      expect(await a.reconcile(hooks, effects)).toBe(false);
      // The group lists it again after the owner rejoined: adopted afresh, in a new session.
      a.joined([0, 1]);
      expect(await a.reconcile(hooks, effects)).toBe(true);
      expect(journal).toEqual(['assigned 0,1', 'start 0@committed,1@committed', 'assigned 1', 'start 1@committed']);
      const again = starts.at(-1)!;
      expect(again.session).not.toBe(first.session);
      expect(a.accepts(1, again.session)).toBe(true);
    },
  );

  it('refuses an offset that is not one, naming the partition', async () => {
    const a = new Assignment();
    for (const bad of [-1, 1.5, Number.NaN]) {
      const { hooks, effects } = recorder(new Map([[2, bad]]));
      a.joined([2]);
      const failure = await a.reconcile(hooks, effects).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(SourceError);
      expect((failure as SourceError).message).toBe(
        `partitions.assigned gave partition 2 the offset ${bad}; an offset is an integer from 0`,
      );
      expect(a.owned()).toEqual([]);
    }
  });
});
