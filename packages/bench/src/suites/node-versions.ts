/**
 * The CLI run by Node 24 beside the bench's own Node (20), in the same run
 * (issue 15): two figures other suites measure, each as one round-robin
 * comparison of the two binaries (A B A B ...):
 *   - end to end: `uniqstream count FILE --windows minute --method exact`
 *     on the e2e suite's stream and sizes (1M frames of ~2 KB; quick 100k),
 *     frames/s from the CLI's summary, CPU and peak RSS from GNU time;
 *   - Kafka -> Kafka: the scale-out suite's case (a), `uniqstream count
 *     --from kafka://... --to kafka://...`, on the kafka suites' 1-partition
 *     topic, timed as that suite times it (first input bytes read to results
 *     acknowledged; CPU and peak RSS from /proc).
 * Both binaries run the same apps/cli/dist/main.js. Node 24 comes from
 * tools/node/fetch.sh (the npm registry's official build, cached in
 * .cache/node). Every run must count what the first counted: the Node
 * version may change the speed, never the counts.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { connectBenchKafka } from '../broker.js';
import { CliCases, type CliRun } from '../cli-run.js';
import { ensureDataset, warmPageCache } from '../dataset.js';
import { MB, runLogger, si } from '../format.js';
import { compare, type BenchCase, type Suite, type SuiteContext } from '../harness.js';
import { ensureKafkaInput, topicEnds } from '../kafka-input.js';
import { NODE_FETCH } from '../paths.js';
import { realisticStream } from '../streams.js';
import { FULL_FRAMES, QUICK_FRAMES } from './e2e.js';
import {
  agreedSummary,
  binaryName,
  nodeLabel,
  nodeVersionsReport,
  type NodeBinary,
  type PathResult,
  type VersionRun,
} from './node-versions-report.js';
import { CASES, cliRun, type CliCaseRun, type Stage } from './scale-out.js';

const ID = 'node-versions';
const TITLE = 'Node 24 beside Node 20: end to end and Kafka -> Kafka through the CLI';
/** Held against the bench's own Node. */
const OTHER_MAJOR = 24;
/** The e2e suite's headline case. */
const E2E_ARGS = ['--windows', 'minute', '--method', 'exact'] as const;
const KAFKA_PARTITIONS = 1;
/**
 * One unmeasured run per binary: its first start reads the binary (about
 * 100 MB) from disk, and the first Kafka run meets a cold broker.
 */
const WARMUP = 1;
const MILLION = 1e6;

