/**
 * The consumer service's throughput and its scale-out, beside
 * `uniqstream count`, on the kafka suite's topics (`uniqstream-bench-<p>p-
 * <frames>`: 1M frames of ~2 KB, quick 100k; 1 and 4 partitions; produced
 * here when missing). Side by side, round-robin, on each topic:
 *   (a) `uniqstream count --from kafka://... --to kafka://...`, the real
 *       command (apps/cli/bin/uniqstream) as a user runs it;
 *   (b) `uniqstream-consumer` (apps/consumer, the real binary), 1 instance,
 *       role all, at-least-once with its default checkpoint interval;
 *   (c) the same with `--guarantee exactly-once`;
 *   (d) 2 instances in one group, at-least-once (4 partitions only: a
 *       second instance needs partitions of its own).
 *
 * Every case is timed from outside its processes, the same way for the CLI
 * and the service: from the first input bytes read (/proc/<pid>/io) to
 * every frame counted and its results acknowledged. The CLI ends with
 * --until-idle, whose wait is not timed (its last results are written when
 * it ends, so their append time less the idle wait is when it had counted
 * the last batch); the service is watched through /metrics and the group
 * offsets near the end (the merge's offset is committed after the results
 * it made were acknowledged). See scale-out-report.ts for the figures.
 *
 * One suite for the four cases, rather than one beside the scale-out
 * suite: (b) and (d) were its cases, and (a) and (c) are what (b) is held
 * against; keeping its id lets this report stand in for the scale-out
 * figures of earlier reports in the READMEs.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import { connectBenchKafka } from '../broker.js';
import { buildCommand } from '../build.js';
import { runCli, type CliOptions, type CliSummary } from '../cli-run.js';
import { BenchError } from '../errors.js';
import { si } from '../format.js';
import { compare, type BenchCase, type Suite, type SuiteContext, type SuiteReport } from '../harness.js';
import { ensureKafkaInput, topicEnds } from '../kafka-input.js';
import { ProcessSampler, type ProcessSample } from '../process-stats.js';
import {
  buildConsumer,
  CONSUMER_PACKAGE,
  consumerBuilt,
  createStateTopics,
  freePort,
  scrapeMetrics,
  startService,
  stateTopics,
  stopProcess,
  type ServiceInstance,
} from '../service-run.js';
import { readTopic } from '../timed-records.js';
import {
  AT_LEAST_ONCE,
  caseName,
  EXACTLY_ONCE,
  scaleOutReport,
  type CaseResult,
  type CaseRun,
  type CaseSpec,
} from './scale-out-report.js';

const ID = 'scale-out';
const TITLE = 'Kafka service: uniqstream count vs uniqstream-consumer, 1 and 2 instances';
const FULL_FRAMES = 1_000_000;
const QUICK_FRAMES = 100_000;
const PARTITION_COUNTS = [1, 4] as const;

export const CASES: readonly CaseSpec[] = [
  { letter: 'a', kind: 'cli', instances: 1, guarantee: AT_LEAST_ONCE, args: [], what: 'uniqstream count' },
  {
    letter: 'b',
    kind: 'service',
    instances: 1,
    guarantee: AT_LEAST_ONCE,
    args: [],
    what: 'uniqstream-consumer, 1 instance, at-least-once',
  },
  {
    letter: 'c',
    kind: 'service',
    instances: 1,
    guarantee: EXACTLY_ONCE,
    args: ['--guarantee', EXACTLY_ONCE],
    what: 'uniqstream-consumer, 1 instance, exactly-once',
  },
  {
    letter: 'd',
    kind: 'service',
    instances: 2,
    guarantee: AT_LEAST_ONCE,
    args: [],
    what: 'uniqstream-consumer, 2 instances in one group, at-least-once',
  },
];

/** The cases run on a topic of `partitions` partitions: more instances than one only where each can hold two
 * partitions or more. */
export function casesFor(partitions: number): CaseSpec[] {
  return CASES.filter((c) => c.instances === 1 || partitions >= 2 * c.instances);
}

/** The CLI stops after this long without a frame; not timed. Two of the Kafka source's 500 ms idle ticks. */
const CLI_UNTIL_IDLE_SECONDS = 1;
/** The CLI's last results (written when it stops) are appended within this long of each other. */
const FLUSH_BURST_MS = 200;
/** /proc is read this often: cheap for the processes watched. */
const SAMPLE_MS = 10;
/** A sample with this many more bytes read than the one before is a fetch answer arriving; starting up reads far
 * less per sample. */
