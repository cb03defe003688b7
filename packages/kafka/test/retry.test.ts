import { closedPort } from '@uniqstream/kafka-local';
import { describe, expect, it } from 'vitest';
import { createKafka, PROBE_RETRY } from '../src/client.js';
import { KafkaError } from '../src/errors.js';
import { quietened, type KafkaLog } from '../src/log.js';
import { GaveUp, retryUntil, waitForBroker } from '../src/retry.js';
import { SocketTracker } from '../src/sockets.js';

describe('retryUntil', () => {
  it('retries with backoff until the attempt succeeds, reporting the first failure once', async () => {
    let tries = 0;
    const reasons: string[] = [];
    await retryUntil(
      async () => {
        if (++tries < 3) throw new Error(`refused ${tries}`);
      },
      { timeoutMs: 10_000, now: () => performance.now(), onFirstFailure: (r) => reasons.push(r) },
    );
    expect(tries).toBe(3);
    expect(reasons).toEqual(['refused 1']);
  });

  it('gives up with the last reason once the time is up, having tried at the deadline', async () => {
    let tries = 0;
    const started = performance.now();
    const failure = await retryUntil(
      async () => {
        tries++;
        throw new Error(`refused ${tries}`);
      },
      { timeoutMs: 600, now: () => performance.now() },
    ).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(failure).toBeInstanceOf(GaveUp);
    expect((failure as GaveUp).reason).toBe(`refused ${tries}`);
    expect(tries).toBeGreaterThanOrEqual(3);
    expect(elapsed).toBeGreaterThanOrEqual(550);
  });

  it('gives up at once on a failure retryIf does not retry', async () => {
    let tries = 0;
    const failure = await retryUntil(
      async () => {
        tries++;
        throw new Error(tries === 1 ? 'away' : 'refused for good');
      },
      { timeoutMs: 60_000, now: () => performance.now(), retryIf: (error) => (error as Error).message === 'away' },
    ).catch((e: unknown) => e);
    expect(tries).toBe(2);
    expect(failure).toBeInstanceOf(GaveUp);
    expect((failure as GaveUp).reason).toBe('refused for good');
  });

  it('makes no attempt after the signal aborted its wait', async () => {
    const controller = new AbortController();
    let tries = 0;
    setTimeout(() => controller.abort(), 30);
    const failure = await retryUntil(
      async () => {
        tries++;
        throw new Error('refused');
      },
      { timeoutMs: 60_000, now: () => performance.now(), signal: controller.signal },
    ).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(GaveUp);
    expect(tries).toBe(1);
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const failure = await retryUntil(
      async () => {
        throw new Error('refused');
      },
      { timeoutMs: 60_000, now: () => performance.now(), signal: controller.signal },
    ).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(GaveUp);
  });
});

describe('waitForBroker', () => {
  function probeOf(port: number, log: KafkaLog): { probe: ReturnType<typeof createKafka>; sockets: SocketTracker } {
    const sockets = new SocketTracker();
    const probe = createKafka({ brokers: [`127.0.0.1:${port}`], clientId: 'probe', log: quietened(log), verbose: false, retry: PROBE_RETRY, now: () => performance.now(), sockets });
    return { probe, sockets };
  }

  it('fails with one UNAVAILABLE line naming the brokers when none answers in time, having said once that it waits', async () => {
    const port = await closedPort();
    const lines: string[] = [];
    const log: KafkaLog = (level, line) => lines.push(`${level} ${line}`);
    const { probe, sockets } = probeOf(port, log);
    const started = performance.now();
    const failure = await waitForBroker(probe, [`127.0.0.1:${port}`], { timeoutMs: 800, now: () => performance.now(), log }).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    sockets.destroyAll();
    expect(failure).toBeInstanceOf(KafkaError);
    expect((failure as KafkaError).code).toBe('UNAVAILABLE');
    expect((failure as KafkaError).message).toMatch(new RegExp(`^cannot reach Kafka at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
    expect((failure as KafkaError).message).not.toContain('\n');
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(lines.filter((l) => l.startsWith('warn waiting for Kafka'))).toHaveLength(1);
    // kafkajs's own complaints about the probe stay at debug.
    expect(lines.filter((l) => l.startsWith('error'))).toEqual([]);
  });

  it('gives up at once when the signal aborts, leaving the caller to tell it from a timeout', async () => {
    const port = await closedPort();
    const { probe, sockets } = probeOf(port, () => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = performance.now();
    const failure = await waitForBroker(probe, [`127.0.0.1:${port}`], { timeoutMs: 60_000, now: () => performance.now(), signal: controller.signal, log: () => undefined }).catch((e: unknown) => e);
    sockets.destroyAll();
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(failure).toBeInstanceOf(KafkaError);
    expect(controller.signal.aborted).toBe(true);
  });
});
