import type { AddressInfo } from 'node:net';
import { DEFAULT_CONNECT_TIMEOUT_MS, describeKafkaError, describeSecurity, SocketTracker } from '@uniqstream/kafka';
import type { Logger } from 'pino';
import type { ServiceConfig } from './config.js';
import { startCounting, type CountingRole } from './counting.js';
import { ConsumerError } from './errors.js';
import { startHealthServer, type HealthServer, type Readiness } from './http.js';
import { createServiceKafka, ensureTopic, partitionCount, STATE_TOPIC_CONFIG, waitForKafka } from './kafka.js';
import { startMerging, type MergingRole } from './merging.js';
import { ServiceMetrics } from './metrics.js';
import { readinessOf } from './readiness.js';

const CLIENT_ID = 'uniqstream-consumer';
const MS_PER_SECOND = 1000;
/**
 * How long a stop (SIGTERM, SIGINT, a role's failure) may take. A stop
 * waits for Kafka to acknowledge the last partials, checkpoint, offsets and
 * results; while the broker is away or a topic is gone those waits have no
 * end of their own, and an orchestrator would kill the process anyway
 * (Kubernetes after 30 s by default). What is not acknowledged is replayed
 * from the last durable checkpoint.
 */
export const DEFAULT_STOP_TIMEOUT_MS = 25_000;

export interface ServiceEnvironment {
  readonly log: Logger;
  /** Aborting it stops the service gracefully (SIGTERM, SIGINT). */
  readonly signal: AbortSignal;
  /** Monotonic milliseconds (default performance.now). */
  readonly now?: () => number;
  readonly metrics?: ServiceMetrics;
  /** How long to wait for a broker at start before failing (default 30 s). */
  readonly connectTimeoutMs?: number;
  /** Told where the HTTP server listens, once it does. */
  readonly onListening?: (address: AddressInfo) => void;
  /** How long a stop may take before runService gives up on it (default DEFAULT_STOP_TIMEOUT_MS). */
  readonly stopTimeoutMs?: number;
}

/**
 * Runs the service until `signal` aborts, then stops gracefully: the
 * pipeline stops fetching, flushes its partials, checkpoints and commits;
 * the merge flushes its results; everything disconnects. Open windows are
 * not finalized: they are in the checkpoints and continue after a restart.
 * Rejects (after stopping the other role) when a role fails, and with
 * ConsumerError('STOP_TIMEOUT') when stopping takes longer than
 * `stopTimeoutMs` (its connections are then cut; a process should exit).
 */
