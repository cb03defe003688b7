import { uniqueName } from '@uniqstream/kafka-local';
import { testRandom } from '@uniqstream/reference';
import { afterAll, describe, expect, it } from 'vitest';
import { produceOver } from './produce.js';
import {
  holdsPartitions,
  isJoin,
  serviceArgs,
  ServiceProcess,
  stopAllCleanly,
  testKafka,
  topicsOf,
  waitUntilDone,
} from './service-process.js';
import { expectMatchesReference, latestByKey, testStream } from './stream.js';

const PARTITIONS = 4;
const FRAMES = 24_000;
/** Input arrives over this long, so that instances join, rebalance and die while it flows. */
const PRODUCE_SECONDS = 8;
/** A first share of the input is there before the instances start. */
const HEAD_SHARE = 0.2;

/**
 * Several instances of the real binary in one consumer group share the 4
 * input partitions; each holds the state of its own. 1, 2 and 3 instances
 * (one of the 3 killed with SIGKILL mid-run, and not restarted: its
 * partitions and possibly the merge move to the others) must all end with
 * the results topic holding exactly the reference counts of every window,
 * final.
 */
describe('scale-out: instances in one consumer group', () => {
  const kafka = testKafka();
  const stream = testStream({ seed: 11, frames: FRAMES, partitions: PARTITIONS });
  const finals = new Map<number, Map<string, string>>();
  const random = testRandom('scale-out kill moment');

  afterAll(async () => {
    await kafka.close();
  });

  /**
   * Runs `instances` instances over a fresh input topic (no idleness: the runs are held to each
   * other record for record, and a revision emitted on going idle depends on the wall clock); `chaos` may kill one
   * of them while the input flows. */
  async function run(
    instances: number,
    chaos?: (running: readonly ServiceProcess[]) => Promise<void>,
  ): Promise<{ latest: Map<string, string>; processes: ServiceProcess[] }> {
    const input = uniqueName(`consumer-scale-${instances}`);
    const group = uniqueName(`scale-${instances}`);
    const results = `${group}.results`;
    const { partials, checkpoints } = topicsOf(group);
    kafka.track({ groups: [group, `${group}.merge`], topics: [results, partials, checkpoints] });
    await kafka.createTopic(input, PARTITIONS);
    const head = Math.round(FRAMES * HEAD_SHARE);
    await kafka.produce(input, stream.frames.slice(0, head));
    const topics = { input, results, group };
    const processes: ServiceProcess[] = [];
    try {
      for (let i = 0; i < instances; i++)
        processes.push(new ServiceProcess(serviceArgs(topics, ['--idle-timeout', '0']), group));
      await Promise.all([
        (async () => {
          await produceOver(kafka, input, stream.frames.slice(head), PRODUCE_SECONDS);
          await kafka.produce(input, stream.closing);
        })(),
        chaos?.(processes),
      ]);
      await waitUntilDone(kafka, topics);
      await stopAllCleanly(processes);
    } finally {
      for (const p of processes) p.kill('SIGKILL');
    }
    return { latest: latestByKey(await kafka.read(results)), processes };
  }

  /** The partitions an instance held after its last group join. */
  /** The partitions an instance held after its last group join before it was told to stop (a stopping instance may
   * still hear joins as the others leave). */
  function lastAssignment(process: ServiceProcess): number[] {
    const lines = process.logs();
    const stop = lines.findIndex((l) => l.msg.startsWith('stopping:'));
    const joins = (stop === -1 ? lines : lines.slice(0, stop)).filter(isJoin);
    return joins.at(-1)?.partitions ?? [];
  }

  it('1 instance holds every partition and counts every window exactly', async () => {
    const { latest, processes } = await run(1);
    expect(lastAssignment(processes[0]!)).toEqual([0, 1, 2, 3]);
    expectMatchesReference(latest, stream.reference);
    finals.set(1, latest);
  });

  it('2 instances split the partitions and give the same results', async () => {
    const { latest, processes } = await run(2);
    const held = processes.map(lastAssignment);
    // Both took part: the partitions were split between them, each partition held once.
    expect(held.every((h) => h.length > 0)).toBe(true);
    expect(held.flat().sort()).toEqual([0, 1, 2, 3]);
    expectMatchesReference(latest, stream.reference);
    expect(latest).toEqual(finals.get(1));
    finals.set(2, latest);
  });

  it('3 instances, the merging one killed mid-run, give the same results', async () => {
    let killed: ServiceProcess | undefined;
    const { latest, processes } = await run(3, async (running) => {
      // Every instance in the group and counting, then kill the one that merges (it counts too):
      // both its partitions and the merge must move to the survivors.
      await Promise.all(running.map((p) => p.waitForLog(holdsPartitions)));
      const merging = await Promise.race(
        running.map((p) => p.waitForLog((l) => l.msg.startsWith('merging: reading')).then(() => p)),
      );
      await new Promise((resolve) => setTimeout(resolve, 500 + random.next() * 1500));
      killed = merging;
      merging.kill('SIGKILL');
    });
    expect(killed).toBeDefined();
    expect((await killed!.exited).signal).toBe('SIGKILL');
    const survivors = processes.filter((p) => p !== killed);
    // The survivors took over every partition and the merge.
    expect(survivors.flatMap(lastAssignment).sort()).toEqual([0, 1, 2, 3]);
    expect(survivors.some((p) => p.logs().some((l) => l.msg.startsWith('merging: reading')))).toBe(true);
    expectMatchesReference(latest, stream.reference);
    // Byte for byte the same records as one instance's (revisions included), when that test ran.
    if (finals.has(1)) expect(latest).toEqual(finals.get(1));
  });
});
