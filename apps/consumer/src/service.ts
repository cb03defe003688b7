import type { AddressInfo } from 'node:net';
import { DEFAULT_CONNECT_TIMEOUT_MS, describeKafkaError, SocketTracker } from '@uniqstream/kafka';
import type { Logger } from 'pino';
import type { ServiceConfig } from './config.js';
import { startCounting, type CountingRole } from './counting.js';
import { ConsumerError } from './errors.js';
import { startHealthServer, type HealthServer, type Readiness } from './http.js';
import { createServiceKafka, ensureTopic, partitionCount, STATE_TOPIC_CONFIG, waitForKafka } from './kafka.js';
import { startMerging, type MergingRole } from './merging.js';
import { ServiceMetrics } from './metrics.js';

const CLIENT_ID = 'uniqstream-consumer';

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
}

/**
 * Runs the service until `signal` aborts, then stops gracefully: the
 * pipeline stops fetching, flushes its partials, checkpoints and commits;
 * the merge flushes its results; everything disconnects. Open windows are
 * not finalized: they are in the checkpoints and continue after a restart.
 * Rejects (after stopping the other role) when a role fails.
 */
export async function runService(config: ServiceConfig, environment: ServiceEnvironment): Promise<void> {
  const log = environment.log;
  const now = environment.now ?? (() => performance.now());
  const metrics = environment.metrics ?? new ServiceMetrics(now, { counting: config.role !== 'merge' });
  log.info(summaryOf(config), `starting: role ${config.role}, ${config.input.topic} -> ${config.output?.topic ?? '(merge elsewhere)'}, group ${config.count.group}`);

  let counting: CountingRole | undefined;
  let merging: MergingRole | undefined;
  const readiness = (): Readiness => {
    if (counting === undefined && merging === undefined) return { ready: false, reasons: ['starting: not connected to Kafka yet'] };
    const reasons = [counting?.notReady() ?? counting?.describe(), merging?.notReady() ?? merging?.describe()].filter((r): r is string => r !== undefined);
    const ready = (counting !== undefined && counting.notReady() === null) || (merging !== undefined && merging.notReady() === null);
    return { ready, reasons };
  };

  let server: HealthServer | undefined;
  if (config.httpPort > 0) {
    server = await startHealthServer({ host: config.httpHost, port: config.httpPort, registry: metrics.registry, readiness });
    log.info({ address: server.address }, `serving /healthz, /readyz and /metrics on http://${config.httpHost}:${server.address.port}`);
    environment.onListening?.(server.address);
  }
  const client = { brokers: config.input.brokers, clientId: CLIENT_ID, log, now, sockets: new SocketTracker() };
  const kafka = createServiceKafka(client);
  const admin = kafka.admin();
  const stop = new AbortController();
  const onStop = (): void => stop.abort(environment.signal.reason);
  if (environment.signal.aborted) onStop();
  else environment.signal.addEventListener('abort', onStop, { once: true });
  try {
    const connected = await waitForKafka({ ...client, timeoutMs: environment.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, signal: stop.signal });
    if (!connected) {
      log.info('stopped before Kafka answered');
      return;
    }
    await admin.connect().catch((error: unknown) => {
      throw new ConsumerError('KAFKA_FAILED', `cannot connect to Kafka at ${config.input.brokers.join(',')}: ${describeKafkaError(error)}`, { cause: error });
    });
    const inputPartitions = await partitionCount(admin, config.input.topic).catch((error: unknown) => {
      throw error instanceof ConsumerError ? error : new ConsumerError('KAFKA_FAILED', `cannot read the metadata of ${config.input.topic}: ${String(error)}`, { cause: error });
    });
    const partialsPartitions = await ensureTopic(admin, { topic: config.partialsTopic, partitions: 1, configEntries: STATE_TOPIC_CONFIG, what: 'partial results and progress' }, log);
    if (partialsPartitions !== 1) {
      throw new ConsumerError('KAFKA_FAILED', `${config.partialsTopic} has ${partialsPartitions} partitions: the partials topic needs exactly 1, so that partials and progress are read in the order written (give another --partials-topic)`);
    }
    const checkpointPartitions =
      config.role === 'merge' ? 0 : await ensureTopic(admin, { topic: config.checkpointTopic, partitions: inputPartitions, configEntries: STATE_TOPIC_CONFIG, what: 'checkpoints' }, log);
    if (stop.signal.aborted) return;
    log.info({ inputPartitions, checkpointPartitions }, `${config.input.topic} has ${inputPartitions} partition${inputPartitions === 1 ? '' : 's'}: up to ${inputPartitions} counting instance${inputPartitions === 1 ? '' : 's'} share them`);

    const shared = { config, kafka, admin, log, metrics, signal: stop.signal, inputPartitions };
    if (config.role !== 'merge') counting = startCounting({ ...shared, now, checkpointPartitions });
    if (config.role !== 'count') merging = startMerging(shared);
    metrics.live = {
      heldPartitions: () => counting?.heldPartitions() ?? [],
      consumerLag: () => counting?.lag() ?? new Map(),
      mergeLag: () => merging?.lag(),
      kafkaConnected: () => true,
    };
    const roles = [counting?.done, merging?.done].filter((done): done is Promise<never> => done !== undefined);
    // One role failing stops the other, which then flushes and checkpoints what it has.
    for (const done of roles) done.catch(() => stop.abort('failure'));
    const settled = await Promise.allSettled(roles);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  } finally {
    environment.signal.removeEventListener('abort', onStop);
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
    deadLetter: count.deadLetter,
    http: config.httpPort > 0 ? `${config.httpHost}:${config.httpPort}` : 'off',
    configFile: config.configFile,
  };
}
