import { describe, expect, it } from 'vitest';
import { createKafka, PROBE_RETRY, PRODUCER_RETRY, RUN_RETRY, type KafkaClientOptions } from '../src/client.js';
import type { KafkaLogLevel } from '../src/log.js';
import { SocketTracker } from '../src/sockets.js';

function client(overrides: Partial<KafkaClientOptions> = {}): {
  lines: [KafkaLogLevel, string][];
  options: KafkaClientOptions;
} {
  const lines: [KafkaLogLevel, string][] = [];
  const options: KafkaClientOptions = {
    brokers: ['127.0.0.1:9092'],
    clientId: 'test',
    log: (level, message) => lines.push([level, message]),
    verbose: false,
    retry: RUN_RETRY,
    now: () => 0,
    sockets: new SocketTracker(),
    ...overrides,
  };
  return { lines, options };
}

describe('createKafka', () => {
  it("routes kafkajs's warnings and errors to the log, one line each, and its info lines only when verbose", () => {
    for (const verbose of [false, true]) {
      const { lines, options } = client({ verbose });
      const logger = createKafka(options).logger().namespace('Consumer');
      logger.error('Crash: boom', { stack: 'Error: boom\n    at x' });
      logger.warn('Rejoining');
      logger.info('Starting');
      logger.debug('Fetching');
      const expected: [KafkaLogLevel, string][] = [
        ['error', 'consumer: Crash: boom'],
        ['warn', 'consumer: Rejoining'],
      ];
      if (verbose) expected.push(['debug', 'consumer: Starting']);
      expect(lines).toEqual(expected);
    }
  });

  it('turns every line into debug once its sockets are being destroyed (the complaints are expected then)', () => {
    const { lines, options } = client();
    const logger = createKafka(options).logger().namespace('Connection');
    options.sockets.destroyAll();
    logger.error('Connection error: closed with its client');
    expect(lines).toEqual([['debug', 'connection: Connection error: closed with its client']]);
  });

  it('sets every retry field, so that kafkajs takes none of its NODE_ENV defaults', () => {
    for (const retry of [RUN_RETRY, PROBE_RETRY, PRODUCER_RETRY]) {
      expect(Object.keys(retry).sort()).toEqual([
        'factor',
        'initialRetryTime',
        'maxRetryTime',
        'multiplier',
        'retries',
      ]);
    }
    expect(PROBE_RETRY.retries).toBe(0);
    expect(PRODUCER_RETRY.retries).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('never passes on a secret: the password and key passphrase become [redacted] in its log lines', () => {
    const { lines, options } = client({
      security: {
        sasl: { mechanism: 'plain', username: 'alice', password: 'hunter2-secret' },
        tls: { passphrase: 'phrase-42' },
      },
    });
    const logger = createKafka(options).logger().namespace('Connection');
    logger.error('login hunter2-secret failed with phrase-42', {});
    expect(lines).toEqual([['error', 'connection: login [redacted] failed with [redacted]']]);
  });
});
