/**
 * Kafka in, Kafka out, against the bench's broker (benchBroker: the local
 * broker of tools/kafka on $UNIQSTREAM_KAFKA_PORT, or the one
 * $UNIQSTREAM_KAFKA_BOOTSTRAP names): 1M frames of about 2 KB (quick:
 * 100k) on a 1-partition and a 4-partition topic,
 * consumed side by side in the same run by
 *   (a) a bare kafkajs consumer whose eachBatch only touches every message
 *       (sums the value lengths): the ceiling, kafkajs's own fetch and decode,
 *       in a thread whose heap has the source's reader-thread setting;
 *   (b) the real pipeline with the source's defaults, a reader thread that
 *       fetches records itself (direct fetch; kafkajs keeps the group):
 *       openKafkaSource -> the 'fast' decoder -> the CountingEngine
 *       (minute windows, exact) -> runPipeline -> the Kafka result sink,
 *       with commits;
 *   (c) the source alone with its defaults, frames handed on and touched,
 *       nothing decoded: the ceiling of uniqstream's own fetch path;
 *   (d) when the broker has tools/kafka's SASL_SSL listener (--secure):
 *       (b) over TLS, logged in with SCRAM-SHA-512 as a user with only the
 *       ACLs it needs, as `uniqstream count` runs on a secured cluster.
 * All use the source's default fetch settings for the topic. A second
 * table measures, on part of each topic, the reader thread's first old space
 * (and the bare consumer in a thread with each) and another fetch size.
 * Figures are frames per second from the first batch to the last
 * (pipelines: until the final results are acknowledged and the offsets
 * committed), CPU per frame of this process (all its threads; the broker's
 * JVM not included) and the main thread's busy time per frame (its event
 * loop utilization).
 *
 * The input topics are produced once and kept in the broker (named after
 * their size), so later runs skip straight to measuring.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { logLevel, type Kafka } from 'kafkajs';
import { CountingEngine, runPipeline, type FrameBatch, type Source } from '@uniqstream/core';
import { createDecoder } from '@uniqstream/frames';
import { SecureAdmin, type SecureListener } from '@uniqstream/kafka-local';
import { createKafkaResultSink } from '@uniqstream/sinks';
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_WAIT_MS,
  DEFAULT_MIN_BYTES,
  DEFAULT_READER_OLD_SPACE_MB,
  DEFAULT_WORKER_BUFFER_BYTES,
  defaultMaxBytesPerPartition,
  openKafkaSource,
  type KafkaSecurity,
  type KafkaSourceOptions,
} from '@uniqstream/sources';
import { bareConsume, benchGroupId, type FetchSettings } from '../bare-consume.js';
import { connectBenchKafka } from '../broker.js';
import type { BareThreadAnswer, BareThreadJob } from '../bare-thread.js';
import { ensureKafkaInput } from '../kafka-input.js';
import { cpuOf } from '../process-stats.js';
import {
  compare,
  ratio,
  summarize,
  type BenchCase,
  type Measurement,
  type ReportTable,
  type Suite,
  type SuiteContext,
  type SuiteReport,
} from '../harness.js';

const KIB = 1024;
const MIB = 1024 * KIB;
const FULL_FRAMES = 1_000_000;
const QUICK_FRAMES = 100_000;
/** The fetch-size table reads only this share of each topic. */
const TUNING_SHARE = 0.2;
const PARTITION_COUNTS = [1, 4] as const;
/** The fetch size the tuning table tries beside the default: 1 MiB for one partition, 4 MiB for four. */
const OTHER_FETCH_SIZE = { 1: 1 * MIB, 4: 4 * MIB } as const;
const MICROS_PER_SECOND = 1e6;
const MS_PER_SECOND = 1e3;
/** Target of the issue: the pipeline at this share of the bare consume rate, or better. */
const TARGET_RATIO = 0.8;
/** Target of issue 14: the pipeline over TLS + SCRAM at this share of its plaintext rate, or better. */
const TLS_TARGET_RATIO = 0.7;
/** The user (d) logs in as; its ACLs cover the bench's topics and groups (all named uniqstream-bench-...). */
const TLS_USER = 'uniqstream-bench';
const BENCH_PREFIX = 'uniqstream-bench-';
const PASSWORD_BYTES = 18;
const RESULTS_TOPIC = 'uniqstream-bench-results';

