import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka } from 'kafkajs';
import { describeKafkaError } from './describe-error.js';
import { KafkaError } from './errors.js';
import type { KafkaLog } from './log.js';
import { KafkaSecurityError, securityFailureOf } from './security-errors.js';

export interface WaitOptions {
  /** The last attempt starts at the latest this many ms after the first. */
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly signal?: AbortSignal | undefined;
  /** Called once, after the first failure, while retrying. */
  readonly onFirstFailure?: (reason: string) => void;
  /** Which failures to retry (default: all); any other gives up at once. */
  readonly retryIf?: (error: unknown) => boolean;
}

/** Backoff between attempts: short at first (a broker still starting), then capped. */
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 2_000;

/**
 * Runs `attempt` until it succeeds, backing off between failures, for up to
 * `timeoutMs` (Infinity: until it succeeds). Rejects with the last failure's
 * one-line description when time is up, when `signal` aborts, or at once for
 * a failure `retryIf` does not retry.
 */
export async function retryUntil(attempt: () => Promise<void>, options: WaitOptions): Promise<void> {
  const deadline = options.now() + options.timeoutMs;
  let backoff = FIRST_BACKOFF_MS;
  for (let tries = 1; ; tries++) {
    try {
      await attempt();
      return;
    } catch (error) {
      const reason = describeKafkaError(error);
      const left = deadline - options.now();
      if (options.signal?.aborted === true || left <= 0 || options.retryIf?.(error) === false)
        throw new GaveUp(reason, tries, error);
      if (tries === 1) options.onFirstFailure?.(reason);
      try {
        await sleep(Math.min(backoff, left), undefined, options.signal === undefined ? {} : { signal: options.signal });
      } catch {
        // Aborted: no attempt after that (the caller may be tearing down what attempts use).
        throw new GaveUp(reason, tries, error);
      }
    }
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}

/** What retryUntil rejects with: the last reason, for the caller's typed error. */
export class GaveUp extends Error {
  override readonly name = 'GaveUp';
  constructor(
    readonly reason: string,
    readonly tries: number,
    cause: unknown,
  ) {
    super(reason, { cause });
  }
}

export interface BrokerWaitOptions extends Omit<WaitOptions, 'onFirstFailure'> {
  /** Told once, at 'warn', that the wait has begun and why. */
  readonly log: KafkaLog;
}

/**
 * Waits until a broker answers, connecting an admin of `probe` (a client
 * made with PROBE_RETRY and a quietened log: this loop does the retrying
 * and the reporting) with backoff. Rejects with KafkaError('UNAVAILABLE',
 * `cannot reach Kafka at <brokers>: <last reason>`) when `timeoutMs` passes
 * or `signal` aborts first (check `signal.aborted` to tell the two apart);
 * at once, with a KafkaSecurityError (code SECURITY) and `cannot connect to
 * Kafka at <brokers>: <what to change>`, when TLS or the SASL login fail
 * in a way that waiting cannot fix.
 */
export async function waitForBroker(
  probe: Kafka,
  brokers: readonly string[],
  options: BrokerWaitOptions,
): Promise<void> {
  const where = brokers.join(',');
  const admin = probe.admin();
  try {
    await retryUntil(() => admin.connect(), {
      timeoutMs: options.timeoutMs,
      now: options.now,
      signal: options.signal,
      onFirstFailure: (reason) => options.log('warn', `waiting for Kafka at ${where}: ${reason}`),
      retryIf: (error) => securityFailureOf(error) === undefined,
    });
  } catch (error) {
    const security = securityFailureOf(error instanceof GaveUp ? error.cause : error);
    if (security !== undefined)
      throw new KafkaSecurityError(security.failure, `cannot connect to Kafka at ${where}: ${security.message}`, {
        cause: error,
      });
    const reason = error instanceof GaveUp ? error.reason : describeKafkaError(error);
    throw new KafkaError('UNAVAILABLE', `cannot reach Kafka at ${where}: ${reason}`, { cause: error });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** kafkajs's name for the crash after which a consumer does not restart itself. */
const COORDINATOR_NOT_FOUND = 'KafkaJSGroupCoordinatorNotFound';
const KAFKAJS_NON_RETRIABLE = 'KafkaJSNonRetriableError';

/**
 * True for kafkajs's "Failed to find group coordinator", after which a
 * consumer stops for good. kafkajs raises it for a broker that is away as
 * well as for a group the user may not read (its search for the
 * coordinator swallows a refused connection the same way it swallows the
 * broker's refusal), so a heartbeat in a broker outage can end a consumer.
 * Whoever waits outages out tells the two apart with brokerAnswers.
 */
export function isCoordinatorNotFound(error: unknown): boolean {
  const named = error as { name?: unknown; cause?: unknown } | null;
  if (named?.name === COORDINATOR_NOT_FOUND) return true;
  // kafkajs's retrier gives up on it as a KafkaJSNonRetriableError with the original as its cause: that is how the
  // consumer's crash event carries it after a heartbeat met the outage.
  return (
    named?.name === KAFKAJS_NON_RETRIABLE && (named.cause as { name?: unknown } | null)?.name === COORDINATOR_NOT_FOUND
  );
}

/** True when the cluster answers `admin`'s metadata request within `timeoutMs`. */
export async function brokerAnswers(
  admin: Pick<Admin, 'describeCluster'>,
  timeoutMs = BROKER_PROBE_TIMEOUT_MS,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  // An admin that retries by itself may keep trying past the timeout; its answer then goes unheard.
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([
      admin.describeCluster().then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long a probe of the cluster may take before the broker counts as away. */
export const BROKER_PROBE_TIMEOUT_MS = 3_000;
/** Between probes while the broker is away. */
export const BROKER_PROBE_INTERVAL_MS = 2_000;

export interface BrokerBackOptions {
  /** Checked before each probe and after the last: true ends the wait. */
  readonly stopped: () => boolean;
  /** How long one probe may take (default BROKER_PROBE_TIMEOUT_MS). */
  readonly probeTimeoutMs?: number;
  /** The pause between probes (default BROKER_PROBE_INTERVAL_MS). */
  readonly intervalMs?: number;
}

/** Probes until the cluster answers (true) or `stopped()` (false). */
export async function waitUntilBrokerAnswers(
  admin: Pick<Admin, 'describeCluster'>,
  options: BrokerBackOptions,
): Promise<boolean> {
  for (;;) {
    if (options.stopped()) return false;
    if (await brokerAnswers(admin, options.probeTimeoutMs ?? BROKER_PROBE_TIMEOUT_MS)) return !options.stopped();
    await sleep(options.intervalMs ?? BROKER_PROBE_INTERVAL_MS);
  }
}
