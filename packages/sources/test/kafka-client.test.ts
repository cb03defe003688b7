import { describe, expect, it } from 'vitest';
import { logLevel, type LogEntry } from 'kafkajs';
import { describeKafkaError, GaveUp, quietened, REPEAT_WINDOW_MS, retryUntil, summarizingLogCreator, type KafkaLogLevel } from '../src/kafka-client.js';

function entry(level: logLevel, namespace: string, message: string, extra: Record<string, unknown> = {}): LogEntry {
  return { namespace, level, label: logLevel[level], log: { timestamp: '2024-01-01T00:00:00.000Z', message, ...extra } };
}

describe('summarizingLogCreator', () => {
  it('gives one line per entry: namespace, message and error, never the stack', () => {
    const lines: [KafkaLogLevel, string][] = [];
    const log = summarizingLogCreator((level, message) => lines.push([level, message]), () => 0)(logLevel.INFO);
    log(entry(logLevel.ERROR, 'Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092', { stack: 'Error: x\n    at y (z.js:1:1)' }));
    log(entry(logLevel.WARN, 'Runner', 'The group is rebalancing, re-joining', { error: 'The group is rebalancing\nmore' }));
    log(entry(logLevel.INFO, 'Consumer', 'Starting'));
    expect(lines).toEqual([
      ['error', 'connection: Connection error: connect ECONNREFUSED 127.0.0.1:9092'],
      ['warn', 'runner: The group is rebalancing, re-joining: The group is rebalancing'],
      ['debug', 'consumer: Starting'],
    ]);
  });

  it('takes error answers of the broker, which kafkajs retries, for debug lines', () => {
    const lines: [KafkaLogLevel, string][] = [];
    const log = summarizingLogCreator((level, message) => lines.push([level, message]), () => 0)(logLevel.INFO);
    log(entry(logLevel.ERROR, 'Connection', "Response InitProducerId(key: 22, version: 1): The coordinator is loading and hence can't process requests for this group"));
    log(entry(logLevel.ERROR, 'Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'));
    expect(lines.map(([level]) => level)).toEqual(['debug', 'error']);
  });

  it('counts repeats within the window (numbers aside) and reports the count with the next one', () => {
    const lines: string[] = [];
    let now = 0;
    const log = summarizingLogCreator((_level, message) => lines.push(message), () => now)(logLevel.INFO);
    log(entry(logLevel.ERROR, 'Consumer', 'Restarting the consumer in 3453ms'));
    now += 1000;
    log(entry(logLevel.ERROR, 'Consumer', 'Restarting the consumer in 6120ms'));
    now += 1000;
    log(entry(logLevel.ERROR, 'Consumer', 'Restarting the consumer in 9999ms'));
    log(entry(logLevel.ERROR, 'Consumer', 'Crash: something else'));
    now += REPEAT_WINDOW_MS;
    log(entry(logLevel.ERROR, 'Consumer', 'Restarting the consumer in 300ms'));
    expect(lines).toEqual([
      'consumer: Restarting the consumer in 3453ms',
      'consumer: Crash: something else',
      'consumer: Restarting the consumer in 300ms (2 more like it before)',
    ]);
  });

  it('quietened() passes everything on as debug', () => {
    const lines: [KafkaLogLevel, string][] = [];
    quietened((level, message) => lines.push([level, message]))('error', 'refused');
    expect(lines).toEqual([['debug', 'refused']]);
  });
});

describe('describeKafkaError', () => {
  it('adds the root cause of wrapped errors, on one line', () => {
    const root = new Error('connect ECONNREFUSED 127.0.0.1:9092\n    at TCPConnectWrap');
    const wrapped = new Error('Number of retries exceeded', { cause: new Error('Connection error', { cause: root }) });
    expect(describeKafkaError(wrapped)).toBe('Number of retries exceeded: connect ECONNREFUSED 127.0.0.1:9092');
    expect(describeKafkaError(new Error('Connection error: connect ECONNREFUSED x', { cause: new Error('connect ECONNREFUSED x') }))).toBe(
      'Connection error: connect ECONNREFUSED x',
    );
    expect(describeKafkaError('plain')).toBe('plain');
  });
});

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
