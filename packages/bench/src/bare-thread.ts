/**
 * The bare kafkajs consumer of the `kafka` suite (bare-consume.ts), run in a
 * thread of its own: a thread's heap is made after the suite set V8's heap
 * flags, so the ceiling can be measured with the same first old space as
 * the source's reader thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Kafka, logLevel } from 'kafkajs';
import { bareConsume, type BareRun, type FetchSettings } from './bare-consume.js';

export interface BareThreadJob {
  readonly bootstrap: string;
  readonly topic: string;
  readonly frames: number;
  readonly fetch: FetchSettings;
}

export type BareThreadAnswer =
  | { readonly ok: true; readonly run: BareRun }
  | { readonly ok: false; readonly message: string };

if (parentPort !== null) {
  const port = parentPort;
  const job = workerData as BareThreadJob;
  const kafka = new Kafka({ clientId: 'uniqstream-bench', brokers: [job.bootstrap], logLevel: logLevel.ERROR });
  bareConsume(kafka, job.topic, job.frames, job.fetch).then(
    (run) => port.postMessage({ ok: true, run } satisfies BareThreadAnswer),
    (error: unknown) =>
      port.postMessage({
        ok: false,
        message: error instanceof Error ? error.message : String(error),
      } satisfies BareThreadAnswer),
  );
}
