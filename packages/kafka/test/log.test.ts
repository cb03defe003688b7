import { logLevel, type LogEntry } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { defaultKafkaLog, quietened, REPEAT_WINDOW_MS, summarizingLogCreator, type KafkaLogLevel } from '../src/log.js';

function entry(level: logLevel, namespace: string, message: string, extra: Record<string, unknown> = {}): LogEntry {
  return {
    namespace,
    level,
    label: logLevel[level],
    log: { timestamp: '2024-01-01T00:00:00.000Z', message, ...extra },
  };
}

describe('summarizingLogCreator', () => {
  it('gives one line per entry: namespace, message and error, never the stack', () => {
    const lines: [KafkaLogLevel, string][] = [];
    const log = summarizingLogCreator(
      (level, message) => lines.push([level, message]),
      () => 0,
    )(logLevel.INFO);
    log(
      entry(logLevel.ERROR, 'Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092', {
        stack: 'Error: x\n    at y (z.js:1:1)',
      }),
    );
    log(
      entry(logLevel.WARN, 'Runner', 'The group is rebalancing, re-joining', {
        error: 'The group is rebalancing\nmore',
      }),
    );
    log(entry(logLevel.INFO, 'Consumer', 'Starting'));
    expect(lines).toEqual([
      ['error', 'connection: Connection error: connect ECONNREFUSED 127.0.0.1:9092'],
      ['warn', 'runner: The group is rebalancing, re-joining: The group is rebalancing'],
      ['debug', 'consumer: Starting'],
    ]);
  });

  it("takes lines of kafkajs's root logger, which has no namespace, without a prefix", () => {
    const lines: string[] = [];
    const log = summarizingLogCreator(
      (_level, message) => lines.push(message),
      () => 0,
    )(logLevel.INFO);
    log({
      ...entry(logLevel.WARN, '', 'KafkaJS v2.0.0 switched default partitioner'),
      namespace: undefined as unknown as string,
    });
    expect(lines).toEqual(['KafkaJS v2.0.0 switched default partitioner']);
  });

  it('takes error answers of the broker, which kafkajs retries, for debug lines', () => {
    const lines: [KafkaLogLevel, string][] = [];
    const log = summarizingLogCreator(
      (level, message) => lines.push([level, message]),
      () => 0,
    )(logLevel.INFO);
    log(
      entry(
        logLevel.ERROR,
        'Connection',
        "Response InitProducerId(key: 22, version: 1): The coordinator is loading and hence can't " +
          'process requests for this group',
      ),
    );
    log(entry(logLevel.ERROR, 'Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'));
    expect(lines.map(([level]) => level)).toEqual(['debug', 'error']);
  });

  it('counts repeats within the window (numbers aside) and reports the count with the next one', () => {
    const lines: string[] = [];
    let now = 0;
    const log = summarizingLogCreator(
      (_level, message) => lines.push(message),
      () => now,
    )(logLevel.INFO);
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

describe('defaultKafkaLog', () => {
  it('writes errors only, one prefixed line each, on stderr', () => {
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stderr.write;
    try {
      for (const level of ['error', 'warn', 'info', 'debug'] as const) defaultKafkaLog(level, `${level} line`);
    } finally {
      process.stderr.write = write;
    }
    expect(written).toEqual(['uniqstream: kafka: error line\n']);
  });
});
