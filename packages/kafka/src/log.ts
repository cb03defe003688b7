import { logLevel, type LogEntry, type logCreator } from 'kafkajs';
import { firstLine } from './describe-error.js';

export const KAFKA_LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type KafkaLogLevel = (typeof KAFKA_LOG_LEVELS)[number];
/** Receives one line per event, never a stack trace. */
export type KafkaLog = (level: KafkaLogLevel, message: string) => void;

/** The same message within this long is counted, not printed again. */
export const REPEAT_WINDOW_MS = 10_000;

/**
 * For a client whose failures its owner reports itself (a probe retried
 * with a deadline): kafkajs's own lines only as 'debug'.
 */
export function quietened(log: KafkaLog): KafkaLog {
  return (_level, message) => log('debug', message);
}

/** Errors only, one line each on stderr: what a caller that passed no `log` gets. */
export const defaultKafkaLog: KafkaLog = (level, message) => {
  if (level === 'error') process.stderr.write(`uniqstream: kafka: ${message}\n`);
};

/**
 * Routes kafkajs's log entries (objects with a message, an error and a
 * stack) to `log` as one line each. kafkajs repeats itself while a broker is
 * away (every retry logs), so a message seen within REPEAT_WINDOW_MS is only
 * counted, and the count is added to its next appearance.
 */
export function summarizingLogCreator(log: KafkaLog, now: () => number): logCreator {
  const lastShown = new Map<string, { at: number; suppressed: number }>();
  return () => (entry: LogEntry) => {
    const level = isAnsweredError(entry) ? 'debug' : levelOf(entry.level);
    const message = formatEntry(entry);
    // Digits vary between repeats ("restarting in 3453ms", retry counts).
    const key = `${level} ${entry.namespace} ${message.replace(/\d+/g, '#')}`;
    const at = now();
    const seen = lastShown.get(key);
    if (seen !== undefined && at - seen.at < REPEAT_WINDOW_MS) {
      seen.suppressed++;
      return;
    }
    const repeats = seen !== undefined && seen.suppressed > 0 ? ` (${seen.suppressed} more like it before)` : '';
    lastShown.set(key, { at, suppressed: 0 });
    log(level, message + repeats);
  };
}

/**
 * kafkajs logs every error answer of a broker at ERROR level
 * (`Response InitProducerId(...): The coordinator is loading...`), also the
 * retriable ones it then retries; what it cannot retry reaches the caller as
 * a thrown error. So these are debug lines here.
 */
function isAnsweredError(entry: LogEntry): boolean {
  return (
    entry.namespace === 'Connection' &&
    typeof entry.log.message === 'string' &&
    entry.log.message.startsWith('Response ')
  );
}

function levelOf(level: logLevel): KafkaLogLevel {
  switch (level) {
    case logLevel.ERROR:
      return 'error';
    case logLevel.WARN:
      return 'warn';
    case logLevel.INFO:
      // kafkajs's info is its running commentary (joined, started, stopped).
      return 'debug';
    default:
      return 'debug';
  }
}

function formatEntry(entry: LogEntry): string {
  const { message, error } = entry.log as { message: string; error?: unknown };
  let text = firstLine(message);
  if (typeof error === 'string' && error !== '' && !text.includes(error)) text += `: ${firstLine(error)}`;
  // kafkajs's root logger has no namespace (undefined, whatever its types say).
  const namespace: string = entry.namespace ?? '';
  return `${namespace === '' ? '' : `${namespace.toLowerCase()}: `}${text}`;
}