/** What the source uses by default for a topic of `partitions` partitions. */
function sourceFetch(partitions: number): FetchSettings {
  return {
    maxBytesPerPartition: defaultMaxBytesPerPartition(partitions),
    maxBytes: DEFAULT_MAX_BYTES,
    minBytes: DEFAULT_MIN_BYTES,
    maxWaitTimeInMs: DEFAULT_MAX_WAIT_MS,
  };
}

/** The source with its defaults, or with a tuning knob set otherwise (openKafkaSource options). */
interface Variant {
  readonly label: string;
  readonly options: Pick<KafkaSourceOptions, 'readerOldSpaceMb'>;
}
const SOURCE: Variant = { label: 'source', options: {} };
const SOURCE_V8_HEAP: Variant = { label: "source, V8's own first old space", options: { readerOldSpaceMb: 0 } };

interface Run {
  /** Frames read: the ones asked for, and the rest of the batch that completed them. */
  readonly frames: number;
  /** First batch to the end, seconds. */
  readonly seconds: number;
  /** This process's CPU over the same span (all threads), seconds. */
  readonly cpuSeconds: number;
  /** The broker's CPU over the same span, seconds, when it runs here (see BenchBroker.pid). */
  readonly brokerCpuSeconds?: number;
  /** Time the main thread's event loop was busy over the same span, seconds. */
  readonly mainBusySeconds: number;
}

/** Where a case connects, and the broker's process when it runs here. */
interface BrokerAt {
  readonly bootstrap: string;
  readonly pid?: number | undefined;
}

/** Starts a CPU, wall and main-thread busy clock at the first batch. */
class Span {
  private startedAt: number | undefined;
  private cpu: NodeJS.CpuUsage | undefined;
  private brokerCpu = 0;
  private loop: ReturnType<typeof performance.eventLoopUtilization> | undefined;

  constructor(private readonly brokerPid: number | undefined) {}

  start(): void {
    if (this.startedAt !== undefined) return;
    this.startedAt = performance.now();
    this.cpu = process.cpuUsage();
    this.brokerCpu = cpuOf(this.brokerPid);
    this.loop = performance.eventLoopUtilization();
  }

  end(frames: number): Run {
    if (this.startedAt === undefined || this.cpu === undefined || this.loop === undefined)
      throw new Error('no batch was read');
    const used = process.cpuUsage(this.cpu);
    const loop = performance.eventLoopUtilization(this.loop);
    return {
      frames,
      seconds: (performance.now() - this.startedAt) / MS_PER_SECOND,
      cpuSeconds: (used.user + used.system) / MICROS_PER_SECOND,
      ...(this.brokerPid === undefined ? {} : { brokerCpuSeconds: cpuOf(this.brokerPid) - this.brokerCpu }),
      mainBusySeconds: loop.active / MS_PER_SECOND,
    };
  }
}

/** (a) on this thread: kafkajs fetching and decoding records, eachBatch touching each one. */
async function bareConsumeHere(kafka: Kafka, topic: string, frames: number, fetch: FetchSettings): Promise<Run> {
  const run = await bareConsume(kafka, topic, frames, fetch);
  return { frames: run.frames, seconds: run.seconds, cpuSeconds: run.cpuSeconds, mainBusySeconds: run.busySeconds };
}

/**
 * (a) in a thread of its own, whose heap starts with an old space of
 * `oldSpaceMb` (0: V8's own): the ceiling with the reader thread's setting.
 */
