import type { WindowResult } from '@uniqstream/core';
import {
  createKafkaResultSink,
  formatResultJson,
  resultKey,
  SinkError,
  type KafkaResultSink,
  type KafkaSinkOptions,
  type KafkaTarget,
} from '@uniqstream/sinks';
import type { KafkaSecurity } from '@uniqstream/kafka';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { ConsumerError } from './errors.js';
import { TransactionalProducer, type TransactionRecords } from './transactions.js';
import type { KafkaTopicRef } from './config.js';
import { kafkaLogOf } from './log.js';
import type { ServiceMetrics } from './metrics.js';

const MS_PER_SECOND = 1000;
/**
 * A results write not acknowledged within this long has failed. A broker
 * acknowledges in milliseconds; kafkajs retries a write to a deleted topic
 * for ever, so without a limit the merge would wait for ever. Too short a
 * limit costs a needless rebuild, not a wrong result.
 */
const RESULT_ACK_TIMEOUT_MS = 10_000;
/** A write unacknowledged for this long already makes the instance not ready, before it counts as failed. */
const RESULT_SLOW_MS = 5_000;
/** Waits between attempts to set the results topic up again, doubling. */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

export interface ResultWriterOptions {
  readonly output: KafkaTopicRef;
  readonly clientId: string;
  /** TLS and a SASL login of the results' client; absent: plaintext. */
  readonly security?: KafkaSecurity | undefined;
  readonly log: Logger;
  readonly metrics: ServiceMetrics;
  /** Monotonic milliseconds. */
  readonly now: () => number;
  /** Default RESULT_ACK_TIMEOUT_MS. */
  readonly ackTimeoutMs?: number;
  /** Default createKafkaResultSink (tests give a fake). */
  readonly createSink?: (target: KafkaTarget, options: KafkaSinkOptions) => KafkaResultSink;
  /**
   * Exactly-once: results (and what write() is given besides) go in one
   * transaction of a producer with this id, through `kafka` (the cluster of
   * --to). The sink then only sets the topic up.
   */
  readonly transactional?: { readonly kafka: Kafka; readonly transactionalId: string };
}

/** How a write ended: acknowledged, failed (recover() next), or fenced (another instance merges now: stop). */
export type WriteOutcome = 'written' | 'failed' | 'fenced';

/**
 * The merge's results to --to, through @uniqstream/sinks' Kafka result
 * sink, with what a long-running service needs around it: every write
 * waits for its acknowledgement for at most a limit; results acknowledged
 * are counted as emitted (with their emission latency), results of a failed
 * write as failed; readiness says when writes fail or hang; and after a
 * failure, recover() replaces the sink, whose set-up creates the topic when
 * it is missing, exactly as at start. A failed sink is not reused: kafkajs's
 * idempotent producer and the writer remember the failure.
 */
export class ResultWriter {
  readonly topic: string;
  private readonly options: ResultWriterOptions;
  private readonly ackTimeoutMs: number;
  private sink: KafkaResultSink;
  /** The sink failed: recover() must replace it before the next write. */
  private broken = false;
  /** Why results could not be written, until a write succeeds again. */
  private problem: string | undefined;
  /** When the write under way started. */
  private writingSince: number | undefined;
  private producer: TransactionalProducer | undefined;

  constructor(options: ResultWriterOptions) {
    this.options = options;
    this.topic = options.output.topic;
    this.ackTimeoutMs = options.ackTimeoutMs ?? RESULT_ACK_TIMEOUT_MS;
    this.sink = this.createSink();
  }

  /**
   * The first sink connected with its topic in place; rejects otherwise.
   * Exactly-once, the transactional id is taken over only by takeOver(),
   * when this instance is given the merge: a standby must not fence the
   * merge at work.
   */
  ready(): Promise<void> {
    return this.sink.ready();
  }

  /**
   * Writes `results` and waits for their acknowledgement. True once
   * acknowledged (nothing to write is a success too); false when the write
   * failed: the results are counted as failed and recover() must run before
   * the next write. `receivedAt` (of `now`) starts their emission latency;
   * without it (a rebuild writing results again) they are not timed.
   */
  async write(
    results: readonly WindowResult[],
    receivedAt?: number,
    alsoInTransaction: readonly TransactionRecords[] = [],
  ): Promise<WriteOutcome> {
    const { metrics, now } = this.options;
    if (this.broken) {
      metrics.resultWriteFailures.inc(results.length);
      return 'failed';
    }
    const more = alsoInTransaction.some((r) => r.messages.length > 0);
    if (results.length > 0 || (this.producer !== undefined && more)) {
      this.writingSince = now();
      try {
        if (this.producer !== undefined) await this.commit(this.producer, results, alsoInTransaction);
        else {
          await this.sink.write(results);
          await this.sink.flush();
        }
      } catch (error) {
        if (error instanceof ConsumerError && error.code === 'FENCED') {
          this.options.log.warn(
            { topic: this.topic },
            `another instance merges now (it has taken over ` +
              `${this.producer?.transactionalId ?? 'the transactional id'}); this one stops writing results`,
          );
          return 'fenced';
        }
        this.broken = true;
        this.problem = this.reasonOf(error);
        metrics.resultWriteFailures.inc(results.length);
        this.options.log.warn(
          { topic: this.topic, results: results.length, reason: this.problem },
          `could not write ${results.length} result${results.length === 1 ? '' : 's'} to ${this.topic} ` +
            `(${this.problem}): setting the topic up again, then the merge writes every window's latest ` +
            `result again`,
        );
        return 'failed';
      } finally {
        this.writingSince = undefined;
      }
      const at = now();
      metrics.resultsEmitted.inc(results.length);
      if (receivedAt !== undefined) {
        const seconds = (at - receivedAt) / MS_PER_SECOND;
        for (let i = 0; i < results.length; i++) metrics.resultEmitLatency.observe(seconds);
      }
    }
    this.problem = undefined;
    return 'written';
  }

