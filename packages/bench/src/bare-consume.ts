/**
 * The `kafka` suite's ceiling: a bare kafkajs consumer whose eachBatch only
 * touches every message (sums the value lengths), so what it measures is
 * kafkajs's own fetch and decode. Run on whichever thread calls it (the
 * suite's main thread, or bare-thread.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';

export interface FetchSettings {
  readonly maxBytesPerPartition: number;
  readonly maxBytes: number;
  readonly minBytes: number;
  readonly maxWaitTimeInMs: number;
}

export interface BareRun {
  /** Frames read: the ones asked for, and the rest of the batch that completed them. */
  readonly frames: number;
  /** First batch to the end, seconds. */
  readonly seconds: number;
  /** The process's CPU over the same span (all threads), seconds. */
  readonly cpuSeconds: number;
  /** Time the calling thread's event loop was busy over the same span, seconds. */
  readonly busySeconds: number;
}

const MICROS_PER_SECOND = 1e6;
const MS_PER_SECOND = 1e3;

/** A consumer group of its own for every run, so each one reads the topic from the start. */
export function benchGroupId(): string {
  return `uniqstream-bench-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export async function bareConsume(kafka: Kafka, topic: string, frames: number, fetch: FetchSettings): Promise<BareRun> {
  const consumer = kafka.consumer({ groupId: benchGroupId(), ...fetch, allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let startedAt: number | undefined;
  let cpu: NodeJS.CpuUsage | undefined;
  let loop: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  let seen = 0;
  let bytes = 0;
  let run: BareRun | undefined;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      if (startedAt === undefined) {
        startedAt = performance.now();
        cpu = process.cpuUsage();
        loop = performance.eventLoopUtilization();
      }
      for (const message of batch.messages) bytes += message.value?.length ?? 0;
      seen += batch.messages.length;
      resolveOffset(batch.lastOffset());
      await heartbeat();
      if (seen >= frames && run === undefined) {
        const used = process.cpuUsage(cpu);
        run = {
          frames: seen,
          seconds: (performance.now() - startedAt) / MS_PER_SECOND,
          cpuSeconds: (used.user + used.system) / MICROS_PER_SECOND,
          busySeconds: performance.eventLoopUtilization(loop).active / MS_PER_SECOND,
        };
        finish();
      }
    },
  });
  await finished;
  await consumer.disconnect();
  if (bytes === 0) throw new Error(`read no bytes from ${topic}`);
  return run!;
}
