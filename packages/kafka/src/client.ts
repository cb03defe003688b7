import { Kafka, logLevel } from 'kafkajs';
import { summarizingLogCreator, type KafkaLog } from './log.js';
import { mendKafkajsRequestQueue } from './request-queue-mend.js';
import { kafkajsSecurity, secretScrubber, type KafkaSecurity } from './security.js';
import type { SocketTracker } from './sockets.js';

export const DEFAULT_CLIENT_ID = 'uniqstream';
/** kafkajs's 1 s default gives false alarms on a loaded machine. */
export const CONNECTION_TIMEOUT_MS = 3_000;
export const REQUEST_TIMEOUT_MS = 30_000;
/** How long sources and writers wait for a broker at start by default. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/**
 * How long a broker may stay away during a run (no fetch answered, a send
 * not acknowledged) before a source or writer fails, by default (0 = forever).
 */
export const DEFAULT_UNAVAILABLE_TIMEOUT_MS = 5 * 60_000;

export interface RetrySettings {
  readonly initialRetryTime: number;
  readonly maxRetryTime: number;
  readonly factor: number;
  readonly multiplier: number;
  readonly retries: number;
}

/**
 * Retries of requests during a run: about 40 s of backoff before kafkajs
 * gives up on a request and restarts the consumer. Every field is set
 * because kafkajs takes its defaults from NODE_ENV (tiny ones under test
 * runners).
 */
export const RUN_RETRY: RetrySettings = {
  initialRetryTime: 300,
  maxRetryTime: 10_000,
  factor: 0.2,
  multiplier: 2,
  retries: 8,
};
/** Probes fail fast: their caller loops with its own backoff and deadline. */
export const PROBE_RETRY: RetrySettings = { ...RUN_RETRY, retries: 0 };
/**
 * Idempotent producers retry for as long as it takes: kafkajs warns that a
 * limited count may break their guarantees. Their owner decides by time
 * when to give up (see KafkaTopicWriter's unavailableTimeoutMs).
 */
export const PRODUCER_RETRY: RetrySettings = { ...RUN_RETRY, retries: Number.MAX_SAFE_INTEGER };

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly log: KafkaLog;
  /** True: kafkajs's info lines too (as 'debug'); false: only its warnings and errors. */
  readonly verbose: boolean;
  readonly retry: RetrySettings;
  /** Monotonic ms, for pacing repeated log lines. */
  readonly now: () => number;
  /** Where the client's connections are opened and remembered. */
  readonly sockets: SocketTracker;
  /** TLS and SASL for every connection; absent: plaintext, no login. */
  readonly security?: KafkaSecurity | undefined;
}

/**
 * A kafkajs client with uniqstream's settings: patient connection and
 * request timeouts, the given retries, its log lines summarized into `log`
 * (one line each, repeats counted; all as 'debug' once its sockets are
 * being destroyed, secrets replaced by REDACTED), its connections opened
 * through `sockets`, with TLS and a SASL login as `security` says
 * (kafkajs re-authenticates before the broker's session lifetime ends),
 * and kafkajs's request queue mended (see request-queue-mend.ts).
 */
export function createKafka(options: KafkaClientOptions): Kafka {
  mendKafkajsRequestQueue();
  const scrub = secretScrubber(options.security);
  return new Kafka({
    ...kafkajsSecurity(options.security),
    socketFactory: options.sockets.factory,
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    retry: { ...options.retry },
    logLevel: options.verbose ? logLevel.INFO : logLevel.WARN,
    logCreator: summarizingLogCreator(
      (level, message) => options.log(options.sockets.closing ? 'debug' : level, scrub(message)),
      options.now,
    ),
  });
}
