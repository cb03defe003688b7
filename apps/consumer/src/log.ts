import type { KafkaLog } from '@uniqstream/kafka';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

const STDERR_FD = 2;

/**
 * JSON lines on stderr. Written synchronously: the lines before a crash
 * (or a kill -9) are the ones an operator needs, and there are few of them.
 */
export function createLogger(
  level: LogLevel,
  destination?: DestinationStream,
  scrub?: (line: string) => string,
): Logger {
  return pino(
    {
      level,
      base: { service: 'uniqstream-consumer', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Every line, whatever field quotes a broker or a library, without the Kafka password (secretScrubber).
      ...(scrub === undefined ? {} : { hooks: { streamWrite: scrub } }),
    },
    destination ?? pino.destination({ dest: STDERR_FD, sync: true }),
  );
}

/**
 * @uniqstream/kafka's one-line kafkajs log (of the service's clients and
 * of the sinks') into pino, as `component: "kafkajs"`.
 */
export function kafkaLogOf(log: Logger): KafkaLog {
  return (level, message) => log[level]({ component: 'kafkajs' }, message);
}