const FIRST_FETCH_BYTES = 1024 * 1024;
/** Once the service's processes have read this share of the frames' bytes, the end is near: poll it. */
const NEAR_END_SHARE = 0.9;
const WATCH_MS = 50;
/** /metrics and the group offsets, near the end. */
const POLL_MS = 25;
/** The service is done once its frames read have not moved for this long (a rebalance may make an owner read some
 * again). */
const STEADY_MS = 1000;
const RUN_TIMEOUT_MS = 15 * 60_000;
const MS_PER_SECOND = 1e3;
const LOG_APPEND_TIME = { name: 'message.timestamp.type', value: 'LogAppendTime' };
const FRAMES_IN = 'uniqstream_frames_in_total';
const PARTIALS_IN = 'uniqstream_partials_in_total';
const GROUP_DELAY_CONFIG = 'group.initial.rebalance.delay.ms';
// kafkajs is CommonJS: its enums come with the default export.
const { ConfigResourceTypes } = kafkajs;

/** Where the runs happen. */
export interface Stage {
  readonly bootstrap: string;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly frames: number;
  readonly frameBytes: number;
  /** Input topic -> partition -> end offset. */
  readonly ends: ReadonlyMap<string, ReadonlyMap<number, number>>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function uniqueName(c: CaseSpec, partitions: number): string {
  const unique = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  return `uniqstream-bench-scale-${partitions}p-${c.letter}-${unique}`;
}

/**
 * The CLI's end point from the append times of its results: its last
 * results are written when it stops, `untilIdleSeconds` after it had
 * counted the last batch with frames; results written before come earlier.
 */
export function cliEndMs(appendedMs: readonly number[], untilIdleSeconds: number): number {
  if (appendedMs.length === 0) throw new BenchError('BAD_OUTPUT', 'uniqstream count wrote no results');
  const last = Math.max(...appendedMs);
  const stopAt = Math.min(...appendedMs.filter((t) => t >= last - FLUSH_BURST_MS));
  const before = appendedMs.filter((t) => t < stopAt);
  return Math.max(
    stopAt - untilIdleSeconds * MS_PER_SECOND,
    before.length === 0 ? Number.NEGATIVE_INFINITY : Math.max(...before),
  );
}

/** What one poll of the service said. */
export interface ServicePoll {
  /** Date.now() once every answer was in. */
  readonly atMs: number;
  /** Frames read by all instances. */
  readonly framesRead: number;
  /** Frames read by each instance, in start order. */
  readonly framesPerInstance?: readonly number[];
  /** The partials topic's end offset, and the merge group's committed offset on it. */
  readonly partialsEnd: number | undefined;
  readonly mergedTo: number | undefined;
  /** The input group's offsets committed at the end of every partition (asked under exactly-once only; true
   * otherwise). */
  readonly committedAtEnd: boolean;
}

function doneAt(poll: ServicePoll, frames: number): boolean {
  return (
    poll.framesRead >= frames &&
    poll.partialsEnd !== undefined &&
    poll.partialsEnd > 0 &&
    poll.mergedTo === poll.partialsEnd &&
    poll.committedAtEnd
  );
}

/**
 * The service's end point, once the polls show it: the first poll at which
 * every frame was read (as many as in the end), the merge was at the end
 * of the partials topic, and the next poll found nothing added to it (a
 * partial in the writer's linger at the first would have been appended by
 * the second). Undefined until the frames read have stood still for
 * `steadyMs` (a rebalance may make an owner read some again) and such a
 * pair of polls is there.
 */
export function serviceEndMs(polls: readonly ServicePoll[], frames: number, steadyMs: number): number | undefined {
  const last = polls.at(-1);
  if (last === undefined || !doneAt(last, frames)) return undefined;
  const firstWithFinal = polls.find((p) => p.framesRead === last.framesRead)!;
  if (last.atMs - firstWithFinal.atMs < steadyMs) return undefined;
  for (let i = 0; i + 1 < polls.length; i++) {
    const poll = polls[i]!;
    const next = polls[i + 1]!;
    if (
      poll.framesRead === last.framesRead &&
      doneAt(poll, frames) &&
      doneAt(next, frames) &&
      next.partialsEnd === poll.partialsEnd
    )
      return poll.atMs;
  }
  return undefined;
}

function offsetOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  return n < 0 ? undefined : n;
}

