/**
 * The bare kafkajs consumer of the `kafka` suite, run in a thread of its
 * own: a thread's heap is made after the suite set V8's heap flags, so the
 * ceiling can be measured with the same first old space as the source's
 * reader thread (the suite's main thread was made with V8's defaults).
 */
import { randomBytes } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { Kafka, logLevel } from 'kafkajs';

export interface BareThreadJob {
  readonly bootstrap: string;
  readonly topic: string;
  readonly frames: number;
  readonly fetch: { readonly maxBytesPerPartition: number; readonly maxBytes: number; readonly minBytes: number; readonly maxWaitTimeInMs: number };
}

export interface BareThreadRun {
  readonly frames: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly threadBusySeconds: number;
}

const MICROS_PER_SECOND = 1e6;
const MS_PER_SECOND = 1e3;

async function consume(job: BareThreadJob): Promise<BareThreadRun> {
  const kafka = new Kafka({ clientId: 'uniqstream-bench', brokers: [job.bootstrap], logLevel: logLevel.ERROR });
  const consumer = kafka.consumer({ groupId: `uniqstream-bench-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`, ...job.fetch, allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topics: [job.topic], fromBeginning: true });
  let startedAt: number | undefined;
  let cpu: NodeJS.CpuUsage | undefined;
  let loop: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  let seen = 0;
  let bytes = 0;
  let run: BareThreadRun | undefined;
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
      if (seen >= job.frames && run === undefined) {
        const used = process.cpuUsage(cpu);
        run = {
          frames: seen,
          seconds: (performance.now() - startedAt) / MS_PER_SECOND,
          cpuSeconds: (used.user + used.system) / MICROS_PER_SECOND,
          threadBusySeconds: performance.eventLoopUtilization(loop).active / MS_PER_SECOND,
        };
        finish();
      }
    },
  });
  await finished;
  await consumer.disconnect();
  if (bytes === 0) throw new Error(`read no bytes from ${job.topic}`);
  return run!;
}

if (parentPort !== null) {
  const port = parentPort;
  consume(workerData as BareThreadJob).then(
    (run) => port.postMessage({ ok: true, run }),
    (error: unknown) => port.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) }),
  );
}
