import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type ISocketFactory, type LogEntry, type logCreator } from 'kafkajs';

/*
 * kafkajs client settings shared by the Kafka sinks. @uniqstream/sources has
 * the same small module (sources and sinks must not depend on each other):
 * keep the two in step.
 */

export const KAFKA_LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type KafkaLogLevel = (typeof KAFKA_LOG_LEVELS)[number];
/** Receives one line per event, never a stack trace. */
export type KafkaLog = (level: KafkaLogLevel, message: string) => void;

export const DEFAULT_CLIENT_ID = 'uniqstream';
/** kafkajs's 1 s default gives false alarms on a loaded machine. */
export const CONNECTION_TIMEOUT_MS = 3_000;
export const REQUEST_TIMEOUT_MS = 30_000;
/** The same message within this long is counted, not printed again. */
export const REPEAT_WINDOW_MS = 10_000;

export interface RetrySettings {
  readonly initialRetryTime: number;
  readonly maxRetryTime: number;
  readonly factor: number;
  readonly multiplier: number;
  readonly retries: number;
}

/**
 * Retries of requests during a run: about 40 s of backoff before kafkajs
 * gives up on a request and restarts the consumer. Every field is set
 * because kafkajs takes its defaults from NODE_ENV (tiny ones under test
 * runners).
 */
export const RUN_RETRY: RetrySettings = { initialRetryTime: 300, maxRetryTime: 10_000, factor: 0.2, multiplier: 2, retries: 8 };
/** Probes fail fast: their caller loops with its own backoff and deadline. */
export const PROBE_RETRY: RetrySettings = { ...RUN_RETRY, retries: 0 };

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly log: KafkaLog;
  /** True: kafkajs's info lines too (as 'debug'); false: only its warnings and errors. */
  readonly verbose: boolean;
  readonly retry: RetrySettings;
  readonly now: () => number;
  /** Where the client's connections are opened and remembered. */
  readonly sockets: SocketTracker;
}

/** kafkajs's own keep-alive delay. */
const KEEP_ALIVE_DELAY_MS = 60_000;

/**
 * Opens the clients' connections (plain TCP, as kafkajs does) and remembers
 * them. After a broker restart, kafkajs 2.2.4's disconnect() can miss
 * connections it replaced meanwhile: their sockets stay open and their
 * request queues re-arm a 1 ms timer forever (RequestQueue.
 * scheduleCheckPendingRequests), which keeps the process alive after its
 * work is done. destroyAll() ends them with an error, the one path on which
 * kafkajs also stops their timers.
 */
export class SocketTracker {
  private readonly open = new Set<Socket>();
  /** Set by destroyAll(): kafkajs's complaints about those sockets are expected. */
  closing = false;

  readonly factory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket = connect({ host, port }, onConnect);
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    return socket;
  };

  /** Ends the connections still open; returns how many there were. */
  destroyAll(): number {
    this.closing = true;
    const left = this.open.size;
    for (const socket of this.open) socket.destroy(new Error('closed with its client'));
    this.open.clear();
    return left;
  }
}

export function createKafka(options: KafkaClientOptions): Kafka {
  return new Kafka({
    socketFactory: options.sockets.factory,
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    retry: { ...options.retry },
    logLevel: options.verbose ? logLevel.INFO : logLevel.WARN,
    logCreator: summarizingLogCreator((level, message) => options.log(options.sockets.closing ? 'debug' : level, message), options.now),
  });
}

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
  return entry.namespace === 'Connection' && typeof entry.log.message === 'string' && entry.log.message.startsWith('Response ');
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
  return `${entry.namespace === '' ? '' : `${entry.namespace.toLowerCase()}: `}${text}`;
}

/**
 * One line for a kafkajs error: its message and, when different, that of
 * its root cause (kafkajs wraps a refused connection in retry errors).
 */
export function describeKafkaError(error: unknown): string {
  const top = messageOf(error);
  let root: unknown = error;
  const seen = new Set<unknown>();
  while (root instanceof Error && root.cause !== undefined && !seen.has(root.cause)) {
    seen.add(root.cause);
    root = root.cause;
  }
  const deepest = messageOf(root);
  return firstLine(deepest !== '' && !top.includes(deepest) ? `${top}: ${deepest}` : top);
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return (end === -1 ? text : text.slice(0, end)).trim();
}

export interface WaitOptions {
  /** The last attempt starts at the latest this many ms after the first. */
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly signal?: AbortSignal | undefined;
  /** Called once, after the first failure, while retrying. */
  readonly onFirstFailure?: (reason: string) => void;
}

/** Backoff between attempts: short at first (a broker still starting), then capped. */
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 2_000;

/**
 * Runs `attempt` until it succeeds, backing off between failures, for up to
 * `timeoutMs`. Rejects with the last failure's one-line description when time
 * is up (or when `signal` aborts).
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
      if (options.signal?.aborted === true || left <= 0) throw new GaveUp(reason, tries, error);
      if (tries === 1) options.onFirstFailure?.(reason);
      try {
        await sleep(Math.min(backoff, left), undefined, options.signal === undefined ? {} : { signal: options.signal });
      } catch {
        // Aborted: the next failed attempt reports it.
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