async function pollService(
  stage: Stage,
  running: readonly ServiceInstance[],
  topic: string,
  group: string,
  exactlyOnce: boolean,
): Promise<ServicePoll & { partials: number }> {
  const partialsTopic = stateTopics(group).partials;
  const ends = stage.ends.get(topic)!;
  const [scrapes, partialEnds, merged, committed] = await Promise.all([
    Promise.all(running.map((instance) => scrapeMetrics(instance.httpPort))),
    stage.admin.fetchTopicOffsets(partialsTopic).catch(() => []),
    stage.admin.fetchOffsets({ groupId: `${group}.merge`, topics: [partialsTopic] }).catch(() => []),
    exactlyOnce ? stage.admin.fetchOffsets({ groupId: group, topics: [topic] }).catch(() => []) : Promise.resolve([]),
  ]);
  const at = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, offsetOf(p.offset)]));
  return {
    atMs: Date.now(),
    framesRead: scrapes.reduce((sum, m) => sum + (m.get(FRAMES_IN) ?? 0), 0),
    framesPerInstance: scrapes.map((m) => m.get(FRAMES_IN) ?? 0),
    partials: scrapes.reduce((sum, m) => sum + (m.get(PARTIALS_IN) ?? 0), 0),
    partialsEnd: offsetOf(partialEnds.find((e) => e.partition === 0)?.high),
    mergedTo: offsetOf(merged[0]?.partitions.find((p) => p.partition === 0)?.offset),
    committedAtEnd: !exactlyOnce || [...ends].every(([partition, end]) => at.get(partition) === end),
  };
}

/**
 * The span's figures from the sampler: CPU between the start and the end,
 * before the start, and over the second half of the input (from the sample
 * in which the processes had read half the frames' bytes), where the JIT
 * and WebAssembly tiers have warmed up.
 */
function spanOf(
  sampler: ProcessSampler,
  start: ProcessSample,
  endMs: number,
  frameBytes: number,
): Pick<CaseRun, 'seconds' | 'cpuSeconds' | 'startupCpuSeconds' | 'secondHalfCpuSeconds'> {
  const end = sampler.at(endMs) ?? start;
  const half = sampler.samples.find((s) => s.bytesRead - start.bytesRead >= frameBytes / 2 && s.atMs <= endMs) ?? end;
  return {
    seconds: (endMs - start.atMs) / MS_PER_SECOND,
    cpuSeconds: end.cpuSeconds - start.cpuSeconds,
    startupCpuSeconds: start.cpuSeconds,
    secondHalfCpuSeconds: end.cpuSeconds - half.cpuSeconds,
  };
}

async function serviceRun(stage: Stage, spec: CaseSpec, topic: string, partitions: number): Promise<CaseRun> {
  const group = uniqueName(spec, partitions);
  const exactlyOnce = spec.guarantee === EXACTLY_ONCE;
  const sampler = new ProcessSampler(SAMPLE_MS);
  const running: ServiceInstance[] = [];
  try {
    await createStateTopics(stage.admin, group, partitions);
    for (let i = 0; i < spec.instances; i++) {
      const instance = startService({
        bootstrap: stage.bootstrap,
        topic,
        results: `${group}.results`,
        group,
        httpPort: await freePort(),
        args: spec.args,
        label: `instance ${i + 1}`,
      });
      running.push(instance);
      if (instance.child.pid !== undefined) sampler.add(instance.child.pid);
    }
    const deadline = performance.now() + RUN_TIMEOUT_MS;
    const check = (): void => {
      const failure = running.map((instance) => instance.failure()).find((f) => f !== undefined);
      if (failure !== undefined) throw new BenchError('PROCESS_FAILED', failure);
      if (performance.now() > deadline)
        throw new BenchError('TIMEOUT', `${caseName(spec, partitions)} not done after ${RUN_TIMEOUT_MS / 60_000} min`);
    };
    let start: ProcessSample | undefined;
    for (;;) {
      check();
      start ??= sampler.firstBurst(FIRST_FETCH_BYTES);
      const last = sampler.samples.at(-1);
      if (
        start !== undefined &&
        last !== undefined &&
        last.bytesRead - start.bytesRead >= NEAR_END_SHARE * stage.frameBytes
      )
        break;
      await sleep(WATCH_MS);
    }
    const polls: (ServicePoll & { partials: number })[] = [];
    let endMs: number | undefined;
    while (endMs === undefined) {
      check();
      polls.push(await pollService(stage, running, topic, group, exactlyOnce));
      endMs = serviceEndMs(polls, stage.frames, STEADY_MS);
      if (endMs === undefined) await sleep(POLL_MS);
    }
    const last = polls.at(-1)!;
    // Read before they stop: /proc forgets a process once it is reaped.
    sampler.stop();
    const peakRssBytes = running.map((instance) =>
      instance.child.pid === undefined ? 0 : sampler.peakRss(instance.child.pid),
    );
    return {
      ...spanOf(sampler, start, endMs, stage.frameBytes),
      peakRssBytes,
      framesRead: last.framesRead,
      ...(running.length > 1 && last.framesPerInstance !== undefined
        ? { framesPerInstance: last.framesPerInstance }
        : {}),
      partials: last.partials,
    };
  } finally {
    sampler.stop();
    await Promise.all(running.map((instance) => stopProcess(instance.child)));
    await removeTopics(stage.admin, [stateTopics(group).partials, stateTopics(group).checkpoints, `${group}.results`]);
    await stage.admin.deleteGroups([group, `${group}.merge`]).catch(() => undefined);
  }
}

