import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTruthRecord, type TruthSummary, type TruthWindow } from '@uniqstream/generator';
import { startBroker, stopBroker, SuiteBroker, uniqueName } from '@uniqstream/kafka-local';
import { referenceFrame } from '@uniqstream/reference';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sim, start, type Running } from '../support/bin.js';
import { splitLines, utcWindowStart, WINDOWS } from '../support/reference.js';

/**
 * A broker of this suite's own, stopped and started again mid-run: doing
 * that to the shared one on 9092 would break other packages' suites (see
 * tools/kafka/README.md). Its own port, apart from the CLI's (19192) and the
 * sources' (19292) restart suites.
 */
const PORT = Number(process.env.UNIQSTREAM_SIM_RESTART_PORT ?? 19392);
const broker = new SuiteBroker(PORT);
const quiet = { port: PORT, log: () => undefined };
/** Records in the topic before the broker goes away: the run is well under way. */
const BEFORE_OUTAGE = 400;
const OUTAGE_MS = 5_000;
/** Stops a wait that hangs; nothing here is timed. */
const HANG_MS = 180_000;
/**
 * 200 frames/s (sent in real time); late and malformed frames and string
 * ts, but no bitflips: a bitflipped frame is valid JSON that docs/frames.md
 * counts in no window, which no recount of the topic can tell.
 */
const STREAM = [
  '--seed',
  '21',
  '--rate',
  '200',
  '--frame-bytes',
  '300',
  '--late-fraction',
  '0.05',
  '--malformed-fraction',
  '0.01',
  '--ts-string-fraction',
  '0.02',
];
/** Bytes per send: the frames one unacknowledged send can hold are few. */
const BATCH_BYTES = 32 * 1024;
const FRAMES_PER_SEND = Math.ceil(BATCH_BYTES / 300);

beforeAll(() => broker.start());
afterAll(() => broker.stop());

/** Waits for `condition` while the simulator runs; fails at once if it ends first. */
async function until(run: Running, condition: () => Promise<boolean>, what: string): Promise<void> {
  let ended = false;
  void run.done.then(() => {
    ended = true;
  });
  const deadline = performance.now() + HANG_MS;
  while (!(await condition().catch(() => false))) {
    if (ended) throw new Error(`the simulator ended before ${what}: ${run.stderr().slice(-1000)}`);
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function recordsIn(topic: string): Promise<number> {
  let sum = 0;
  for (const end of (await broker.kafka.endOffsets(topic)).values()) sum += end;
  return sum;
}

async function finished(run: Running): Promise<{ status: number | null; stderr: string }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      run.kill();
      reject(new Error(`the simulator did not end: ${run.stderr().slice(-1000)}`));
    }, HANG_MS);
  });
  try {
    return await Promise.race([run.done, hang]);
  } finally {
    clearTimeout(timer);
  }
}

function readTruth(path: string): { windows: TruthWindow[]; summary: TruthSummary } {
  const records = readFileSync(path, 'utf8').trimEnd().split('\n').map(parseTruthRecord);
  const summary = records.at(-1);
  if (summary?.type !== 'summary') throw new Error(`${path} does not end in a summary`);
  return { windows: records.filter((r): r is TruthWindow => r.type === 'window'), summary };
}

