/**
 * Result latency: how soon after a window's result could be known it is
 * readable in the results topic, for `uniqstream count` Kafka -> Kafka and
 * for the consumer service (`uniqstream-consumer`, one instance) with the
 * settings in SERVICE_VARIANTS.
 *
 * A realistic stream (docs/frames.md's disorder: 5% of frames up to 5 s late,
 * 0.1% up to 60 s; malformed frames and string ts; no bitflips, see below)
 * is generated at EVENT_RATE frames per second of event time and replayed
 * by the simulator (`uniqstream-sim replay --rate`) at WALL_RATE frames per
 * second of wall time into an input topic, 1 and then 4 partitions, while
 * every counter reads it at the same time (fresh groups, results topics of
 * their own). Event time so runs WALL_RATE / EVENT_RATE times faster than
 * the wall clock, with the stream's disorder scaled alike: a minute window
 * ends every 3.15 s of wall time, a period that shares no small multiple
 * with the 1 s and 10 s checkpoint intervals, so window ends fall at every
 * phase of them.
 *
 * "Could be known" is computed here from the input alone, with the README's
 * rules and tools/reference's reading of each frame: the input topic has
 * message.timestamp.type=LogAppendTime, so each frame carries the moment
 * the broker appended it, which on this single-replica broker is the moment
 * any consumer could fetch it. A window [start, end) could be known at the
 * arrival of the frame that moved the topic's watermark (highest ts minus
 * max delay, minimum over partitions) to `end`; its final result at
 * `end + allowed lateness`. "Readable" is a result's append time on its
 * results topic (LogAppendTime too) for at-least-once counters: on this
 * broker a read_committed reader may fetch a record outside a transaction
 * from then on. Results written in transactions are appended before their
 * commit makes them readable: for them it is when the bench's own reader
 * (kafkajs, read_committed, following every results topic) got them. The
 * reader's delay after appends is reported beside.
 *
 * After the stream, a few frames per partition (ts rising one second at a
 * time, so no counter takes them for a corrupt jump) move every partition's
 * watermark past the last window's end + allowed lateness: every window of
 * the stream ends final, and every final result must equal tools/reference's
 * count of what the topic holds, or the variant's figures are not given.
 * Bitflipped ts are left out of this stream: which window such a frame
 * belongs to and whether it may move the watermark is the counter's
 * judgement, not the frame's (the accuracy suite measures that).
 */
import { topicEnds } from '../kafka-input.js';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { Partitioners, type Admin, type Kafka, type Message } from 'kafkajs';
import { referenceFrame } from '@uniqstream/reference';
import { connectBenchKafka, type BenchBroker } from '../broker.js';
import { buildCommand, buildPackage } from '../build.js';
import { runCli, type CliRun } from '../cli-run.js';
import { ensureDataset, type Dataset } from '../dataset.js';
import { BenchError } from '../errors.js';
import type { Suite, SuiteContext, SuiteReport } from '../harness.js';
import { PartialsTimeline, waitSteps, type FirstResultMoment } from '../partials-timeline.js';
import { SIM_BIN } from '../paths.js';
import { cpuOf } from '../process-stats.js';
import {
  measureLatency,
  parseResult,
  ResultLog,
  type Readable,
  type WindowCounts,
  type WindowMoments,
} from '../result-latency.js';
import {
  buildConsumer,
  CONSUMER_PACKAGE,
  consumerBuilt,
  consumerHelp,
  createStateTopics,
  freePort,
  metric,
  serviceReady,
  startService,
  stateTopics,
  stopProcess,
  type ServiceInstance,
} from '../service-run.js';
import { realisticStream } from '../streams.js';
import { followTopics, readTopic, type Follower } from '../timed-records.js';
import { topicReachedAt, WatermarkHistory } from '../watermark-history.js';
import {
  AT_LEAST_ONCE,
  describeQuantiles,
  latencyReport,
  quantilesOf,
  sound,
  whyNot,
  type Arrival,
  type TopicRun,
  type Variant,
  type VariantRun,
} from './latency-report.js';

