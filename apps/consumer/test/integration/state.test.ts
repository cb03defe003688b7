import { randomBytes } from 'node:crypto';
import { encodeSnapshot } from '@uniqstream/core';
import { uniqueName, type TestRecord } from '@uniqstream/kafka-local';
import { referenceCounts } from '@uniqstream/reference';
import { afterAll, describe, expect, it } from 'vitest';
import {
  serviceArgs,
  ServiceProcess,
  stopAllCleanly,
  testKafka,
  topicsOf,
  waitUntilDone,
  type LogLine,
  type RunTopics,
} from './service-process.js';
import { expectMatchesReference, latestByKey, testStream } from './stream.js';

const PARTITIONS = 4;
const FRAMES = 12_000;
const MINUTE = 60;

/**
 * State that is damaged, missing, or being made: a checkpoint record the
 * service cannot read, checkpoints deleted while offsets stay committed,
 * instances racing to create the state topics, and frames counted while
 * the input is idle. Each ends with exactly the reference counts, or says
 * plainly why it cannot.
 */
describe('damaged or missing state', () => {
  const kafka = testKafka();
  const stream = testStream({ seed: 41, frames: FRAMES, partitions: PARTITIONS });
  const half = Math.round(FRAMES / 2);

  afterAll(async () => {
    await kafka.close();
  });

  async function fresh(name: string, partitions = PARTITIONS): Promise<RunTopics> {
    const input = uniqueName(`consumer-state-${name}`);
    const group = uniqueName(`state-${name}`);
    const run = { input, results: `${group}.results`, group };
    const { partials, checkpoints } = topicsOf(group);
    kafka.track({ groups: [group, `${group}.merge`], topics: [run.results, partials, checkpoints] });
    await kafka.createTopic(input, partitions);
    return run;
  }

  /** Instances until the input so far is counted, merged and checkpointed, then stopped: every one must exit 0. */
  async function counted(run: RunTopics, instances = 1, extra: readonly string[] = []): Promise<ServiceProcess[]> {
    const processes = Array.from({ length: instances }, () => new ServiceProcess(serviceArgs(run, extra), run.group));
    try {
      await waitUntilDone(kafka, run);
      await stopAllCleanly(processes);
    } finally {
      for (const p of processes) p.kill('SIGKILL');
    }
    return processes;
  }

  const lines = (processes: readonly ServiceProcess[], level: number, match: RegExp): LogLine[] =>
    processes.flatMap((p) => p.logs()).filter((l) => l.level === level && match.test(l.msg));
  const ERROR = 50;
  const WARN = 40;

  it('skips checkpoint records it cannot read, naming partition, key and offset, and ends exact', async () => {
    const run = await fresh('damaged');
    await kafka.produce(run.input, stream.frames.slice(0, half));
    await counted(run);
    const { checkpoints } = topicsOf(run.group);
    const checkpointPartitions = await kafka.partitions(checkpoints);
    const garbage: TestRecord[] = [
      // Random bytes.
      { partition: 1 % checkpointPartitions, key: '1', value: randomBytes(300) },
      // A container of the right type whose engine state is random bytes.
      {
        partition: 2 % checkpointPartitions,
        key: '2',
        value: Buffer.from(
          encodeSnapshot({
            type: 'checkpoint',
            version: 1,
            topic: run.input,
            partition: 2,
            offset: 5,
            engine: new Uint8Array(randomBytes(64)),
          }),
        ),
      },
      // JSON with the wrong fields.
      {
        partition: 3 % checkpointPartitions,
        key: '3',
        value: Buffer.from(encodeSnapshot({ type: 'checkpoint', version: 1, topic: 42, when: 'now' })),
      },
    ];
    await kafka.produce(checkpoints, garbage);
    await kafka.produce(run.input, [...stream.frames.slice(half), ...stream.closing]);
    const second = await counted(run);
    const skipped = lines(second, ERROR, /^partition [123]: (skipping the record|cannot adopt the checkpoint)/);
    expect(new Set(skipped.map((l) => l.partition))).toEqual(new Set([1, 2, 3]));
    for (const line of skipped) expect(line).toMatchObject({ topic: checkpoints, offset: expect.any(Number) });
    expectMatchesReference(latestByKey(await kafka.read(run.results)), stream.reference);
  });

  /** Half the input counted, every partition's checkpoints deleted (offsets stay committed), the rest counted with
   * `extra` flags. */
  async function checkpointsLost(
    name: string,
    extra: readonly string[],
  ): Promise<{ run: RunTopics; second: ServiceProcess[] }> {
    const run = await fresh(name);
    await kafka.produce(run.input, stream.frames.slice(0, half));
    await counted(run);
    const { checkpoints } = topicsOf(run.group);
    const checkpointPartitions = await kafka.partitions(checkpoints);
    await kafka.produce(
      checkpoints,
      Array.from({ length: PARTITIONS }, (_, p) => ({
        partition: p % checkpointPartitions,
        key: String(p),
        value: null,
      })),
    );
    await kafka.produce(run.input, [...stream.frames.slice(half), ...stream.closing]);
    return { run, second: await counted(run, 1, extra) };
  }

  it('reads a partition again to rebuild the state of checkpoints that are gone, and ends exact', async () => {
    const { run, second } = await checkpointsLost('rebuild', []);
    const rebuilt = lines(second, WARN, /no usable checkpoint .* reading it again from offset 0/);
    expect(rebuilt.map((l) => l.partition).sort()).toEqual([0, 1, 2, 3]);
    expectMatchesReference(latestByKey(await kafka.read(run.results)), stream.reference);
  });

  it('with --missing-checkpoint continue, says which windows come out short', async () => {
    const { run, second } = await checkpointsLost('continue', ['--missing-checkpoint', 'continue']);
    const comeOutShort =
      /no usable checkpoint .* continuing at \d+ with empty state, so the windows open there miss the frames before it/;
    expect(lines(second, WARN, comeOutShort)).toHaveLength(PARTITIONS);
    // As the warning says: the window open at the cut lost its first frames.
    const latest = latestByKey(await kafka.read(run.results));
    const short = [...stream.reference].filter(
      ([start, counts]) =>
        (JSON.parse(latest.get(`minute:${start}`) ?? '{"frames":0}') as { frames: number }).frames < counts.frames,
    );
    expect(short.length).toBeGreaterThan(0);
  });

  it('two instances started at once on a new group and a 32-partition input both work, and end exact', async () => {
    const wide = testStream({ seed: 43, frames: 6_400, partitions: 32 });
    const run = await fresh('race', 32);
    await kafka.produce(run.input, [...wide.frames, ...wide.closing]);
    await counted(run, 2);
    expectMatchesReference(latestByKey(await kafka.read(run.results)), wide.reference);
  });

  it('publishes what late frames changed while the input is idle, without waiting for new frames', async () => {
    const run = await fresh('idle-revision', 1);
    const t0 = 1_468_244_340;
    const frame = (uid: string, ts: number): TestRecord => ({
      partition: 0,
      value: Buffer.from(`{"uid":"${uid}","ts":${ts}}`),
    });
    // 100 s of frames: the first minute comes out (revision 0), and is not final before end + 60 s.
    const onTime = Array.from({ length: 100 }, (_, s) => frame(`u${s % 40}`, t0 + s));
    // Then late frames of the first minute from new users, behind the watermark and within the lateness, and
    // nothing after them.
    const late = Array.from({ length: 7 }, (_, i) => frame(`late${i}`, t0 + 10 + i));
    await kafka.produce(run.input, onTime);
    const instance = new ServiceProcess(serviceArgs(run), run.group);
    try {
      const first = await resultOf(run, t0, () => true);
      expect(first).toMatchObject({ revision: 0, final: false });
      await kafka.produce(run.input, late);
      const truth = referenceCounts([...onTime, ...late].map((r) => r.value as Buffer)).get(t0)!;
      // Idle after --idle-timeout (2 s); the revision goes out at the next checkpoint.
      const revised = await resultOf(run, t0, (r) => r.users === truth.users);
      expect(revised).toMatchObject({ ...truth, final: false });
      expect(await instance.stop()).toEqual({ code: 0, signal: null });
    } finally {
      instance.kill('SIGKILL');
    }
  });

  it('with --wall-clock-after, the last window comes out final after the input stops', async () => {
    const run = await fresh('wall-clock', 1);
    const t0 = 1_468_244_340;
    // Up to 2 s before the minute's end: only time moving on can close it.
    const frames = Array.from({ length: 59 }, (_, s) => ({
      partition: 0,
      value: Buffer.from(`{"uid":"u${s % 23}","ts":${t0 + s}}`),
    }));
    await kafka.produce(run.input, frames);
    const instance = new ServiceProcess(
      serviceArgs(run, ['--wall-clock-after', '1', '--allowed-lateness', '0']),
      run.group,
    );
    try {
      const truth = referenceCounts(frames.map((r) => r.value)).get(t0)!;
      expect(await resultOf(run, t0, (r) => r.final === true)).toMatchObject({ ...truth, final: true });
      expect(await instance.stop()).toEqual({ code: 0, signal: null });
    } finally {
      instance.kill('SIGKILL');
    }
  });

  /** Polls the results topic until the window starting at `start` has a latest result that `ok` accepts. */
  async function resultOf(
    run: RunTopics,
    start: number,
    ok: (result: Record<string, unknown>) => boolean,
    timeoutMs = 30_000,
  ): Promise<Record<string, unknown>> {
    const deadline = performance.now() + timeoutMs;
    let last: Record<string, unknown> | undefined;
    while (performance.now() < deadline) {
      if ((await kafka.listTopics()).includes(run.results)) {
        const text = latestByKey(await kafka.read(run.results)).get(`minute:${start}`);
        last = text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
        if (last !== undefined && ok(last)) return last;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(
      `minute:${start} did not come out as expected within ${timeoutMs} ms; last: ${JSON.stringify(last)} ` +
        `(${MINUTE} s windows)`,
    );
  }
});
