import { uniqueName } from '@uniqstream/kafka-local';
import { testRandom } from '@uniqstream/reference';
import { afterAll, describe, expect, it } from 'vitest';
import { produceOver } from './produce.js';
import {
  holdsPartitions,
  serviceArgs,
  ServiceProcess,
  testKafka,
  topicsOf,
  waitUntilDone,
  type LogLine,
  type RunTopics,
} from './service-process.js';
import { expectMatchesReference, latestByKey, testStream } from './stream.js';

const PARTITIONS = 4;
const FRAMES = 30_000;
/** Input arrives over this long, so that most kills land while frames flow. */
const PRODUCE_SECONDS = 30;
const KILLS = 6;
/** Kills guaranteed to land before the input is complete. */
const MID_STREAM_KILLS = 3;
/** After joining with partitions, an instance lives this long (uniformly at random) before its SIGKILL. */
const MIN_LIFE_MS = 300;
const MAX_EXTRA_LIFE_MS = 2_500;

const mergeRebuilt = (line: LogLine): boolean => line.msg.startsWith('merge rebuilt');
const checkpointed = (line: LogLine): boolean => line.msg.startsWith('checkpoint of partition');

/**
 * Crash safety of the real binary against the real broker: one instance
 * (counting and merging) killed with SIGKILL at random moments while its
 * input arrives, restarted each time, must end with the same results topic
 * (the latest record of every key, as compaction keeps it) as an
 * uninterrupted run over the same input, and both equal to the exact
 * counts: nothing lost, nothing counted twice.
 */
describe('kill -9 at random moments', () => {
  const kafka = testKafka();
  const stream = testStream({ seed: 23, frames: FRAMES, partitions: PARTITIONS });
  const random = testRandom('kill -9 moments');
  // No idleness: a revision emitted on going idle depends on the wall clock, and this test
  // holds a crashed run to the uninterrupted one record for record, revisions included.
  const args = (run: RunTopics): string[] => serviceArgs(run, ['--idle-timeout', '0']);

  afterAll(async () => {
    await kafka.close();
  });

  function runTopics(input: string, prefix: string): RunTopics {
    const group = uniqueName(prefix);
    const run = { input, results: `${group}.results`, group };
    const { partials, checkpoints } = topicsOf(group);
    kafka.track({ groups: [group, `${group}.merge`], topics: [run.results, partials, checkpoints] });
    return run;
  }

  it('restarted after every kill, ends exactly like an uninterrupted run', async () => {
    const input = uniqueName('consumer-kill-in');
    await kafka.createTopic(input, PARTITIONS);
    const head = Math.round(FRAMES * 0.1);
    await kafka.produce(input, stream.frames.slice(0, head));

    const crashed = runTopics(input, 'kill9');
    // The last frames and the closing ones wait for the MID_STREAM_KILLS-th kill: that many
    // kills land while the input is incomplete, however slow the machine is.
    const tail = stream.frames.length - Math.round(FRAMES * 0.1);
    let midStreamKillsDone: () => void = () => undefined;
    const midStreamKills = new Promise<void>((resolve) => (midStreamKillsDone = resolve));
    const produced = (async () => {
      await produceOver(kafka, input, stream.frames.slice(head, tail), PRODUCE_SECONDS);
      await midStreamKills;
      await kafka.produce(input, stream.frames.slice(tail));
      await kafka.produce(input, stream.closing);
    })();
    const instances: ServiceProcess[] = [];
    try {
      for (let kill = 0; kill < KILLS; kill++) {
        const instance = new ServiceProcess(args(crashed), crashed.group);
        instances.push(instance);
        // In the group with partitions (after the killed one's session expired) and its merge
        // rebuilt from the partials topic, then a random moment of work.
        await instance.waitForLog(holdsPartitions);
        await instance.waitForLog(mergeRebuilt);
        await new Promise((resolve) => setTimeout(resolve, MIN_LIFE_MS + random.next() * MAX_EXTRA_LIFE_MS));
        instance.kill('SIGKILL');
        expect((await instance.exited).signal).toBe('SIGKILL');
        if (kill + 1 === MID_STREAM_KILLS) midStreamKillsDone();
      }
      await produced;
      const last = new ServiceProcess(args(crashed), crashed.group);
      instances.push(last);
      await waitUntilDone(kafka, crashed);
      expect(await last.stop(), last.stderr().slice(-2000)).toEqual({ code: 0, signal: null });
    } finally {
      midStreamKillsDone();
      for (const instance of instances) instance.kill('SIGKILL');
    }

    // Restarts resumed from checkpoints.
    const adoptions = instances
      .slice(1)
      .flatMap((p) => p.logs().filter((l) => l.msg.includes('adopted its checkpoint')));
    expect(adoptions.length).toBeGreaterThanOrEqual(KILLS);
    // The merge was killed too, and every restart rebuilt its state from the partials topic:
    // once any earlier instance had checkpointed (which flushes partials first), the topic
    // cannot be empty. A kill before the first checkpoint legitimately leaves it empty.
    const checkpointedBefore = (i: number): boolean => instances.slice(0, i).some((p) => p.logs().some(checkpointed));
    // (The last instance may find nothing left to merge and stop before the killed one's
    // merge membership expires; the killed ones each rebuilt before their kill.)
    const rebuiltFrom = instances.map((p) => p.logs().find(mergeRebuilt)?.records as number | undefined);
    for (let i = 1; i < KILLS; i++) {
      if (checkpointedBefore(i))
        expect(rebuiltFrom[i], `instance ${i} rebuilt from the partials of earlier ones`).toBeGreaterThan(0);
    }
    expect(checkpointedBefore(KILLS - 1)).toBe(true);

    const clean = runTopics(input, 'clean');
    const uninterrupted = new ServiceProcess(args(clean), clean.group);
    try {
      await waitUntilDone(kafka, clean);
      expect(await uninterrupted.stop(), uninterrupted.stderr().slice(-2000)).toEqual({ code: 0, signal: null });
    } finally {
      uninterrupted.kill('SIGKILL');
    }

    const afterCrashes = latestByKey(await kafka.read(crashed.results));
    const withoutCrashes = latestByKey(await kafka.read(clean.results));
    expectMatchesReference(withoutCrashes, stream.reference);
    // Record for record, revisions included.
    expect(afterCrashes).toEqual(withoutCrashes);
  });
});