const ID = 'latency';
const TITLE = 'Result latency: Kafka in, results out, frames arriving in real time';

/** One setting of the service, measured beside the others on the same input. */
export interface ServiceVariant {
  readonly label: string;
  /** Flags after --from, --to, --group and the counting options. */
  readonly args: readonly string[];
}

/**
 * The service's settings measured side by side; one line adds one. A
 * variant whose flags the built service does not list in --help is left
 * out with a note (so one can be listed before the service has its flag).
 */
export const SERVICE_VARIANTS: readonly ServiceVariant[] = [
  { label: 'service', args: [] },
  { label: 'service, --checkpoint-interval 1', args: ['--checkpoint-interval', '1'] },
  { label: 'service, --checkpoint-interval 0.2', args: ['--checkpoint-interval', '0.2'] },
  { label: 'service, --checkpoint-interval 0.1', args: ['--checkpoint-interval', '0.1'] },
  { label: 'service, exactly-once', args: ['--guarantee', 'exactly-once'] },
];

const CLI_LABEL = 'count (CLI)';
/** Frames per second of wall time the simulator sends. */
const WALL_RATE = 2000;
/** Frames per second of event time in the stream: event time runs WALL_RATE / EVENT_RATE (19x) the wall clock. */
const EVENT_RATE = 105;
/** Wall seconds of stream per topic: ~95 minute windows (quick: ~14). */
const FULL_SECONDS = 300;
const QUICK_SECONDS = 45;
const PARTITION_COUNTS = [1, 4] as const;
const WINDOW_SECONDS = 60;
/** The counters' default, passed explicitly: the bench's watermarks rest on it. */
const MAX_DELAY = 5;
/**
 * Seconds of event time: 31.5 s of wall time here, so that, as the default
 * 60 s does at real-time pace, it outlasts every wait of the pipelines (the
 * service publishes a window at its next checkpoint, 10 s by default) and
 * the open windows are about as many as at real-time pace. With 60 s of
 * event time (3.15 s of wall time) most windows would be past their
 * lateness before the service publishes them, and would come out final at
 * once. Every late frame of the stream is well within it (at most 60 s
 * late), so the counts stay exact.
 */
const ALLOWED_LATENESS = 600;
const COUNTING_ARGS = [
  '--windows',
  'minute',
  '--max-delay',
  String(MAX_DELAY),
  '--allowed-lateness',
  String(ALLOWED_LATENESS),
];
/** The first window is partial and the next one meets counters still warming up (JIT, first fetches): left out of
 * the figures. */
const WARMUP_WINDOWS = 2;
/** Benchmark target of issue 13: a window's first result readable within this, at p99, at-least-once; exactly-once
 * within its commit interval and this. */
const TARGET_P99_MS = 250;
/** The service's --checkpoint-interval under exactly-once when none is given: its transactions commit this often. */
const EXACTLY_ONCE_INTERVAL_SECONDS = 1;
const CHECKPOINT_INTERVAL_FLAG = '--checkpoint-interval';
/** The CLI ends this long after the last frame (every window flushed); the stream starts within a few seconds of
 * it joining. */
const CLI_UNTIL_IDLE_SECONDS = 15;
const READY_TIMEOUT_MS = 120_000;
const FINALS_TIMEOUT_MS = 120_000;
const POLL_MS = 200;
const MS_PER_SECOND = 1e3;
const GUARANTEE_FLAG = '--guarantee';
const SIM_PACKAGE = '@uniqstream/simulator';
/** Hex digits after the prefix of a closing frame's uid (19 in all, like real uids). */
const CLOSER_UID_DIGITS = 16;
const SIM_STDERR_TAIL_CHARS = 2000;
const CHECKPOINT_BYTES_METRIC = /^uniqstream_checkpoint_bytes_total (\S+)$/m;

function flagValue(args: readonly string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at >= 0 && at + 1 < args.length ? args[at + 1]! : undefined;
}

function guaranteeOf(args: readonly string[]): string {
  return flagValue(args, GUARANTEE_FLAG) ?? AT_LEAST_ONCE;
}