/** The `node` of `major`, as tools/node/fetch.sh finds or fetches it. */
function fetchNode(major: number): string {
  const printed = execFileSync('sh', [NODE_FETCH, String(major)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return join(printed.trim().split('\n').at(-1) ?? '', 'node');
}

function describeNode(path: string): NodeBinary {
  const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
  return { label: nodeLabel(version), version, path };
}

function fileRun(run: CliRun): VersionRun {
  return {
    framesPerSecond: run.framesPerSecond,
    cpuSecondsPerMillion: run.usage === null ? undefined : (MILLION * run.usage.cpuSeconds) / run.frames,
    peakRssMb: run.usage === null ? undefined : run.usage.peakRssBytes / MB,
  };
}

async function endToEnd(ctx: SuiteContext, binaries: readonly [NodeBinary, NodeBinary]): Promise<PathResult> {
  const frames = ctx.quick ? QUICK_FRAMES : FULL_FRAMES;
  const data = ensureDataset(ctx.workDir, realisticStream(frames), { log: (m) => ctx.log(`${ID}: ${m}`) });
  warmPageCache(data.path);
  ctx.log(`${ID}: end to end, ${frames.toLocaleString('en-US')} frames, ${(data.bytes / MB).toFixed(0)} MB`);
  const cli = new CliCases();
  const cases = binaries.map((binary) => cli.case(binaryName(binary), [...E2E_ARGS, data.path], { node: binary.path }));
  await compare(cases, {
    unit: 'frames/s',
    runs: ctx.runs,
    warmup: WARMUP,
    onRun: runLogger(ctx.log, `${ID} e2e`, ctx.runs, 'frames/s', (name) => cli.describeLast(name)),
  });
  const counted = agreedSummary(
    `uniqstream count ${data.path}`,
    binaries.flatMap((binary) =>
      cli.all(binaryName(binary)).map((summary) => ({ binary: binaryName(binary), summary })),
    ),
  );
  const runsOf = (binary: NodeBinary): VersionRun[] => cli.all(binaryName(binary)).slice(-ctx.runs).map(fileRun);
  return {
    key: 'e2e',
    label: 'End to end',
    what: `uniqstream count FILE ${E2E_ARGS.join(' ')}, ${frames.toLocaleString('en-US')} frames of ~2 KB`,
    sources: {
      speed: "from the CLI's summary: its pipeline, without Node's start-up",
      usage: 'GNU time, the whole process',
    },
    runs: [runsOf(binaries[0]), runsOf(binaries[1])],
    counted,
  };
}

function kafkaRun(run: CliCaseRun, frames: number): VersionRun {
  return {
    framesPerSecond: frames / run.seconds,
    cpuSecondsPerMillion: (MILLION * run.cpuSeconds) / frames,
    peakRssMb: (run.peakRssBytes[0] ?? 0) / MB,
  };
}

/** Undefined, with a note saying why, when no broker could be had. */
async function kafkaToKafka(
  ctx: SuiteContext,
  binaries: readonly [NodeBinary, NodeBinary],
  notes: string[],
): Promise<PathResult | undefined> {
  const frames = ctx.quick ? QUICK_FRAMES : FULL_FRAMES;
  let connected: Awaited<ReturnType<typeof connectBenchKafka>>;
  try {
    connected = await connectBenchKafka(ctx.log);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    ctx.log(`${ID}: Kafka -> Kafka skipped: no broker (${reason})`);
    notes.push(`Kafka -> Kafka not measured: no broker could be reached or started (${reason}).`);
    return undefined;
  }
  const { broker, kafka, admin } = connected;
  try {
    // The kafka and scale-out suites' topic of this size: whichever suite runs first produces it.
    const topic = `uniqstream-bench-${KAFKA_PARTITIONS}p-${frames}`;
    const bytes = await ensureKafkaInput({
      admin,
      kafka,
      topic,
      partitions: KAFKA_PARTITIONS,
      frames,
      workDir: ctx.workDir,
      label: ID,
      log: ctx.log,
    });
    const ends = new Map([[topic, new Map((await topicEnds(admin, topic)).map((o) => [o.partition, Number(o.high)]))]]);
    const stage: Stage = { bootstrap: broker.bootstrap, kafka, admin, frames, frameBytes: bytes, ends };
    const spec = CASES.find((c) => c.kind === 'cli');
    if (spec === undefined) throw new Error('the scale-out suite has no CLI case');
    const runs = new Map<string, CliCaseRun[]>();
    const cases: BenchCase[] = binaries.map((binary) => ({
      name: binaryName(binary),
      run: async () => {
        const run = await cliRun(stage, spec, topic, KAFKA_PARTITIONS, { node: binary.path });
        runs.set(binaryName(binary), [...(runs.get(binaryName(binary)) ?? []), run]);
        return frames / run.seconds;
      },
    }));
    await compare(cases, {
      unit: 'frames/s',
      runs: ctx.runs,
      warmup: WARMUP,
      onRun: (name, run, value) => {
        const last = runs.get(name)?.at(-1);
        const detail = last === undefined ? '' : `, peak RSS ${((last.peakRssBytes[0] ?? 0) / MB).toFixed(0)} MB`;
        ctx.log(`${ID} kafka: ${name} run ${run + 1}/${ctx.runs}: ${si(value)} frames/s${detail}`);
      },
    });
    const all = (binary: NodeBinary): CliCaseRun[] => runs.get(binaryName(binary)) ?? [];
    const counted = agreedSummary(
      `uniqstream count --from kafka://${broker.bootstrap}/${topic}`,
      binaries.flatMap((binary) => all(binary).map((run) => ({ binary: binaryName(binary), summary: run.summary }))),
    );
    const runsOf = (binary: NodeBinary): VersionRun[] =>
      all(binary)
        .slice(-ctx.runs)
        .map((run) => kafkaRun(run, frames));
    notes.push(
      `Kafka -> Kafka: ${frames.toLocaleString('en-US')} frames of ${(bytes / frames).toFixed(0)} bytes on average ` +
        `in ${topic} (${KAFKA_PARTITIONS} partition); broker: ${broker.description}, same machine.`,
    );
    return {
      key: 'kafka',
      label: 'Kafka -> Kafka',
      what:
        `uniqstream count --from kafka://.../${topic} --to kafka://... (the scale-out suite's case (a)), ` +
        `${frames.toLocaleString('en-US')} frames`,
      sources: {
        speed: 'first input bytes read to the results acknowledged',
        usage: 'the CLI process over the same span, from /proc',
      },
      runs: [runsOf(binaries[0]), runsOf(binaries[1])],
      counted,
    };
  } finally {
    await admin.disconnect();
  }
}

export const nodeVersionsSuite: Suite = async (ctx) => {
  const baseline = describeNode(process.execPath);
  let other: NodeBinary;
  try {
    other = describeNode(fetchNode(OTHER_MAJOR));
  } catch (error) {
    const detail = (error as { stderr?: unknown }).stderr;
    const reason =
      `no Node ${OTHER_MAJOR} (sh tools/node/fetch.sh ${OTHER_MAJOR} failed: ` +
      `${String(detail ?? (error instanceof Error ? error.message : error)).trim()})`;
    return { id: ID, title: TITLE, tables: [], notes: [`Skipped: ${reason}.`], skipped: reason };
  }
  if (other.label === baseline.label) {
    const reason = `the bench itself runs on ${baseline.version}: run it with Node 20 to compare`;
    return { id: ID, title: TITLE, tables: [], notes: [`Skipped: ${reason}.`], skipped: reason };
  }
  ctx.log(`${ID}: ${binaryName(baseline)} at ${baseline.path} vs ${binaryName(other)} at ${other.path}`);
  const binaries = [baseline, other] as const;
  const notes: string[] = [];
  const paths: PathResult[] = [await endToEnd(ctx, binaries)];
  const kafka = await kafkaToKafka(ctx, binaries, notes);
  if (kafka !== undefined) paths.push(kafka);
  return nodeVersionsReport({ id: ID, title: TITLE, baseline, other, notes }, paths);
};