/** A run of `uniqstream count`, with what it said it counted (for a suite that holds two runs against each other). */
export interface CliCaseRun extends CaseRun {
  readonly summary: CliSummary;
}

/** Case (a) once: the CLI Kafka -> Kafka, run by `cli.node` when given (the node-versions suite). */
export async function cliRun(
  stage: Stage,
  spec: CaseSpec,
  topic: string,
  partitions: number,
  cli: Pick<CliOptions, 'node'> = {},
): Promise<CliCaseRun> {
  const group = uniqueName(spec, partitions);
  const results = `${group}.results`;
  // As the CLI creates it (compacted, 1 partition), with the broker's append time in each record.
  await stage.admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic: results,
        numPartitions: 1,
        configEntries: [LOG_APPEND_TIME, { name: 'cleanup.policy', value: 'compact' }],
      },
    ],
  });
  const sampler = new ProcessSampler(SAMPLE_MS);
  let pid: number | undefined;
  try {
    const args = [
      '--from',
      `kafka://${stage.bootstrap}/${topic}`,
      '--to',
      `kafka://${stage.bootstrap}/${results}`,
      '--group',
      group,
      '--from-beginning',
      '--until-idle',
      String(CLI_UNTIL_IDLE_SECONDS),
      ...spec.args,
    ];
    const run = await runCli(args, {
      ...cli,
      onStart: (started) => {
        pid = started;
        sampler.add(started);
      },
    });
    sampler.stop();
    if (run.frames !== stage.frames)
      throw new BenchError(
        'BAD_OUTPUT',
        `uniqstream count read ${run.frames} frames of ${topic}, which holds ${stage.frames}`,
      );
    const start = sampler.firstBurst(FIRST_FETCH_BYTES);
    if (start === undefined || pid === undefined)
      throw new BenchError('BAD_OUTPUT', `uniqstream count was not seen reading ${topic} (/proc)`);
    const appended: number[] = [];
    await readTopic(stage.kafka, stage.admin, results, (record) => appended.push(record.timestampMs));
    const endMs = cliEndMs(appended, CLI_UNTIL_IDLE_SECONDS);
    const lastFetch = sampler.lastBurst(FIRST_FETCH_BYTES);
    return {
      ...spanOf(sampler, start, endMs, stage.frameBytes),
      peakRssBytes: [sampler.peakRss(pid)],
      framesRead: run.frames,
      ownRate: run.framesPerSecond,
      ...(lastFetch === undefined ? {} : { lastFetchBeforeEndMs: endMs - lastFetch.atMs }),
      summary: run,
    };
  } finally {
    sampler.stop();
    await removeTopics(stage.admin, [results]);
    await stage.admin.deleteGroups([group]).catch(() => undefined);
  }
}

async function removeTopics(admin: Admin, topics: readonly string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  if (present.length > 0) await admin.deleteTopics({ topics: present }).catch(() => undefined);
}

