import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
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
      if (options.signal?.aborted === true || left <= 0 || options.retryIf?.(error) === false) throw new GaveUp(reason, tries, error);
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
export async function waitForBroker(probe: Kafka, brokers: readonly string[], options: BrokerWaitOptions): Promise<void> {
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
    if (security !== undefined) throw new KafkaSecurityError(security.failure, `cannot connect to Kafka at ${where}: ${security.message}`, { cause: error });
    const reason = error instanceof GaveUp ? error.reason : describeKafkaError(error);
    throw new KafkaError('UNAVAILABLE', `cannot reach Kafka at ${where}: ${reason}`, { cause: error });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
