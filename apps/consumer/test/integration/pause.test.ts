import { uniqueName } from '@uniqstream/kafka-local';
import { testRandom } from '@uniqstream/reference';
import { afterAll, describe, expect, it } from 'vitest';
import {
  holdsPartitions,
  serviceArgs,
  ServiceProcess,
  stopAllCleanly,
  testKafka,
  topicsOf,
  waitUntilDone,
  type RunTopics,
} from './service-process.js';
import { expectMatchesReference, latestByKey, testStream } from './stream.js';

const PARTITIONS = 4;
const FRAMES = 16_000;
const MINUTE = 60;
/** Longer than the tests' --idle-timeout (2 s) and a few checkpoint intervals: every partition is idle, and says so. */
const PAUSE_MS = 6_000;

/** What happens while the input is paused. */
type During = (running: ServiceProcess[], spawn: () => ServiceProcess) => Promise<void>;

/**
 * The input pauses for longer than the idle timeout, then the rest of it
 * arrives at once: each partition's first fetch after the pause reaches
 * minutes past the others' event time. Every window must still end final
 * with exactly the reference counts: an idle partition that comes back is
 * not a replay, and a window is final only when every partition is past it.
 */
describe('the input pauses longer than the idle timeout', () => {
  const kafka = testKafka();
  const stream = testStream({ seed: 31, frames: FRAMES, partitions: PARTITIONS });
  const random = testRandom('pause moments');
  /** Each frame's ts, NaN where the frame is malformed on purpose. */
  const timed = stream.frames.map((frame) => {
    try {
      return Number((JSON.parse(String(frame.value)) as { ts?: unknown }).ts);
    } catch {
      return Number.NaN;
    }
  });

  afterAll(async () => {
    await kafka.close();
  });

  /** An index in the middle half of the stream where the frame's ts is `where` in its minute. */
  function cutAt(where: 'within' | 'boundary'): number {
    const from = Math.floor(FRAMES * (0.25 + random.next() * 0.5));
    for (let i = from; i < FRAMES; i++) {
      const ts = timed[i]!;
      if (!Number.isFinite(ts)) continue;
      const second = ts % MINUTE;
      if (where === 'boundary' ? second === 0 : second >= 20 && second < 40) return i;
    }
    throw new Error(`no ${where} cut after ${from}`);
  }

  async function run(name: string, instances: number, cut: number, during: During): Promise<ServiceProcess[]> {
    const input = uniqueName(`consumer-pause-${name}`);
    const group = uniqueName(`pause-${name}`);
    const topics: RunTopics = { input, results: `${group}.results`, group };
    const { partials, checkpoints } = topicsOf(group);
    kafka.track({ groups: [group, `${group}.merge`], topics: [topics.results, partials, checkpoints] });
    await kafka.createTopic(input, PARTITIONS);
    console.log(`${name}: pause after frame ${cut} of ${FRAMES} (ts ${timed[cut]}), ${instances} instance(s)`);
    const processes: ServiceProcess[] = [];
    const spawn = (): ServiceProcess => {
      const p = new ServiceProcess(serviceArgs(topics), group);
      processes.push(p);
      return p;
    };
    try {
      for (let i = 0; i < instances; i++) spawn();
      await Promise.all(processes.map((p) => p.waitForLog(holdsPartitions)));
      await kafka.produce(input, stream.frames.slice(0, cut));
      // Everything before the pause counted and checkpointed before the pause starts.
      await waitUntilDone(kafka, topics);
      const paused = performance.now();
      await during(processes, spawn);
      const left = PAUSE_MS - (performance.now() - paused);
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
      await kafka.produce(input, [...stream.frames.slice(cut), ...stream.closing]);
      await waitUntilDone(kafka, topics);
      await stopAllCleanly(processes);
    } finally {
      for (const p of processes) p.kill('SIGKILL');
    }
    expectMatchesReference(latestByKey(await kafka.read(topics.results)), stream.reference);
    return processes;
  }

  const nothing: During = async () => undefined;

  it('within a window, 1 instance', async () => {
    await run('within', 1, cutAt('within'), nothing);
  });

  it('at a window boundary, 1 instance', async () => {
    await run('boundary', 1, cutAt('boundary'), nothing);
  });

  it('with a restart during the pause, 1 instance', async () => {
    await run('restart', 1, cutAt('within'), async (running, spawn) => {
      expect(await running[0]!.stop()).toEqual({ code: 0, signal: null });
      await spawn().waitForLog(holdsPartitions);
    });
  });

  it('with a rebalance during the pause: a second instance joins', async () => {
    const processes = await run('rebalance', 1, cutAt('within'), async (_, spawn) => {
      await spawn().waitForLog(holdsPartitions);
    });
    // Both held partitions when the rest arrived.
    expect(processes.every((p) => p.logs().some(holdsPartitions))).toBe(true);
  });

  it('with 3 instances, one of them killed during the pause', async () => {
    await run('three', 3, cutAt('boundary'), async (running) => {
      const victim = running[Math.floor(random.next() * running.length)]!;
      victim.kill('SIGKILL');
      await victim.exited;
    });
  });
});