export async function runService(config: ServiceConfig, environment: ServiceEnvironment): Promise<void> {
  const log = environment.log;
  const now = environment.now ?? (() => performance.now());
  const metrics = environment.metrics ?? new ServiceMetrics(now, { counting: config.role !== 'merge' });
  log.info(
    summaryOf(config),
    `starting: role ${config.role}, ${config.input.topic} -> ` +
      `${config.output?.topic ?? '(merge elsewhere)'}, group ${config.count.group}`,
  );

  let counting: CountingRole | undefined;
  let merging: MergingRole | undefined;
  // Both roles read the input cluster (the partials topic is there too): the one broker answer that tells whether
  // Kafka is there.
  const fetchesUnansweredForMs = (): number =>
    Math.max(counting?.fetchesUnansweredForMs() ?? 0, merging?.fetchesUnansweredForMs() ?? 0);
  const readiness = (): Readiness =>
    readinessOf({ counting, merging, brokers: config.input.brokers, fetchesUnansweredForMs: fetchesUnansweredForMs() });

  let server: HealthServer | undefined;
  if (config.httpPort > 0) {
    server = await startHealthServer({
      host: config.httpHost,
      port: config.httpPort,
      registry: metrics.registry,
      readiness,
    });
    log.info(
      { address: server.address },
      `serving /healthz, /readyz and /metrics on http://${config.httpHost}:${server.address.port}`,
    );
    environment.onListening?.(server.address);
  }
  const client = {
    brokers: config.input.brokers,
    clientId: CLIENT_ID,
    log,
    now,
    sockets: new SocketTracker(),
    security: config.security,
  };
  const kafka = createServiceKafka(client);
  /** Named in a line about a missing ACL. */
  const user = config.security?.sasl?.username;
  const admin = kafka.admin();
  const stop = new AbortController();
  const onStop = (): void => stop.abort(environment.signal.reason);
  if (environment.signal.aborted) onStop();
  else environment.signal.addEventListener('abort', onStop, { once: true });
  const stopTimeoutMs = environment.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  /** What a stop still waits for, for the message when it takes too long. */
  const stopping: string[] = ['the set-up'];
  let roleFailure: unknown;
  let overdueTimer: NodeJS.Timeout | undefined;
  let overdue = false;
  const tooLong = new Promise<never>((_, reject) => {
    const arm = (): void => {
      overdueTimer = setTimeout(() => {
        overdue = true;
        const what = stopping.length === 0 ? 'disconnecting' : stopping.join(' and ');
        // A role that failed first is what the operator needs to read, not that stopping after it took long.
        reject(
          roleFailure ??
            new ConsumerError(
              'STOP_TIMEOUT',
              `did not stop within ${Math.round(stopTimeoutMs / MS_PER_SECOND)} s (${what} still ` +
                `waiting for Kafka); what it did not acknowledge is replayed from the last durable checkpoint at ` +
                `the next start`,
            ),
        );
      }, stopTimeoutMs);
    };
    if (stop.signal.aborted) arm();
    else stop.signal.addEventListener('abort', arm, { once: true });
  });
  tooLong.catch(() => undefined);
  const body = async (): Promise<void> => {
    const connected = await waitForKafka({
      ...client,
      timeoutMs: environment.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      signal: stop.signal,
    });
    if (!connected) {
      log.info('stopped before Kafka answered');
      return;
    }
    await admin.connect().catch((error: unknown) => {
      throw new ConsumerError(
        'KAFKA_FAILED',
        `cannot connect to Kafka at ${config.input.brokers.join(',')}: ${describeKafkaError(error)}`,
        { cause: error },
      );
    });
    const inputPartitions = await partitionCount(admin, config.input.topic).catch((error: unknown) => {
      throw error instanceof ConsumerError
        ? error
        : new ConsumerError('KAFKA_FAILED', `cannot read the metadata of ${config.input.topic}: ${String(error)}`, {
            cause: error,
          });
    });
    const partialsPartitions = await ensureTopic(
      admin,
      {
        topic: config.partialsTopic,
        partitions: 1,
        configEntries: STATE_TOPIC_CONFIG,
        what: 'partial results and progress',
      },
      log,
      user,
    );
    if (partialsPartitions !== 1) {
      throw new ConsumerError(
        'KAFKA_FAILED',
        `${config.partialsTopic} has ${partialsPartitions} partitions: the partials topic needs ` +
          `exactly 1, so that partials and progress are read in the order written (give another ` +
          `--partials-topic)`,
      );
    }
    const checkpointPartitions =
      config.role === 'merge'
        ? 0
        : await ensureTopic(
            admin,
            {
              topic: config.checkpointTopic,
              partitions: inputPartitions,
              configEntries: STATE_TOPIC_CONFIG,
              what: 'checkpoints',
            },
            log,
            user,
          );
    if (stop.signal.aborted) return;
    log.info(
      { inputPartitions, checkpointPartitions },
      `${config.input.topic} has ${inputPartitions} partition${inputPartitions === 1 ? '' : 's'}: up ` +
        `to ${inputPartitions} counting instance${inputPartitions === 1 ? '' : 's'} share them`,
    );

    const shared = { config, kafka, admin, log, metrics, now, signal: stop.signal, inputPartitions };
    if (config.role !== 'merge') counting = startCounting({ ...shared, checkpointPartitions });
    if (config.role !== 'count') merging = startMerging(shared);
    metrics.live = {
      heldPartitions: () => counting?.heldPartitions() ?? [],
      consumerLag: () => counting?.lag() ?? new Map(),
      mergeLag: () => merging?.lag(),
      kafkaConnected: () => fetchesUnansweredForMs() === 0,
    };
    stopping.splice(0);
    const roles = [counting?.done, merging?.done].filter((done): done is Promise<never> => done !== undefined);
    for (const [name, done] of [
      ['the counting role', counting?.done],
      ['the merge role', merging?.done],
    ] as const) {
      if (done === undefined) continue;
      stopping.push(name);
      done
        .catch((error: unknown) => {
          roleFailure ??= error;
          // One role failing stops the other, which then flushes and checkpoints what it has.
          stop.abort('failure');
        })
        .finally(() => stopping.splice(stopping.indexOf(name), 1));
    }
    const settled = await Promise.allSettled(roles);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  };
  try {
    await Promise.race([body(), tooLong]);
  } finally {
    clearTimeout(overdueTimer);
    environment.signal.removeEventListener('abort', onStop);
    // Overdue: whatever still waits on a connection fails now instead of holding the exit.
    if (overdue) client.sockets.destroyAll();
    await admin.disconnect().catch(() => undefined);
    // Every consumer and producer of the shared client has disconnected: what kafkajs left open ends here.
    const left = client.sockets.destroyAll();
    if (left > 0) log.debug(`closed ${left} connection${left === 1 ? '' : 's'} kafkajs left open`);
    await server?.close();
  }
}

function summaryOf(config: ServiceConfig): Record<string, unknown> {
  const count = config.count;
  return {
    role: config.role,
    from: count.from,
    to: config.output === undefined ? undefined : `kafka://${config.output.brokers.join(',')}/${config.output.topic}`,
    group: count.group,
    fromBeginning: count.fromBeginning,
    windows: count.windows,
    method: count.method,
    timeZone: count.timeZone,
    maxDelay: count.maxDelay,
    allowedLateness: count.allowedLateness,
    emit: count.emit,
    combine: config.combine,
    partialsTopic: config.partialsTopic,
    checkpointTopic: config.checkpointTopic,
    checkpointInterval: count.checkpointInterval,
    idleTimeout: count.idleTimeout,
    sessionTimeoutMs: config.sessionTimeoutMs,
    missingCheckpoint: config.missingCheckpoint,
    guarantee: config.guarantee,
    deadLetter: count.deadLetter,
    kafka: describeSecurity(config.security),
    http: config.httpPort > 0 ? `${config.httpHost}:${config.httpPort}` : 'off',
    configFile: config.configFile,
  };
}