async function bareConsumeInThread(
  bootstrap: string,
  topic: string,
  frames: number,
  fetch: FetchSettings,
  oldSpaceMb: number,
): Promise<Run> {
  setFlagsFromString(`--initial-old-space-size=${oldSpaceMb}`);
  const job: BareThreadJob = { bootstrap, topic, frames, fetch };
  const worker = new Worker(new URL('../bare-thread.js', import.meta.url), { workerData: job });
  try {
    const answer = await new Promise<BareThreadAnswer>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the bare kafkajs thread stopped (exit code ${code})`)));
    });
    if (!answer.ok) throw new Error(answer.message);
    // Its own thread's busy time stands in for the main thread's: kafkajs's whole work is there.
    return {
      frames: answer.run.frames,
      seconds: answer.run.seconds,
      cpuSeconds: answer.run.cpuSeconds,
      mainBusySeconds: answer.run.busySeconds,
    };
  } finally {
    await worker.terminate();
  }
}

/** A source that ends once `frames` frames went through, so a run needs no idle timeout. */
function endAfter(inner: Source, frames: number, span: Span): Source {
  return {
    name: inner.name,
    async *batches(signal?: AbortSignal): AsyncGenerator<FrameBatch> {
      let seen = 0;
      for await (const batch of inner.batches(signal)) {
        if (batch.frames.length > 0) span.start();
        seen += batch.frames.length;
        yield batch;
        if (seen >= frames) return;
      }
    },
    ...(inner.commit ? { commit: inner.commit.bind(inner) } : {}),
    close: () => inner.close(),
  };
}

/**
 * (c) The source alone with its defaults (reader thread, direct fetch):
 * every frame handed on and touched (its length summed), nothing decoded,
 * counted or produced: the ceiling of uniqstream's own fetch path.
 */
async function sourceOnly(at: BrokerAt, topic: string, frames: number, fetch: FetchSettings): Promise<Run> {
  const { bootstrap } = at;
  const span = new Span(at.pid);
  const kafkaSource = openKafkaSource({
    brokers: [bootstrap],
    topic,
    group: benchGroupId(),
    fromBeginning: true,
    log: () => undefined,
    clientId: 'uniqstream-bench',
    ...fetch,
  });
  let seen = 0;
  let bytes = 0;
  try {
    for await (const batch of endAfter(kafkaSource, frames, span).batches()) {
      for (const frame of batch.frames) bytes += frame.length;
      seen += batch.frames.length;
    }
  } finally {
    await kafkaSource.close();
  }
  if (seen < frames || bytes === 0)
    throw new Error(`the source handed on ${seen} frames of ${topic}, expected ${frames}`);
  return span.end(seen);
}

/** (b) The real pipeline, Kafka to Kafka, with the source set as `variant` says. */
async function pipelineConsume(
  at: BrokerAt,
  topic: string,
  frames: number,
  fetch: FetchSettings,
  variant: Variant,
  security?: KafkaSecurity,
): Promise<Run> {
  const { bootstrap } = at;
  const quiet = (): void => undefined;
  const span = new Span(at.pid);
  const secured = security === undefined ? {} : { security };
  const kafkaSource = openKafkaSource({
    brokers: [bootstrap],
    topic,
    group: benchGroupId(),
    fromBeginning: true,
    log: quiet,
    clientId: 'uniqstream-bench',
    ...fetch,
    ...variant.options,
    ...secured,
  });
  const sink = createKafkaResultSink(
    { brokers: [bootstrap], topic: RESULTS_TOPIC },
    { log: quiet, clientId: 'uniqstream-bench', ...secured },
  );
  try {
    await sink.ready();
    const summary = await runPipeline({
      source: endAfter(kafkaSource, frames, span),
      decoder: createDecoder('fast'),
      engine: new CountingEngine({ windows: ['minute'] }),
      sink,
      now: () => performance.now(),
    });
    const run = span.end(summary.frames);
    if (summary.frames < frames)
      throw new Error(`pipeline read ${summary.frames} frames of ${topic}, expected ${frames}`);
    if (summary.stats.resultsEmitted === 0) throw new Error('pipeline emitted no results');
    return run;
  } finally {
    await Promise.allSettled([kafkaSource.close(), sink.close()]);
  }
}

/**
 * (d)'s login: a SCRAM-SHA-512 user made for this run, allowed what the
 * pipeline needs on the bench's topics and groups and nothing else, and
 * the broker's CA.
 */
async function benchLogin(listener: SecureListener): Promise<KafkaSecurity> {
  const admin = new SecureAdmin(listener, { keep: true });
  try {
    const password = randomBytes(PASSWORD_BYTES).toString('base64url');
    await admin.createUser(TLS_USER, password, 'SCRAM-SHA-512');
    await admin.grant(TLS_USER, [
      {
        resource: 'topic',
        name: BENCH_PREFIX,
        pattern: 'prefixed',
        operations: ['read', 'write', 'describe', 'create'],
      },
      { resource: 'group', name: BENCH_PREFIX, pattern: 'prefixed', operations: ['read', 'describe'] },
    ]);
    return {
      tls: { ca: await readFile(listener.caFile) },
      sasl: { mechanism: 'scram-sha-512', username: TLS_USER, password },
    };
  } finally {
    await admin.close();
  }
}

/** Keeps frames/s as the case's figure, and CPU and main-thread time per frame beside it. */
class Recorder {
  private readonly cpu = new Map<string, number[]>();
  private readonly brokerCpu = new Map<string, number[]>();
  private readonly main = new Map<string, number[]>();

  case(name: string, run: () => Promise<Run>): BenchCase {
    return {
      name,
      run: async () => {
        const result = await run();
        push(this.cpu, name, (MICROS_PER_SECOND * result.cpuSeconds) / result.frames);
        if (result.brokerCpuSeconds !== undefined)
          push(this.brokerCpu, name, (MICROS_PER_SECOND * result.brokerCpuSeconds) / result.frames);
        push(this.main, name, (MICROS_PER_SECOND * result.mainBusySeconds) / result.frames);
        return result.frames / result.seconds;
      },
    };
  }

  cpuMeasurements(names: readonly string[], warmup: number): Measurement[] {
    return names.map((name) => summarize(name, 'µs CPU/frame', (this.cpu.get(name) ?? []).slice(warmup)));
  }

  /** Only the cases the broker's CPU was read for (none when the broker runs elsewhere). */
  brokerCpuMeasurements(names: readonly string[], warmup: number): Measurement[] {
    return names
      .filter((name) => this.brokerCpu.has(name))
      .map((name) => summarize(name, 'µs broker CPU/frame', (this.brokerCpu.get(name) ?? []).slice(warmup)));
  }

  mainMeasurements(names: readonly string[], warmup: number): Measurement[] {
    return names.map((name) => summarize(name, 'µs main thread/frame', (this.main.get(name) ?? []).slice(warmup)));
  }
}

function push(lists: Map<string, number[]>, name: string, value: number): void {
  const list = lists.get(name) ?? [];
  list.push(value);
  lists.set(name, list);
}

function sizeLabel(bytes: number): string {
  return bytes >= MIB ? `${bytes / MIB} MiB` : `${bytes / KIB} KiB`;
}

function us(m: Measurement): string {
  return m.median.toFixed(2);
}

function pct(value: number): string {
  return `${(100 * value).toFixed(0)}%`;
}

function byName(ms: readonly Measurement[], name: string): Measurement {
  const found = ms.find((m) => m.name === name);
  if (found === undefined) throw new Error(`no measurement ${name}`);
  return found;
}

export interface KafkaSuiteOptions {
  /** Also the second table (reader heap, another fetch size); false: only the side-by-side table. */
  readonly tuning: boolean;
}

/** The suite, with or without its tuning table. */
export function kafkaSuiteWith(options: KafkaSuiteOptions): Suite {
  return (ctx) => runKafkaSuite(ctx, options);
}

export const kafkaSuite: Suite = kafkaSuiteWith({ tuning: true });

async function runKafkaSuite(ctx: SuiteContext, options: KafkaSuiteOptions): Promise<SuiteReport> {
  const frames = ctx.quick ? QUICK_FRAMES : FULL_FRAMES;
  const { broker, kafka, admin } = await connectBenchKafka(ctx.log, logLevel.ERROR);
  const topics = new Map<number, string>();
  let bytes = 0;
  try {
    for (const partitions of PARTITION_COUNTS) {
      const topic = `uniqstream-bench-${partitions}p-${frames}`;
      bytes = await ensureKafkaInput({
        admin,
        kafka,
        topic,
        partitions,
        frames,
        workDir: ctx.workDir,
        label: 'kafka',
        log: ctx.log,
      });
      topics.set(partitions, topic);
    }
  } finally {
    await admin.disconnect();
  }
  const frameBytes = bytes / frames;
  const warmup = 1;
  const progress = (name: string, run: number, value: number): void =>
    ctx.log(`kafka: ${name} run ${run + 1}: ${(value / 1e3).toFixed(1)} k frames/s`);

  const recorder = new Recorder();
  const loadAtStart = loadavg();
  const bare = (p: number): string =>
    `${p}p (a) kafkajs eachBatch, no decoding (own thread, ${DEFAULT_READER_OLD_SPACE_MB} MB first old space)`;
  const piped = (p: number, letter: string, variant: Variant): string =>
    `${p}p (${letter}) ${variant.label} -> decode -> count -> Kafka sink`;
  const sourceAlone = (p: number): string => `${p}p (c) ${SOURCE.label}, frames only: no decoding, counting or sink`;
  const overTls = (p: number): string =>
    `${p}p (d) ${SOURCE.label} over TLS + SASL SCRAM-SHA-512 -> decode -> count -> Kafka sink`;
  const secure = broker.secure;
  const security = secure === undefined ? undefined : await benchLogin(secure);
  const mainCases: BenchCase[] = [];
  for (const partitions of PARTITION_COUNTS) {
    const topic = topics.get(partitions)!;
    const fetch = sourceFetch(partitions);
    mainCases.push(
      recorder.case(bare(partitions), () =>
        bareConsumeInThread(broker.bootstrap, topic, frames, fetch, DEFAULT_READER_OLD_SPACE_MB),
      ),
    );
    mainCases.push(recorder.case(sourceAlone(partitions), () => sourceOnly(broker, topic, frames, fetch)));
    mainCases.push(
      recorder.case(piped(partitions, 'b', SOURCE), () => pipelineConsume(broker, topic, frames, fetch, SOURCE)),
    );
    if (secure !== undefined && security !== undefined) {
      mainCases.push(
        recorder.case(overTls(partitions), () =>
          pipelineConsume({ bootstrap: secure.bootstrap, pid: broker.pid }, topic, frames, fetch, SOURCE, security),
        ),
      );
    }
  }
  const main = await compare(mainCases, { unit: 'frames/s', runs: ctx.runs, warmup, onRun: progress });

  const tuningFrames = Math.round(frames * TUNING_SHARE);
  const tuningCases: BenchCase[] = [];
  if (options.tuning) {
    for (const partitions of PARTITION_COUNTS) {
      const topic = topics.get(partitions)!;
      const fetch = sourceFetch(partitions);
      const size = OTHER_FETCH_SIZE[partitions];
      const other: FetchSettings = {
        ...fetch,
        maxBytesPerPartition: size,
        maxBytes: Math.max(DEFAULT_MAX_BYTES, partitions * size),
      };
      const otherLabel = `${sizeLabel(size)} per partition`;
      const defaultLabel = `${sizeLabel(fetch.maxBytesPerPartition)} per partition (default)`;
      tuningCases.push(
        recorder.case(`${partitions}p (a) kafkajs on the main thread, ${defaultLabel}`, () =>
          bareConsumeHere(kafka, topic, tuningFrames, fetch),
        ),
      );
      tuningCases.push(
        recorder.case(`${partitions}p ${SOURCE.label}, ${defaultLabel}`, () =>
          pipelineConsume(broker, topic, tuningFrames, fetch, SOURCE),
        ),
      );
      const heap = (mb: number): string =>
        mb === 0 ? "V8's own first old space" : `first old space ${mb} MB (the reader thread's default)`;
      for (const mb of [0, DEFAULT_READER_OLD_SPACE_MB]) {
        tuningCases.push(
          recorder.case(`${partitions}p (a) kafkajs in a thread, ${heap(mb)}`, () =>
            bareConsumeInThread(broker.bootstrap, topic, tuningFrames, fetch, mb),
          ),
        );
      }
      tuningCases.push(
        recorder.case(`${partitions}p ${SOURCE_V8_HEAP.label}, ${defaultLabel}`, () =>
          pipelineConsume(broker, topic, tuningFrames, fetch, SOURCE_V8_HEAP),
        ),
      );
      tuningCases.push(
        recorder.case(`${partitions}p (a) kafkajs on the main thread, ${otherLabel}`, () =>
          bareConsumeHere(kafka, topic, tuningFrames, other),
        ),
      );
      tuningCases.push(
        recorder.case(`${partitions}p ${SOURCE.label}, ${otherLabel}`, () =>
          pipelineConsume(broker, topic, tuningFrames, other, SOURCE),
        ),
      );
    }
  }
  const tuning =
    tuningCases.length === 0
      ? []
      : await compare(tuningCases, { unit: 'frames/s', runs: ctx.runs, warmup, onRun: progress });
  const loadAtEnd = loadavg();

  const load = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  const notes: string[] = [
    `${frames.toLocaleString('en-US')} frames of ${frameBytes.toFixed(0)} bytes on average ` +
      `(${((frames * frameBytes) / 1e9).toFixed(2)} GB) per topic; broker: ${broker.description}, same machine.`,
    `Source fetch settings (first table): maxBytesPerPartition ` +
      `${PARTITION_COUNTS.map(
        (p) => `${sizeLabel(defaultMaxBytesPerPartition(p))} for ${p} ` + `partition${p === 1 ? '' : 's'}`,
      ).join(', ')}; ` +
      `maxBytes ${sizeLabel(DEFAULT_MAX_BYTES)}, minBytes ${DEFAULT_MIN_BYTES}, maxWaitTimeInMs ` +
      `${DEFAULT_MAX_WAIT_MS}; up to ${sizeLabel(DEFAULT_WORKER_BUFFER_BYTES)} between the threads.`,
    `(a) in the first table runs kafkajs in a thread of its own whose heap starts with the old space ` +
      `the source's reader thread gets (${DEFAULT_READER_OLD_SPACE_MB} MB, ` +
      `KafkaSourceOptions.readerOldSpaceMb), so the ceiling has the pipeline's setting; its busy time ` +
      `stands in the main-thread table. On the benchmark's main thread the bare consume's cost depends ` +
      `on what ran before (V8 sizes the old generation from the heap's history: 2.3 µs of CPU a frame ` +
      `after the kafka suite alone, 5.7 after the other suites), so it only appears in the tuning ` +
      `table, beside both heap settings in a thread.`,
    `Load average (1, 5, 15 min) at the start ${load(loadAtStart)}, at the end ${load(loadAtEnd)}; ` +
      `${availableParallelism()} cores, shared with the broker and other work.`,
  ];
  for (const partitions of PARTITION_COUNTS) {
    const a = byName(main, bare(partitions));
    const b = byName(main, piped(partitions, 'b', SOURCE));
    const alone = byName(main, sourceAlone(partitions));
    notes.push(
      `${partitions} partition${partitions === 1 ? '' : 's'}: (c) the source alone (direct fetch, no ` +
        `decoding) ${(alone.median / 1e3).toFixed(1)} k frames/s, ${pct(ratio(alone, a))} of bare ` +
        `kafkajs; the pipeline (b) runs at ${pct(ratio(b, alone))} of it.`,
    );
    const r = ratio(b, a);
    notes.push(
      `${partitions} partition${partitions === 1 ? '' : 's'}, (b) ${SOURCE.label}: ${pct(r)} of the ` +
        `bare kafkajs rate (median ${(b.median / 1e3).toFixed(1)} k vs ${(a.median / 1e3).toFixed(1)} k ` +
        `frames/s, ${((a.median * frameBytes) / 1e6).toFixed(0)} MB/s of frames at the ceiling): ` +
        `target ${pct(TARGET_RATIO)} ` +
        `${r >= TARGET_RATIO ? 'met' : 'missed'}.`,
    );
  }
  if (secure === undefined) {
    notes.push(
      '(d), the pipeline over TLS + SCRAM, did not run: the broker has no SASL_SSL listener (start it ' +
        'with `UNIQSTREAM_KAFKA_SECURE=1`, or `kafka-local start --secure`).',
    );
  } else {
    notes.push(
      `(d) reads and writes through the broker's SASL_SSL listener (${secure.bootstrap}, a throwaway ` +
        `CA of tools/kafka) as user ${TLS_USER}, logged in with SCRAM-SHA-512, allowed READ, WRITE, ` +
        `DESCRIBE and CREATE on topics and READ and DESCRIBE on groups named ${BENCH_PREFIX}*: TLS on ` +
        `every connection (kafkajs's and the source's own fetch connections), ACLs checked by the ` +
        `broker's StandardAuthorizer.`,
    );
    for (const partitions of PARTITION_COUNTS) {
      const r = ratio(byName(main, overTls(partitions)), byName(main, piped(partitions, 'b', SOURCE)));
      const cpu = recorder.cpuMeasurements([piped(partitions, 'b', SOURCE), overTls(partitions)], warmup);
      const brokers = recorder.brokerCpuMeasurements([piped(partitions, 'b', SOURCE), overTls(partitions)], warmup);
      const where =
        brokers.length === 2
          ? ` CPU per frame, plaintext -> TLS: this process ${us(cpu[0]!)} -> ${us(cpu[1]!)} µs, the ` +
            `broker ${us(brokers[0]!)} -> ${us(brokers[1]!)} µs (medians).`
          : '';
      notes.push(
        `${partitions} partition${partitions === 1 ? '' : 's'}, (d) over TLS + SCRAM: ${pct(r)} of ` +
          `(b) on plaintext: target ${pct(TLS_TARGET_RATIO)} ${r >= TLS_TARGET_RATIO ? 'met' : 'missed'}.${where}`,
      );
    }
  }
  const names = (cases: readonly BenchCase[]): string[] => cases.map((c) => c.name);
  const tables: ReportTable[] = [
    {
      caption: `Kafka -> Kafka, ${frames.toLocaleString('en-US')} frames, side by side (frames/s, first batch to last)`,
      measurements: main,
    },
    {
      caption: 'Same runs, CPU per frame of this process (all threads; broker not included)',
      measurements: recorder.cpuMeasurements(names(mainCases), warmup),
    },
    {
      caption: "Same runs, main thread's busy time per frame (event loop utilization)",
      measurements: recorder.mainMeasurements(names(mainCases), warmup),
    },
  ];
  const brokerCpu = recorder.brokerCpuMeasurements(names(mainCases), warmup);
  if (brokerCpu.length > 0) {
    tables.push({
      caption:
        "Same runs, the broker's CPU per frame over the same span (its process on this machine; TLS " +
        'moves work there: no sendfile, every byte encrypted)',
      measurements: brokerCpu,
    });
  }
  if (tuning.length > 0) {
    tables.push(
      {
        caption:
          `Reader heap and fetch sizes, first ${tuningFrames.toLocaleString('en-US')} frames ` +
          `of each topic (frames/s)`,
        measurements: tuning,
      },
      {
        caption: 'Same runs, CPU per frame (all threads)',
        measurements: recorder.cpuMeasurements(names(tuningCases), warmup),
      },
    );
  }
  return { id: 'kafka', title: 'Kafka source and sink', tables, notes };
}
