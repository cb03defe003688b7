import { createHash } from 'node:crypto';
import {
  CountingEngine,
  runPipeline,
  type DecodedFrame,
  type FrameBatch,
  type FrameDecoder,
  type ResultSink,
  type Source,
  type WindowResult,
} from '@uniqstream/core';
import { TestKafka, uniqueName } from '@uniqstream/kafka-local';
import { referenceCounts as referenceCountsOf, referenceFrame, type Counts } from '@uniqstream/reference';
import { expect } from 'vitest';
import { openKafkaSource, type KafkaSourceOptions } from '../../src/kafka-source.js';
import { MIN_BUDGET_BYTES } from '../../src/kafka-buffers.js';

/*
 * What a Kafka -> count -> Kafka test needs besides the source under test:
 * frames, the exact reference (JSON.parse and a Set per window), a decoder
 * and a result sink of its own. @uniqstream/sources must not depend on the
 * frames or sinks packages, and they are not under test here.
 */

const T0 = 1468244340;
/** ~50 frames a fetch per partition and 64 KiB between the threads: the reader is often held back. */
export const SMALL_FETCH = 16 * 1024;
const MINUTE = 60;
const USERS = 700;

/**
 * Frame `i` of a test stream: about 1 s of event time per `perSecond`
 * frames (in order, so nothing is late), sizes from ~60 to ~900 bytes, a
 * nested decoy `uid`, a ts now and then as a string; some damage: now and
 * then a tombstone (null), a truncated frame, a frame without uid, and
 * invalid UTF-8.
 */
export function testFrame(i: number, perSecond: number): Buffer | null {
  if (i % 211 === 17) return null;
  const uid = (((i * 2654435761) % USERS) >>> 0).toString(16).padStart(19, '0');
  const ts = T0 + Math.floor(i / perSecond);
  const pad = 'lorem ipsum "quoted" Свобода 🙂 '.repeat(i % 23);
  const tsField = i % 13 === 5 ? `"${ts}"` : String(ts);
  const padField = JSON.stringify(pad);
  const json = `{"a":${i % 7},"nested":{"uid":"decoy${i}"},"uid":"${uid}","pad":${padField},"ts":${tsField}}`;
  if (i % 157 === 9) return Buffer.from(json.slice(0, json.length >> 1));
  if (i % 173 === 3) return Buffer.from(json.replace(`"uid":"${uid}",`, ''));
  if (i % 191 === 11) return Buffer.concat([Buffer.from(json), Buffer.from([0xff, 0xfe])]);
  return Buffer.from(json);
}

/** Minute window start -> distinct uids and frames, over the valid frames (null: a tombstone). */
export function referenceCounts(frames: Iterable<Buffer | null>): Map<number, Counts> {
  return referenceCountsOf(
    [...frames].filter((frame): frame is Buffer => frame !== null),
    MINUTE,
  );
}

/** A slow, obviously right decoder: JSON.parse, and the uid's SHA-1 as its 64-bit hash. */
const jsonDecoder: FrameDecoder = {
  name: 'json-test',
  decode(frame: Uint8Array, out: DecodedFrame): string | null {
    if (frame.length === 0) return 'empty';
    const parsed = referenceFrame(frame);
    if (parsed === null) return 'malformed';
    const hash = createHash('sha1').update(parsed.uid).digest();
    out.uidHi = hash.readUInt32BE(0);
    out.uidLo = hash.readUInt32BE(4);
    out.ts = parsed.ts;
    return null;
  },
};

/** Writes every result as JSON to `topic`, keyed `window:start`, acknowledged by all replicas on flush. */
class KafkaTestSink implements ResultSink {
  private pending: WindowResult[] = [];

  constructor(
    private readonly kafka: TestKafka,
    private readonly topic: string,
  ) {}

  write(results: readonly WindowResult[]): void {
    this.pending.push(...results);
  }

  async flush(): Promise<void> {
    const results = this.pending;
    this.pending = [];
    if (results.length === 0) return;
    await this.kafka.produce(
      this.topic,
      results.map((r) => ({ key: `${r.window}:${r.start}`, value: JSON.stringify(r) })),
    );
  }

  async close(): Promise<void> {
    await this.flush();
    await this.kafka.close();
  }
}

/** The last result of every window, as a compacted topic would keep it. */
export function latestByWindow(
  records: readonly { key: string | null; value: Buffer | null }[],
): Map<number, WindowResult> {
  const latest = new Map<number, WindowResult>();
  for (const record of records) {
    const result = JSON.parse(record.value!.toString()) as WindowResult;
    const before = latest.get(result.start);
    if (before === undefined || result.revision >= before.revision) latest.set(result.start, result);
  }
  return latest;
}

/** Final counts per window start, to hold against referenceCounts. */
export function finalCounts(latest: ReadonlyMap<number, WindowResult>): Map<number, Counts> {
  return new Map(
    [...latest].filter(([, r]) => r.final).map(([start, r]) => [start, { users: r.users, frames: r.frames }]),
  );
}

/**
 * Ends the pipeline's input once `expected` frames went through and then
 * `ticks` idle batches in a row came: frames after the expected ones are
 * counted in `extra` (a record handed on twice shows there), not passed on.
 */
export class Expecting implements Source {
  readonly name: string;
  seen = 0;
  extra = 0;

  constructor(
    private readonly inner: Source,
    private readonly expected: number,
    private readonly ticks = 2,
  ) {
    this.name = inner.name;
  }

  async *batches(signal?: AbortSignal): AsyncGenerator<FrameBatch> {
    let idle = 0;
    for await (const batch of this.inner.batches(signal)) {
      if (this.seen >= this.expected) {
        this.extra += batch.frames.length;
        idle = batch.frames.length === 0 ? idle + 1 : 0;
        if (idle >= this.ticks) return;
        continue;
      }
      this.seen += batch.frames.length;
      yield batch;
    }
  }

  commit(positions: ReadonlyMap<number, number>): Promise<void> {
    return this.inner.commit?.(positions) ?? Promise.resolve();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface CountRun {
  readonly lines: string[];
  readonly extra: number;
  readonly group: string;
}

/** Reads `expected` frames of `input` through the pipeline into `output`, then checks for strays. */
export async function countThrough(
  bootstrap: string,
  input: string,
  output: string,
  expected: number,
  options: Partial<KafkaSourceOptions>,
  whileRunning?: (source: Expecting) => Promise<void>,
): Promise<CountRun> {
  const lines: string[] = [];
  const group = uniqueName('g');
  const inner = openKafkaSource({
    brokers: [bootstrap],
    topic: input,
    group,
    fromBeginning: true,
    log: (level, line) => lines.push(`${level} ${line}`),
    maxBytesPerPartition: SMALL_FETCH,
    workerBufferBytes: MIN_BUDGET_BYTES,
    ...options,
  });
  const source = new Expecting(inner, expected);
  const sink = new KafkaTestSink(new TestKafka({ bootstrap }), output);
  try {
    const running = runPipeline({
      source,
      decoder: jsonDecoder,
      // Nothing is late: every window stays open until the input ends, then each gets its final result.
      engine: new CountingEngine({ windows: ['minute'], maxDelay: 3600, allowedLateness: 0 }),
      sink,
      now: () => performance.now(),
      commitIntervalMs: 200,
    });
    await whileRunning?.(source);
    const summary = await running;
    expect(summary.frames).toBe(expected);
    expect(summary.stopReason).toBe('end-of-input');
  } finally {
    await Promise.allSettled([source.close(), sink.close()]);
  }
  return { lines, extra: source.extra, group };
}
