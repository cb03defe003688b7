import { SocketTracker } from '@uniqstream/kafka';
import { describe, expect, it } from 'vitest';
import { createServiceKafka } from '../src/kafka.js';
import { createLogger } from '../src/log.js';

describe('the service client', () => {
  it(
    "logs kafkajs's lines into pino, one JSON line each at their level, answered errors as debug, " + 'repeats counted',
    () => {
      const lines: Record<string, unknown>[] = [];
      const log = createLogger('debug', {
        write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
      });
      let now = 0;
      const kafka = createServiceKafka({
        brokers: ['127.0.0.1:9092'],
        clientId: 'test',
        log,
        now: () => now,
        sockets: new SocketTracker(),
      });
      // What kafkajs's own code calls: its logger, through the logCreator the client was made with.
      const connection = kafka.logger().namespace('Connection');
      connection.error('Connection error: connect ECONNREFUSED 127.0.0.1:9092\n    at stack', {
        error: 'ECONNREFUSED',
      });
      now += 1_000;
      connection.error('Connection error: connect ECONNREFUSED 127.0.0.1:9092', { error: 'ECONNREFUSED' });
      connection.error('Response Metadata(key: 3, version: 6)', { error: 'The coordinator is loading' });
      kafka.logger().namespace('Runner').warn('The group is rebalancing, re-joining');
      // Below the client's level (warnings and errors only): not logged.
      kafka.logger().namespace('Consumer').info('Starting');
      now += 60_000;
      connection.error('Connection error: connect ECONNREFUSED 127.0.0.1:9092', { error: 'ECONNREFUSED' });
      expect(lines.map((l) => [l.level, l.msg, l.component])).toEqual([
        [50, 'connection: Connection error: connect ECONNREFUSED 127.0.0.1:9092', 'kafkajs'],
        [20, 'connection: Response Metadata(key: 3, version: 6): The coordinator is loading', 'kafkajs'],
        [40, 'runner: The group is rebalancing, re-joining', 'kafkajs'],
        [50, 'connection: Connection error: connect ECONNREFUSED 127.0.0.1:9092 (1 more like it before)', 'kafkajs'],
      ]);
    },
  );
});