/** The p99 a variant is held against: 250 ms at-least-once; exactly-once, results wait for the commit, so its
 * interval more. */
export function targetOf(args: readonly string[]): number {
  if (guaranteeOf(args) === AT_LEAST_ONCE) return TARGET_P99_MS;
  const interval = Number(flagValue(args, CHECKPOINT_INTERVAL_FLAG) ?? EXACTLY_ONCE_INTERVAL_SECONDS);
  return interval * MS_PER_SECOND + TARGET_P99_MS;
}

/** `service, --checkpoint-interval 0.2` -> `service-checkpoint-interval-0-2`: a headline key and part of topic
 * names that stays when variants are added. */
function slug(label: string): string {
  return label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** The variants the built service can run, and a note for each it cannot. */
export function variantsFor(help: string): { variants: Variant[]; notes: string[] } {
  const variants: Variant[] = [
    {
      id: slug(CLI_LABEL),
      label: CLI_LABEL,
      kind: 'cli',
      args: [],
      guarantee: AT_LEAST_ONCE,
      targetP99Ms: TARGET_P99_MS,
    },
  ];
  const notes: string[] = [];
  for (const v of SERVICE_VARIANTS) {
    const unknown = v.args.filter((arg) => arg.startsWith('--') && !help.includes(arg));
    if (unknown.length > 0) notes.push(`Not measured: ${v.label} (the built service has no ${unknown.join(', ')}).`);
    else
      variants.push({
        id: slug(v.label),
        label: v.label,
        kind: 'service',
        args: v.args,
        guarantee: guaranteeOf(v.args),
        targetP99Ms: targetOf(v.args),
      });
  }
  return { variants, notes };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Polls `done` until it is true, or throws after `timeoutMs`. */
async function waitFor(what: string, timeoutMs: number, done: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await done())) {
    if (performance.now() > deadline) throw new BenchError('TIMEOUT', `${what} within ${timeoutMs / MS_PER_SECOND} s`);
    await sleep(POLL_MS);
  }
}

/** The starts of the windows from the first to the last ts of the stream, and that last ts. */
function streamWindows(dataset: Dataset): { starts: number[]; lastTs: number } {
  const { firstTs, lastTs } = dataset.summary;
  if (firstTs === null || lastTs === null) throw new BenchError('BAD_INPUT', `${dataset.path} has no valid frame`);
  const starts: number[] = [];
  for (let start = firstTs - (firstTs % WINDOW_SECONDS); start <= lastTs; start += WINDOW_SECONDS) starts.push(start);
  return { starts, lastTs };
}

/**
 * Frames after the stream, per partition: ts from the stream's last + 1 up
 * to where every partition's watermark stands at `level`, one second apart,
 * so no counter holds them as a corrupt jump ahead.
 */
export function closingFrames(lastTs: number, partitions: number, level: number): Message[] {
  const messages: Message[] = [];
  for (let partition = 0; partition < partitions; partition++) {
    const uid = `c10${partition.toString(16).padStart(CLOSER_UID_DIGITS, '0')}`;
    for (let ts = lastTs + 1; ts <= level + MAX_DELAY; ts++)
      messages.push({ partition, value: JSON.stringify({ uid, ts }) });
  }
  return messages;
}

/** Replays the stream's file into `topic` at WALL_RATE frames/s through the simulator; resolves when it has sent
 * everything. */