  /** Why results cannot be written now, for /readyz; null while they can. */
  fault(): string | null {
    if (this.problem !== undefined) return `merge: cannot write results to ${this.topic}: ${this.problem}`;
    const since = this.writingSince;
    const waited = since === undefined ? 0 : this.options.now() - since;
    if (waited >= RESULT_SLOW_MS)
      return `merge: results to ${this.topic} not acknowledged for ${Math.round(waited / MS_PER_SECOND)} s`;
    return null;
  }

  /**
   * After a failed write: replaces the sink, whose set-up waits for a
   * broker and creates the topic when it is missing (compacted, as at
   * start), trying again with backoff until it is ready. Resolves true when
   * writes may go on, false when `signal` aborted first.
   */
  async recover(signal: AbortSignal): Promise<boolean> {
    const log = this.options.log;
    let wait = RETRY_FIRST_MS;
    for (let attempt = 1; !signal.aborted; attempt++) {
      // Failed: closing does not flush what it holds, the rebuild writes it again.
      await this.sink.close().catch(() => undefined);
      this.sink = this.createSink();
      try {
        if (
          !(await untilAborted(
            this.ready().then(() => this.takeOver()),
            signal,
          ))
        )
          break;
        this.broken = false;
        log.info({ topic: this.topic, attempt }, `results topic ${this.topic} is set up again`);
        return true;
      } catch (error) {
        this.problem = this.reasonOf(error);
        log.warn(
          { topic: this.topic, attempt, reason: this.problem },
          `cannot set up ${this.topic} again (${this.problem}); next try in ${Math.round(wait / MS_PER_SECOND)} s`,
        );
      }
      await sleep(wait, signal);
      wait = Math.min(RETRY_MAX_MS, 2 * wait);
    }
    await this.sink.close().catch(() => undefined);
    return false;
  }

  /** Flushes what a healthy sink holds (bounded by the acknowledgement limit), then disconnects. */
  async close(): Promise<void> {
    await Promise.all([this.sink.close(), this.producer?.close()]);
  }

  /**
   * Exactly-once: a producer of the id, taken over, which fences whoever
   * held it (a merge this one takes over from; a failed producer of this
   * one, which may be stuck in its transaction). Nothing at-least-once.
   */
  async takeOver(): Promise<void> {
    const transactional = this.options.transactional;
    if (transactional === undefined) return;
    await this.producer?.close();
    this.producer = new TransactionalProducer(transactional.kafka, transactional.transactionalId);
    await this.producer.fence();
  }

  /** One transaction of the results and the records that go with them, within the acknowledgement limit. */
  private async commit(
    producer: TransactionalProducer,
    results: readonly WindowResult[],
    also: readonly TransactionRecords[],
  ): Promise<void> {
    const messages = results.map((result) => ({ key: resultKey(result), value: formatResultJson(result) }));
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new SinkError(
              'KAFKA_UNAVAILABLE',
              `no acknowledgement within ${Math.round(this.ackTimeoutMs / MS_PER_SECOND)} s`,
            ),
          ),
        this.ackTimeoutMs,
      );
    });
    try {
      await Promise.race([producer.commit([{ topic: this.topic, messages }, ...also]), limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  private createSink(): KafkaResultSink {
    const { output, clientId, log, security } = this.options;
    const create = this.options.createSink ?? createKafkaResultSink;
    return create(output, {
      log: kafkaLogOf(log),
      clientId,
      unavailableTimeoutMs: this.ackTimeoutMs,
      ...(security === undefined ? {} : { security }),
    });
  }

  private reasonOf(error: unknown): string {
    // The writer's own message for a timeout names neither the topic nor what to look at.
    if (error instanceof SinkError && error.code === 'KAFKA_UNAVAILABLE')
      return `no acknowledgement within ${Math.round(this.ackTimeoutMs / MS_PER_SECOND)} s`;
    return error instanceof Error ? error.message : String(error);
  }
}

/** Resolves with true when `promise` does, false when `signal` aborts first; rejects as `promise` does. */
function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve, reject) => {
    const onAbort = (): void => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
