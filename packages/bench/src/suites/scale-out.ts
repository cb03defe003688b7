/**
 * Scale-out of the Kafka consumer service: one `uniqstream-consumer`
 * (apps/consumer, the real binary) against two in the same consumer group,
 * on a 4-partition topic of ~2 KB frames (1M; quick: 100k), the same topic
 * the kafka suite fills (`uniqstream-bench-4p-<frames>`, produced here when
 * missing).
 *
 * A run starts N instances (role all: each counts its partitions, one of
 * them also merges) in a fresh group reading from the beginning, and times
 * from the first frame any instance reads (its /metrics) to the moment the
 * group's committed offsets are at the end of every partition (every frame
 * counted and checkpointed) and the merge has read the partials topic to
 * its end (every result written). Checkpoints every second, so the end is
 * seen within about a second of being reached. Cases run round-robin, at
 * least ctx.runs runs each.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { benchBroker } from '../broker.js';
import { buildCommand } from '../build.js';
import { percent, si, spread } from '../format.js';
import { ensureKafkaInput } from '../kafka-input.js';
import { compare, summarize, type BenchCase, type Headline, type Measurement, type Suite, type SuiteContext, type SuiteReport } from '../harness.js';
import { buildConsumer, CONSUMER_PACKAGE, consumerBuilt, cpuOf, freePort, metric, startService, stopProcess, type ServiceInstance } from '../service-run.js';

const ID = 'scale-out';
const TITLE = 'Kafka scale-out: 1 vs 2 consumer service instances';
const FULL_FRAMES = 1_000_000;
const QUICK_FRAMES = 100_000;
const PARTITIONS = 4;
const INSTANCE_COUNTS = [1, 2] as const;
const METRICS_POLL_MS = 100;
const OFFSETS_POLL_MS = 200;
const RUN_TIMEOUT_MS = 15 * 60_000;
const MS_PER_SECOND = 1e3;
const FRAMES_METRIC = /^uniqstream_frames_in_total (\S+)$/m;
const PARTIALS_IN_METRIC = /^uniqstream_partials_in_total (\S+)$/m;

interface Run {
  /** First frame read to everything counted, checkpointed and merged. */
  readonly seconds: number;
  /** CPU time of all instances over their whole life (start-up and group joins included). */
  readonly cpuSeconds: number;
  /** Frames read by all instances: more than the topic holds when a rebalance made a new owner read again from a checkpoint. */
  readonly framesRead: number;
  /** Partial results the merge read. */
  readonly partials: number;
}

