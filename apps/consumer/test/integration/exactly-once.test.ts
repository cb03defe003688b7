import { uniqueName } from '@uniqstream/kafka-local';
import { testRandom } from '@uniqstream/reference';
import { afterAll, describe, expect, it } from 'vitest';
import { produceOver } from './produce.js';
import {
  holdsPartitions,
  serviceArgs,
  ServiceProcess,
  stopAllCleanly,
  testKafka,
  topicsOf,
  waitUntilDone,
  type LogLine,
  type RunTopics,
} from './service-process.js';
import { expectEachOnce, expectMatchesReference, testStream } from './stream.js';

const PARTITIONS = 6;
const FRAMES = 30_000;
/** Input arrives over this long, so that the kills and the freeze land while it flows. */
const PRODUCE_SECONDS = 30;
/** Longer than the tests' --session-timeout (6 s): the group gives the frozen instance's partitions away. */
const FROZEN_MS = 10_000;
const INSTANCES = 3;

const merging = (line: LogLine): boolean => line.msg.startsWith('merging: reading');

/**
 * --guarantee exactly-once on the real broker: three instances in one group
 * on a 6-partition input, while the input flows (moments from a printed
 * seed): the merging instance killed with SIGKILL; another one frozen
 * (SIGSTOP) past the session timeout, so that its partitions move, and
 * thawed (a zombie that has not noticed: its next transactions must be
 * fenced); then the third killed with SIGKILL. A read_committed reader of
 * the results topic must see every window's final result exactly once,
 * equal to the reference counts and to an uninterrupted run's, and no
 * window's revision twice: what the killed and the frozen instances wrote
 * since their last transaction is never visible.
 */
describe('exactly-once results across kills', () => {
  const kafka = testKafka();
  const stream = testStream({ seed: 53, frames: FRAMES, partitions: PARTITIONS });
  const random = testRandom('exactly-once kill moments');
  // No idleness: a revision emitted on going idle depends on the wall clock, and the two runs are compared record
  // for record.
  const args = (run: RunTopics): string[] => serviceArgs(run, ['--guarantee', 'exactly-once', '--idle-timeout', '0']);

  afterAll(async () => {
    await kafka.close();
  });

  const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  function runTopics(input: string, prefix: string): RunTopics {
    const group = uniqueName(prefix);
    const run = { input, results: `${group}.results`, group };
    const { partials, checkpoints } = topicsOf(group);
    kafka.track({ groups: [group, `${group}.merge`], topics: [run.results, partials, checkpoints] });
    return run;
  }

  it(
    'a read_committed reader sees each final result once, equal to an uninterrupted run, after the ' +
      'merging and a counting instance are killed',
    async () => {
      const input = uniqueName('consumer-eos-in');
      await kafka.createTopic(input, PARTITIONS);
      const head = Math.round(FRAMES * 0.1);
      await kafka.produce(input, stream.frames.slice(0, head));

      const crashed = runTopics(input, 'eos');
      const processes = Array.from({ length: INSTANCES }, () => new ServiceProcess(args(crashed), crashed.group));
      const killed: ServiceProcess[] = [];
      try {
        await Promise.all([
          (async () => {
            await produceOver(kafka, input, stream.frames.slice(head), PRODUCE_SECONDS);
            await kafka.produce(input, stream.closing);
          })(),
          (async () => {
            await Promise.all(processes.map((p) => p.waitForLog(holdsPartitions)));
            const merger = await Promise.race(processes.map((p) => p.waitForLog(merging).then(() => p)));
            await pause(1_000 + random.next() * 2_000);
            merger.kill('SIGKILL');
            killed.push(merger);
            const [zombie, last] = processes.filter((p) => p !== merger) as [ServiceProcess, ServiceProcess];
            await pause(random.next() * 2_000);
            const joinsBefore = zombie.logs().filter(holdsPartitions).length;
            zombie.kill('SIGSTOP');
            await pause(FROZEN_MS);
            zombie.kill('SIGCONT');
            // Back in the group, then the other one goes: the zombie, fenced meanwhile, ends up doing everything.
            await zombie.waitForLog(() => zombie.logs().filter(holdsPartitions).length > joinsBefore);
            await pause(random.next() * 2_000);
            last.kill('SIGKILL');
            killed.push(last);
          })(),
        ]);
        expect(killed).toHaveLength(2);
        await waitUntilDone(kafka, crashed, { transactional: true });
        await stopAllCleanly(processes);
      } finally {
        for (const p of processes) p.kill('SIGKILL');
      }
      // The thawed zombie's writes were refused, and it took the work of both others over.
      const survivor = processes.find((p) => !killed.includes(p))!;
      expect(
        survivor
          .logs()
          .some(
            (l) =>
              l.msg.includes('another instance has taken it over') || l.msg.includes('another instance merges now'),
          ),
      ).toBe(true);
      expect(survivor.logs().some(merging)).toBe(true);

      const clean = runTopics(input, 'eos-clean');
      const uninterrupted = new ServiceProcess(args(clean), clean.group);
      try {
        await waitUntilDone(kafka, clean, { transactional: true });
        await stopAllCleanly([uninterrupted]);
      } finally {
        uninterrupted.kill('SIGKILL');
      }

      const afterKills = expectEachOnce(await kafka.read(crashed.results));
      const withoutKills = expectEachOnce(await kafka.read(clean.results));
      expectMatchesReference(withoutKills, stream.reference);
      expect(afterKills).toEqual(withoutKills);
    },
  );
});