/**
 * The broker's group.initial.rebalance.delay.ms: whether (d)'s instances,
 * started together, join the group's first generation together (Kafka's
 * default, 3000) or one after the other (tools/kafka's 0, for tests).
 */
async function groupInitialRebalanceDelayMs(admin: Admin): Promise<number | undefined> {
  try {
    const { brokers } = await admin.describeCluster();
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: ConfigResourceTypes.BROKER, name: String(brokers[0]?.nodeId ?? 1), configNames: [GROUP_DELAY_CONFIG] },
      ],
    });
    const value = described.resources[0]?.configEntries.find((e) => e.configName === GROUP_DELAY_CONFIG)?.configValue;
    return value === undefined ? undefined : Number(value);
  } catch {
    return undefined;
  }
}

async function measure(ctx: SuiteContext): Promise<SuiteReport> {
  const frames = ctx.quick ? QUICK_FRAMES : FULL_FRAMES;
  const { broker, kafka, admin } = await connectBenchKafka(ctx.log);
  const loadAtStart = loadavg();
  try {
    const ends = new Map<string, Map<number, number>>();
    let frameBytes = 0;
    for (const partitions of PARTITION_COUNTS) {
      const topic = `uniqstream-bench-${partitions}p-${frames}`;
      frameBytes = await ensureKafkaInput({
        admin,
        kafka,
        topic,
        partitions,
        frames,
        workDir: ctx.workDir,
        label: ID,
        log: ctx.log,
      });
      ends.set(topic, new Map((await topicEnds(admin, topic)).map((o) => [o.partition, Number(o.high)])));
    }
    const stage: Stage = { bootstrap: broker.bootstrap, kafka, admin, frames, frameBytes, ends };
    const groupDelayMs = await groupInitialRebalanceDelayMs(admin);
    const runs = new Map<string, CaseRun[]>();
    const entries: { spec: CaseSpec; partitions: number; name: string }[] = [];
    const cases: BenchCase[] = [];
    for (const partitions of PARTITION_COUNTS) {
      const topic = `uniqstream-bench-${partitions}p-${frames}`;
      for (const spec of casesFor(partitions)) {
        const name = caseName(spec, partitions);
        entries.push({ spec, partitions, name });
        cases.push({
          name,
          run: async () => {
            const run =
              spec.kind === 'cli'
                ? await cliRun(stage, spec, topic, partitions)
                : await serviceRun(stage, spec, topic, partitions);
            runs.set(name, [...(runs.get(name) ?? []), run]);
            return frames / run.seconds;
          },
        });
      }
    }
    const warmup = 1;
    const speed = await compare(cases, {
      unit: 'frames/s',
      runs: ctx.runs,
      // The first run of each case meets a cold page cache, JIT and broker: not counted.
      warmup,
      onRun: (name, run, value) => {
        const last = runs.get(name)?.at(-1);
        const detail =
          last === undefined
            ? ''
            : `, ${((1e6 * last.cpuSeconds) / frames).toFixed(2)} CPU-s/M frames, ` +
              `peak RSS ${(Math.max(...last.peakRssBytes) / 1e6).toFixed(0)} MB`;
        ctx.log(`${ID}: ${name} run ${run + 1}/${ctx.runs}: ${si(value)} frames/s${detail}`);
      },
    });
    const results: CaseResult[] = entries.map((entry, i) => ({
      spec: entry.spec,
      partitions: entry.partitions,
      speed: speed[i]!,
      runs: (runs.get(entry.name) ?? []).slice(warmup),
    }));
    return scaleOutReport(
      {
        id: ID,
        title: TITLE,
        frames,
        frameBytes,
        broker: broker.description,
        groupDelayMs,
        cores: availableParallelism(),
        untilIdleSeconds: CLI_UNTIL_IDLE_SECONDS,
        loadAtStart,
        loadAtEnd: loadavg(),
      },
      results,
    );
  } finally {
    await admin.disconnect();
  }
}

export const scaleOutSuite: Suite = async (ctx) => {
  buildConsumer(ctx.log, ID);
  if (!consumerBuilt()) {
    const reason =
      `apps/consumer/dist/main.js is missing: build the consumer service first ` +
      `(${buildCommand(CONSUMER_PACKAGE)}).`;
    return { id: ID, title: TITLE, tables: [], notes: [`Skipped: ${reason}`], skipped: reason };
  }
  return measure(ctx);
};
