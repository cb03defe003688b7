import { logLevel, type LogEntry } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isRebalanceInProgress, pinoLogCreator } from '../src/kafka.js';
import { createLogger } from '../src/log.js';

function entry(level: logLevel, namespace: string, message: string, error?: string): LogEntry {
  return { namespace, level, label: 'x', log: { timestamp: '', message, ...(error === undefined ? {} : { error }) } };
}

describe('kafkajs logs in pino', () => {
  it('become one JSON line each at their level, answered errors as debug, repeats counted', () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('debug', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const write = pinoLogCreator(log)(logLevel.WARN);
    write(entry(logLevel.ERROR, 'Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092\n    at stack', 'ECONNREFUSED'));
    write(entry(logLevel.ERROR, 'Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'));
    write(entry(logLevel.ERROR, 'Connection', 'Response Metadata(key: 3, version: 6)', 'The coordinator is loading'));
    write(entry(logLevel.WARN, 'Runner', 'The group is rebalancing, re-joining'));
    expect(lines.map((l) => [l['level'], l['msg'], l['component']])).toEqual([
      [50, 'Connection error: connect ECONNREFUSED 127.0.0.1:9092', 'kafkajs'],
      [20, 'Response Metadata(key: 3, version: 6)', 'kafkajs'],
      [40, 'The group is rebalancing, re-joining', 'kafkajs'],
    ]);
  });

  it('tells the heartbeat answer that allows a checkpoint before rejoining', () => {
    expect(isRebalanceInProgress(Object.assign(new Error('rebalancing'), { type: 'REBALANCE_IN_PROGRESS' }))).toBe(true);
    // Out of the generation already: the partitions may be someone else's by now.
    expect(isRebalanceInProgress(Object.assign(new Error('gone'), { type: 'ILLEGAL_GENERATION' }))).toBe(false);
    expect(isRebalanceInProgress(new Error('other'))).toBe(false);
  });
});