/** Every window's users and frames, recounted from frames with tools/reference: `minute:1468244340` -> counts. */
function recount(frames: readonly Buffer[]): Map<string, { users: number; frames: number }> {
  const uids = new Map<string, Set<string>>();
  const counts = new Map<string, number>();
  for (const bytes of frames) {
    const frame = referenceFrame(bytes);
    if (frame === null) continue;
    for (const window of WINDOWS) {
      const key = `${window}:${utcWindowStart(frame.ts, window)}`;
      uids.set(key, (uids.get(key) ?? new Set()).add(frame.uid));
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return new Map([...uids].map(([key, set]) => [key, { users: set.size, frames: counts.get(key) ?? 0 }]));
}

function truthCounts(windows: readonly TruthWindow[]): Map<string, { users: number; frames: number }> {
  return new Map(windows.map((w) => [`${w.window}:${w.start}`, { users: w.users, frames: w.frames }]));
}

const sortedHex = (values: readonly Buffer[]): string[] => values.map((v) => v.toString('hex')).sort();

/** The lines of stderr that kafkajs wrote (its namespaces), rather than the simulator. */
const KAFKAJS_LINE = /^uniqstream-sim: (connection|brokerpool|producer|cluster|admin): /m;

describe('uniqstream-sim --realtime --to kafka:// while the broker goes away', () => {
  it(
    'keeps its frames through a short outage, says so once, and ends with the topic holding exactly ' +
      'the stream its truth counts',
    async () => {
      const topic = uniqueName('sim-outage');
      broker.kafka.track({ topics: [topic] });
      const truthPath = join(mkdtempSync(join(tmpdir(), 'sim-outage-')), 'truth.jsonl');
      const args = [...STREAM, '--frames', '3000'];
      const run = start([
        ...args,
        '--realtime',
        '--to',
        `kafka://127.0.0.1:${PORT}/${topic}`,
        '--partitions',
        '2',
        '--batch-bytes',
        String(BATCH_BYTES),
        '--truth',
        truthPath,
      ]);

      await until(run, async () => (await recordsIn(topic)) >= BEFORE_OUTAGE, `${BEFORE_OUTAGE} records in ${topic}`);
      await stopBroker(quiet);
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      await startBroker(quiet);
      const result = await finished(run);

      expect(result.status, result.stderr).toBe(0);
      expect(
        result.stderr.match(
          /^uniqstream-sim: lost Kafka at .* while writing frames \(.*\); keeping them and retrying for up to 300 s$/gm,
        ),
        result.stderr,
      ).toHaveLength(1);
      expect(
        result.stderr.match(/^uniqstream-sim: Kafka at .* acknowledges frames again, after \d+\.\d s$/gm),
        result.stderr,
      ).toHaveLength(1);
      expect(result.stderr).not.toMatch(KAFKAJS_LINE);
      expect(result.stderr).not.toMatch(/^\s+at /m);

      // Every frame of the stream is in the topic exactly once (a send
      // retried after the outage is not written twice) ...
      const lines = splitLines(sim([...args, '--quiet']).stdout);
      const values = (await broker.kafka.read(topic)).map((r) => r.value ?? Buffer.alloc(0));
      expect(values.length).toBe(lines.length);
      expect(sortedHex(values)).toEqual(sortedHex(lines));
      // ... and the truth counts exactly what the topic holds.
      const truth = readTruth(truthPath);
      expect(truth.summary.frames).toBe(values.length);
      expect(truthCounts(truth.windows)).toEqual(recount(values));
    },
  );

  it(
    'gives up once the broker stays away past --kafka-outage: exit 1 with one line, and the truth ' +
      'counts only the acknowledged frames',
    async () => {
      const topic = uniqueName('sim-gone');
      broker.kafka.track({ topics: [topic] });
      const truthPath = join(mkdtempSync(join(tmpdir(), 'sim-gone-')), 'truth.jsonl');
      const args = [...STREAM, '--frames', '20000'];
      const run = start([
        ...args,
        '--realtime',
        '--to',
        `kafka://127.0.0.1:${PORT}/${topic}`,
        '--partitions',
        '2',
        '--batch-bytes',
        String(BATCH_BYTES),
        '--truth',
        truthPath,
        '--kafka-outage',
        '5',
      ]);

      await until(run, async () => (await recordsIn(topic)) >= BEFORE_OUTAGE, `${BEFORE_OUTAGE} records in ${topic}`);
      await stopBroker(quiet);
      const result = await finished(run);
      await startBroker(quiet);

      expect(result.status, result.stderr).toBe(1);
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines.at(-1)).toMatch(
        new RegExp(
          '^uniqstream-sim: cannot write frames to Kafka at 127\\.0\\.0\\.1:\\d+: no acknowledgement for 5 s: ' +
            '.+ \\(see --kafka-outage\\)$',
        ),
      );
      expect(lines.filter((line) => line.includes('lost Kafka at'))).toHaveLength(1);
      expect(result.stderr).not.toMatch(KAFKAJS_LINE);
      expect(result.stderr).not.toMatch(/^\s+at /m);

      // The truth counts the frames the broker acknowledged: the first N of
      // the stream, all in the topic. The topic may also hold part of the one
      // send the broker wrote but could not acknowledge as it stopped.
      const truth = readTruth(truthPath);
      const stream = splitLines(sim([...args, '--quiet']).stdout);
      const acknowledged = stream.slice(0, truth.summary.frames);
      expect(truth.summary.frames).toBeGreaterThanOrEqual(BEFORE_OUTAGE);
      expect(truth.summary.frames).toBeLessThan(stream.length);
      expect(truthCounts(truth.windows)).toEqual(recount(acknowledged));
      const inTopic = new Map<string, number>();
      for (const record of await broker.kafka.read(topic)) {
        const hex = (record.value ?? Buffer.alloc(0)).toString('hex');
        inTopic.set(hex, (inTopic.get(hex) ?? 0) + 1);
      }
      const take = (frame: Buffer): boolean => {
        const left = inTopic.get(frame.toString('hex')) ?? 0;
        if (left === 0) return false;
        inTopic.set(frame.toString('hex'), left - 1);
        return true;
      };
      expect(acknowledged.filter((frame) => !take(frame))).toEqual([]);
      stream.slice(truth.summary.frames, truth.summary.frames + FRAMES_PER_SEND).filter(take);
      expect([...inTopic.values()].every((left) => left === 0)).toBe(true);
    },
  );
});