function skipped(reason: string): SuiteReport {
  return { id: ID, title: TITLE, tables: [], notes: [`Skipped: ${reason}`], skipped: reason };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One run of `instances` instances over the whole topic, in a fresh group. */
async function runOnce(bootstrap: string, admin: Admin, topic: string, instances: number): Promise<Run> {
  const group = `uniqstream-bench-scale-${instances}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const partials = `${group}.partials`;
  const ports: number[] = [];
  for (let i = 0; i < instances; i++) ports.push(await freePort());
  const running: ServiceInstance[] = [];
  try {
    for (const [i, port] of ports.entries()) {
      running.push(
        startService({ bootstrap, topic, results: `${group}.results`, group, httpPort: port, args: ['--checkpoint-interval', '1'], label: `instance ${i + 1}` }),
      );
    }
    const deadline = performance.now() + RUN_TIMEOUT_MS;
    const check = (): void => {
      const failure = running.map((instance) => instance.failure()).find((f) => f !== undefined);
      if (failure !== undefined) throw new Error(failure);
      if (performance.now() > deadline) throw new Error(`run of ${instances} instance(s) not done after ${RUN_TIMEOUT_MS / 60_000} min`);
    };
    let started: number | undefined;
    while (started === undefined) {
      check();
      const counts = await Promise.all(ports.map((port) => metric(port, FRAMES_METRIC)));
      if (counts.some((n) => n > 0)) started = performance.now();
      else await sleep(METRICS_POLL_MS);
    }
    let ended: number | undefined;
    while (ended === undefined) {
      check();
      const [ends, committed, partialEnds, merged] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId: group, topics: [topic] }),
        admin.fetchTopicOffsets(partials).catch(() => []),
        admin.fetchOffsets({ groupId: `${group}.merge`, topics: [partials] }).catch(() => []),
      ]);
      const at = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, p.offset]));
      const counted = ends.every((e) => at.get(e.partition) === e.high);
      const partialsEnd = partialEnds.find((e) => e.partition === 0)?.high;
      const mergedTo = merged[0]?.partitions.find((p) => p.partition === 0)?.offset;
      if (counted && partialsEnd !== undefined && mergedTo === partialsEnd) ended = performance.now();
      else await sleep(OFFSETS_POLL_MS);
    }
    const cpuSeconds = running.reduce((sum, instance) => sum + cpuOf(instance.child.pid), 0);
    const framesRead = (await Promise.all(ports.map((port) => metric(port, FRAMES_METRIC)))).reduce((a, b) => a + b, 0);
    const partialsRead = (await Promise.all(ports.map((port) => metric(port, PARTIALS_IN_METRIC)))).reduce((a, b) => a + b, 0);
    return { seconds: (ended - started) / MS_PER_SECOND, cpuSeconds, framesRead, partials: partialsRead };
  } finally {
    await Promise.all(running.map((instance) => stopProcess(instance.child)));
    const existing = new Set(await admin.listTopics());
    const topics = [partials, `${group}.checkpoints`, `${group}.results`].filter((t) => existing.has(t));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.deleteGroups([group, `${group}.merge`]).catch(() => undefined);
  }
}

function caseName(instances: number): string {
  return `${instances} instance${instances === 1 ? '' : 's'} (role all), ${PARTITIONS} partitions`;
}

async function measure(ctx: SuiteContext): Promise<SuiteReport> {
  const frames = ctx.quick ? QUICK_FRAMES : FULL_FRAMES;
  const broker = await benchBroker(ctx.log);
  const kafka = new Kafka({ clientId: 'uniqstream-bench', brokers: [broker.bootstrap], logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `uniqstream-bench-${PARTITIONS}p-${frames}`;
  const runs = new Map<number, Run[]>();
  try {
    await ensureKafkaInput({ admin, kafka, topic, partitions: PARTITIONS, frames, workDir: ctx.workDir, label: ID, log: ctx.log });
    const cases: BenchCase[] = INSTANCE_COUNTS.map((instances) => ({
      name: caseName(instances),
      run: async () => {
        const run = await runOnce(broker.bootstrap, admin, topic, instances);
        runs.set(instances, [...(runs.get(instances) ?? []), run]);
        return frames / run.seconds;
      },
    }));
    const speed = await compare(cases, {
      unit: 'frames/s',
      runs: ctx.runs,
      // A full run is a minute or so: the first of each case (JIT, page cache, broker) is not counted.
      warmup: 1,
      onRun: (name, run, value) => ctx.log(`scale-out: ${name} run ${run + 1}: ${si(value)} frames/s`),
    });
    return report(frames, speed, runs, broker.description);
  } finally {
    await admin.disconnect();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function report(frames: number, speed: Measurement[], runs: ReadonlyMap<number, Run[]>, broker: string): SuiteReport {
  const one = speed[0]!;
  const two = speed[1]!;
  const gain = two.median / one.median;
  // The warm-up run of each case is not in `speed`: left out of these figures the same way.
  const measured = (instances: number): Run[] => (runs.get(instances) ?? []).slice(1);
  const reread = (instances: number): number => median(measured(instances).map((r) => r.framesRead / frames - 1));
  const partials = median(INSTANCE_COUNTS.flatMap((n) => measured(n).map((r) => r.partials)));
  const cpu = INSTANCE_COUNTS.map((instances, i) => summarize(speed[i]!.name, 'frames/CPU-s', measured(instances).map((r) => frames / r.cpuSeconds)));
  const cpuGain = cpu[1]!.median / cpu[0]!.median;
  const notes = [
    `${frames.toLocaleString('en-US')} frames of ~2 KB in ${PARTITIONS} partitions (the kafka suite's topic); broker: ${broker}, same machine. Each instance is the real binary (node apps/consumer/dist/main.js --role all --checkpoint-interval 1), minute windows, exact.`,
    `2 instances / 1 instance: ${gain.toFixed(2)}x (median ${si(two.median)} vs ${si(one.median)} frames/s). This machine has ${availableParallelism()} cores shared by the broker, both instances and the bench: the second instance adds a process, not a core.`,
    `CPU of the service processes (start-up included): ${si(cpu[0]!.median)} frames per CPU-second with 1 instance, ${si(cpu[1]!.median)} with 2 (${cpuGain.toFixed(2)}x): what a second instance costs in CPU, and so how far more machines take the rate (each instance is one Node.js thread for counting and merging).`,
    `Frames read again after rebalances (an instance joining takes partitions whose new owner restarts from their last checkpoint): ${percent(reread(1), 1)} with 1 instance, ${percent(reread(2), 1)} with 2 (median share of the topic).`,
    `The merge read ${si(partials)} partial results per run (median) for ${si(frames)} frames: its work grows with windows x partitions x revisions, not with frames.`,
  ];
  const headlines: Headline[] = [
    { key: 'scaleOut.oneInstance', label: `Consumer service, 1 instance, ${PARTITIONS} partitions (${si(frames)} frames of ~2 KB)`, value: spread(one, 'frames/s') },
    { key: 'scaleOut.twoInstances', label: 'Consumer service, 2 instances in one group (same topic)', value: `${spread(two, 'frames/s')}; ${gain.toFixed(2)}x` },
  ];
  return {
    id: ID,
    title: TITLE,
    tables: [
      { caption: `Kafka -> uniqstream-consumer -> Kafka, ${frames.toLocaleString('en-US')} frames, first frame read to last result merged (frames/s)`, measurements: speed },
      { caption: 'Same runs, frames per CPU-second of all service processes (the broker not included)', measurements: cpu },
    ],
    notes,
    headlines,
  };
}

export const scaleOutSuite: Suite = async (ctx) => {
  buildConsumer(ctx.log, ID);
  if (!consumerBuilt()) return skipped(`apps/consumer/dist/main.js is missing: build the consumer service first (${buildCommand(CONSUMER_PACKAGE)}).`);
  return measure(ctx);
};