async function replay(file: string, bootstrap: string, topic: string): Promise<void> {
  const child = spawn(
    SIM_BIN,
    ['replay', file, '--rate', String(WALL_RATE), '--to', `kafka://${bootstrap}/${topic}`, '-q'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => (stderr = (stderr + text).slice(-SIM_STDERR_TAIL_CHARS)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0)
    throw new BenchError('PROCESS_FAILED', `uniqstream-sim replay exited with ${String(code)}: ${stderr.trim()}`);
}

/** The input as the counters read it: watermark histories of the stream's frames, reference counts of every frame. */
interface Input {
  readonly histories: readonly WatermarkHistory[];
  readonly reference: ReadonlyMap<number, WindowCounts>;
  readonly arrival: Arrival;
}

/** Reads the input topic back: the stream is the records below `streamEnds`, the closing frames the rest. */
async function readInput(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  streamEnds: ReadonlyMap<number, number>,
  partitions: number,
): Promise<Input> {
  const histories = Array.from({ length: partitions }, () => new WatermarkHistory(MAX_DELAY));
  const users = new Map<number, Set<string>>();
  const frames = new Map<number, number>();
  const appended: number[] = [];
  await readTopic(kafka, admin, topic, (record) => {
    const frame = record.value === null ? null : referenceFrame(record.value);
    const inStream = record.offset < (streamEnds.get(record.partition) ?? 0);
    if (inStream) appended.push(record.timestampMs);
    if (frame === null) return;
    // The closing frames count, but the moments measured are the stream's own.
    if (inStream) histories[record.partition]!.observe(frame.ts, record.timestampMs);
    const start = frame.ts - (frame.ts % WINDOW_SECONDS);
    let set = users.get(start);
    if (set === undefined) users.set(start, (set = new Set()));
    set.add(frame.uid);
    frames.set(start, (frames.get(start) ?? 0) + 1);
  });
  appended.sort((a, b) => a - b);
  let largestGapMs = 0;
  for (let i = 1; i < appended.length; i++) largestGapMs = Math.max(largestGapMs, appended[i]! - appended[i - 1]!);
  const reference = new Map<number, WindowCounts>();
  for (const [start, set] of users) reference.set(start, { users: set.size, frames: frames.get(start) ?? 0 });
  const seconds = appended.length < 2 ? 0 : (appended.at(-1)! - appended[0]!) / MS_PER_SECOND;
  return { histories, reference, arrival: { frames: appended.length, seconds, largestGapMs } };
}

/** A counter at work on one topic, whatever its kind. */
interface Counter {
  readonly variant: Variant;
  readonly group: string;
  readonly results: string;
  readonly log: ResultLog;
  /** When its process was started and stopped (performance.now()), for its CPU share. */
  startedAt: number;
  stoppedAt?: number;
  service?: ServiceInstance;
  cli?: Promise<CliRun>;
  cliRun?: CliRun;
  failure?: string;
  cpuSeconds: number;
  /** Bytes of checkpoint records the service wrote. */
  checkpointBytes?: number;
}

function failureOf(counter: Counter): string | undefined {
  return counter.failure ?? counter.service?.failure();
}

/** Where one topic's run happens. */
interface Stage {
  readonly ctx: SuiteContext;
  readonly bootstrap: string;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly input: string;
  readonly label: string;
}

/**
 * Starts every counter on the empty input topic and waits until each holds
 * its partitions: the services first (they take longest to be ready), then
 * the CLI, whose --until-idle counts from its start. A counter that fails
 * or is not ready in time is noted and left out; the others go on.
 */
async function startCounters(stage: Stage, counters: readonly Counter[]): Promise<void> {
  const { bootstrap, input, admin } = stage;
  for (const c of counters.filter((x) => x.variant.kind === 'service')) {
    c.startedAt = performance.now();
    c.service = startService({
      bootstrap,
      topic: input,
      results: c.results,
      group: c.group,
      httpPort: await freePort(),
      args: [...COUNTING_ARGS, ...c.variant.args],
      label: c.variant.label,
    });
  }
  for (const c of counters.filter((x) => x.service !== undefined)) {
    await waitFor(
      `${c.variant.label} ready`,
      READY_TIMEOUT_MS,
      async () => failureOf(c) !== undefined || (await serviceReady(c.service!.httpPort)),
    ).catch(async (error: unknown) => {
      c.failure = messageOf(error);
      await stopProcess(c.service!.child);
    });
  }
  for (const c of counters.filter((x) => x.variant.kind === 'cli')) {
    c.startedAt = performance.now();
    const args = [
      '--from',
      `kafka://${bootstrap}/${input}`,
      '--to',
      `kafka://${bootstrap}/${c.results}`,
      '--group',
      c.group,
      '--from-beginning',
      '--until-idle',
      String(CLI_UNTIL_IDLE_SECONDS),
    ];
    c.cli = runCli([...args, ...COUNTING_ARGS, ...c.variant.args]);
    c.cli.then(
      (done) => (c.cliRun = done),
      (error: unknown) => (c.failure ??= messageOf(error)),
    );
    await waitFor(`${c.variant.label} in its group`, READY_TIMEOUT_MS, async () => {
      if (failureOf(c) !== undefined) return true;
      const group = (await admin.describeGroups([c.group])).groups[0];
      return group !== undefined && group.state === 'Stable' && group.members.length > 0;
    }).catch((error: unknown) => {
      c.failure ??= messageOf(error);
    });
  }
  for (const c of counters)
    if (failureOf(c) !== undefined) stage.ctx.log(`${stage.label}: ${c.variant.label} failed: ${failureOf(c)}`);
}

/**
 * The stream through the simulator, then the closing frames. Returns the
 * stream's end offset per partition (the closing frames come after) and
 * how many closing frames there were.
 */
async function sendInput(
  stage: Stage,
  dataset: Dataset,
  partitions: number,
  lastWindowEnd: number,
  lastTs: number,
): Promise<{ streamEnds: Map<number, number>; closers: number }> {
  const { ctx, kafka, admin, input } = stage;
  ctx.log(
    `${stage.label}: replaying ${dataset.frames.toLocaleString('en-US')} frames at ${WALL_RATE} ` +
      `frames/s (${(dataset.frames / WALL_RATE).toFixed(0)} s) into ${input}`,
  );
  await replay(dataset.path, stage.bootstrap, input);
  const streamEnds = new Map((await topicEnds(admin, input)).map((o) => [o.partition, Number(o.high)]));
  // Past the last window's end + allowed lateness: every window of the stream ends final.
  const closers = closingFrames(lastTs, partitions, lastWindowEnd + ALLOWED_LATENESS);
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    await producer.send({ topic: input, acks: -1, messages: closers });
  } finally {
    await producer.disconnect();
  }
  return { streamEnds, closers: closers.length };
}

/** Waits for every counter's final results of the stream's windows (what arrived is checked either way), then
 * stops the counters. */
async function stopCounters(stage: Stage, counters: readonly Counter[], starts: readonly number[]): Promise<void> {
  stage.ctx.log(
    `${stage.label}: stream sent; waiting for every counter's final results of its ${starts.length} windows`,
  );
  await waitFor('final results of every window from every counter', FINALS_TIMEOUT_MS, () =>
    counters.every((c) => failureOf(c) !== undefined || c.log.hasFinals(starts)),
  ).catch((error: unknown) => {
    stage.ctx.log(`${stage.label}: ${messageOf(error)}; checking what arrived`);
  });
  for (const c of counters) {
    if (c.service === undefined) continue;
    // Read before it exits: /proc forgets a process once it is reaped.
    c.cpuSeconds = cpuOf(c.service.child.pid);
    c.checkpointBytes = await metric(c.service.httpPort, CHECKPOINT_BYTES_METRIC);
    c.stoppedAt = performance.now();
    await stopProcess(c.service.child);
  }
  for (const c of counters) {
    if (c.cli === undefined) continue;
    // --until-idle ends it once the input is quiet.
    await c.cli.catch(() => undefined);
    c.stoppedAt = performance.now();
    c.cpuSeconds = c.cliRun?.usage?.cpuSeconds ?? 0;
  }
}

/** The measured windows' moments: could be known, and the first result readable. */
function firstResults(log: ResultLog, windows: readonly WindowMoments[], readable: Readable): FirstResultMoment[] {
  const out: FirstResultMoment[] = [];
  for (const w of windows) {
    const first = log.first(w.start);
    if (w.knownMs === undefined || first === undefined) continue;
    out.push({
      end: w.end,
      knownMs: w.knownMs,
      readableMs: readable === 'appended' ? first.appendedMs : first.receivedMs,
    });
  }
  return out;
}

/** One topic of `partitions` partitions: the stream replayed into it while every variant counts it. */
async function runTopic(
  ctx: SuiteContext,
  broker: BenchBroker,
  kafka: Kafka,
  admin: Admin,
  dataset: Dataset,
  partitions: number,
  variants: readonly Variant[],
): Promise<TopicRun> {
  const { starts, lastTs } = streamWindows(dataset);
  const input = `uniqstream-bench-latency-${partitions}p-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const stage: Stage = { ctx, bootstrap: broker.bootstrap, kafka, admin, input, label: `${ID} ${partitions}p` };
  const counters: Counter[] = variants.map((variant) => ({
    variant,
    group: `${input}-${variant.id}`,
    results: `${input}-${variant.id}.results`,
    log: new ResultLog(),
    startedAt: performance.now(),
    cpuSeconds: 0,
  }));
  const byResults = new Map(counters.map((c) => [c.results, c]));
  const logAppendTime = { name: 'message.timestamp.type', value: 'LogAppendTime' };
  let follower: Follower | undefined;
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: input, numPartitions: partitions, configEntries: [logAppendTime] },
        // As the counters would create them (compacted, 1 partition), with the append time in each record.
        ...counters.map((c) => ({
          topic: c.results,
          numPartitions: 1,
          configEntries: [logAppendTime, { name: 'cleanup.policy', value: 'compact' }],
        })),
      ],
    });
    // The partials with their append times: when the merge could publish each window.
    for (const c of counters.filter((x) => x.variant.kind === 'service'))
      await createStateTopics(admin, c.group, partitions, [logAppendTime]);
    follower = await followTopics(
      kafka,
      counters.map((c) => c.results),
      (record) => {
        const result = parseResult(record.value);
        if (result === null || result.window !== 'minute') return;
        byResults
          .get(record.topic)
          ?.log.add({ ...result, receivedMs: record.receivedMs, appendedMs: record.timestampMs });
      },
    );
    await startCounters(stage, counters);
    const sent = await sendInput(stage, dataset, partitions, starts.at(-1)! + WINDOW_SECONDS, lastTs);
    await stopCounters(stage, counters, starts);
    await follower.stop();

    ctx.log(`${stage.label}: reading ${input} back`);
    const read = await readInput(kafka, admin, input, sent.streamEnds, partitions);
    if (read.arrival.frames !== dataset.frames)
      throw new BenchError(
        'BAD_INPUT',
        `${input} holds ${read.arrival.frames} frames of the stream, ${dataset.frames} were replayed`,
      );
    const windows: WindowMoments[] = starts.slice(WARMUP_WINDOWS).map((start) => ({
      start,
      end: start + WINDOW_SECONDS,
      knownMs: topicReachedAt(read.histories, start + WINDOW_SECONDS),
      finalKnownMs: topicReachedAt(read.histories, start + WINDOW_SECONDS + ALLOWED_LATENESS),
    }));
    const topicFrames = read.arrival.frames + sent.closers;
    const timelines = new Map<Counter, PartialsTimeline>();
    for (const c of counters.filter((x) => x.variant.kind === 'service' && failureOf(x) === undefined)) {
      const timeline = new PartialsTimeline(partitions);
      await readTopic(kafka, admin, stateTopics(c.group).partials, (record) =>
        timeline.add(record.key?.toString('utf8') ?? null, record.value, record.timestampMs),
      );
      timelines.set(c, timeline);
    }
    const runs: VariantRun[] = counters.map((c) => {
      const failure = failureOf(c);
      const lifeSeconds = c.stoppedAt === undefined ? 0 : (c.stoppedAt - c.startedAt) / MS_PER_SECOND;
      const base = {
        variant: c.variant,
        records: c.log.records,
        cpuSeconds: c.cpuSeconds,
        lifeSeconds,
        ...(c.checkpointBytes === undefined ? {} : { checkpointBytes: c.checkpointBytes }),
      };
      if (failure !== undefined) return { ...base, figures: undefined, failure };
      const readable = c.variant.guarantee === AT_LEAST_ONCE ? 'appended' : 'received';
      const figures = measureLatency(c.log, windows, read.reference, starts, readable);
      // The CLI says how many frames it read: the whole topic, closing frames included.
      const cliFrames = c.cliRun?.frames;
      const misread =
        cliFrames !== undefined && cliFrames !== topicFrames
          ? [`read ${cliFrames} frames, the topic holds ${topicFrames}`]
          : [];
      const timeline = timelines.get(c);
      const steps = timeline === undefined ? undefined : waitSteps(timeline, firstResults(c.log, windows, readable));
      return {
        ...base,
        figures: { ...figures, problems: [...misread, ...figures.problems] },
        failure: undefined,
        ...(steps === undefined ? {} : { steps }),
      };
    });
    return {
      partitions,
      variants: runs,
      arrival: read.arrival,
      streamWindows: starts.length,
      measured: windows.filter((w) => w.knownMs !== undefined).length,
    };
  } finally {
    await follower?.stop().catch(() => undefined);
    for (const c of counters) if (c.service !== undefined) await stopProcess(c.service.child).catch(() => undefined);
    await Promise.all(counters.map((c) => c.cli?.catch(() => undefined)));
    const existing = new Set(await admin.listTopics());
    const topics = [
      input,
      ...counters.flatMap((c) => [c.results, stateTopics(c.group).partials, stateTopics(c.group).checkpoints]),
    ].filter((t) => existing.has(t));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.deleteGroups(counters.flatMap((c) => [c.group, `${c.group}.merge`])).catch(() => undefined);
  }
}

async function measure(ctx: SuiteContext): Promise<SuiteReport> {
  const { variants, notes: left } = variantsFor(consumerHelp());
  const seconds = ctx.quick ? QUICK_SECONDS : FULL_SECONDS;
  const stream = { ...realisticStream(seconds * WALL_RATE), rate: EVENT_RATE, bitflipFraction: 0 };
  const dataset = ensureDataset(ctx.workDir, stream, { windows: false, log: (m) => ctx.log(`${ID}: ${m}`) });
  const { broker, kafka, admin } = await connectBenchKafka(ctx.log);
  const loadAtStart = loadavg();
  try {
    const topics: TopicRun[] = [];
    for (const partitions of PARTITION_COUNTS)
      topics.push(await runTopic(ctx, broker, kafka, admin, dataset, partitions, variants));
    for (const t of topics) {
      for (const r of t.variants) {
        const q = r.figures === undefined ? undefined : quantilesOf(r.figures.firstResultMs);
        const figures = q === undefined ? whyNot(r) : describeQuantiles(q);
        const unsound = sound(r) === undefined && q !== undefined ? `, ${whyNot(r)}` : '';
        ctx.log(`${ID}: ${t.partitions}p ${r.variant.label}: ${figures}${unsound}`);
      }
    }
    return latencyReport(
      {
        id: ID,
        title: TITLE,
        wallRate: WALL_RATE,
        eventRate: EVENT_RATE,
        windowSeconds: WINDOW_SECONDS,
        maxDelay: MAX_DELAY,
        allowedLateness: ALLOWED_LATENESS,
        warmupWindows: WARMUP_WINDOWS,
        targetP99Ms: TARGET_P99_MS,
        countingArgs: COUNTING_ARGS,
        frames: dataset.frames,
        broker: broker.description,
        loadAtStart,
        loadAtEnd: loadavg(),
        left,
      },
      variants,
      topics,
    );
  } finally {
    await admin.disconnect();
  }
}

export const latencySuite: Suite = async (ctx) => {
  ctx.log(`${ID}: building the simulator (${buildCommand(SIM_PACKAGE)})`);
  if (!buildPackage(SIM_PACKAGE))
    ctx.log(`${ID}: the simulator's build failed; using the one in apps/simulator/dist, if any`);
  buildConsumer(ctx.log, ID);
  if (!consumerBuilt()) {
    const reason =
      `apps/consumer/dist/main.js is missing: build the consumer service first ` +
      `(${buildCommand(CONSUMER_PACKAGE)}).`;
    return { id: ID, title: TITLE, tables: [], notes: [`Skipped: ${reason}`], skipped: reason };
  }
  return measure(ctx);
};
