import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import {
  createKafka,
  DEFAULT_CLIENT_ID,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_UNAVAILABLE_TIMEOUT_MS,
  PROBE_RETRY,
  PRODUCER_RETRY,
  RUN_RETRY,
} from './client.js';
import { authorizationFailureOf, describeKafkaError, isBrokerAway, isTransient } from './describe-error.js';
import { KafkaError, type KafkaErrorCode } from './errors.js';
import { defaultKafkaLog, quietened, type KafkaLog, type KafkaLogLevel } from './log.js';
import { GaveUp, retryUntil, waitForBroker } from './retry.js';
import { checkKafkaSecurity, type KafkaSecurity } from './security.js';
import { SocketTracker } from './sockets.js';

const KIB = 1024;
/** acks=-1: every in-sync replica has the records; the idempotent producer requires it. */
const ACKS_ALL = -1;
/**
 * Most bytes of values per send. The broker refuses a record batch over
 * message.max.bytes (1 MB by default), and one send makes one batch per
 * partition: this stays well under it.
 */
export const DEFAULT_BATCH_BYTES = 512 * KIB;
/** Most records per send. */
export const DEFAULT_BATCH_MESSAGES = 5_000;
/** As Kafka's producer (linger.ms, 5 ms since Kafka 4): a few ms lets a burst of records share a send. */
export const DEFAULT_LINGER_MS = 5;
/** Sends queued behind the one in flight before write() waits. */
const MAX_QUEUED_SENDS = 4;
/** Bytes a record adds to its value on the wire, roughly: for the batch size bound. */
const RECORD_OVERHEAD_BYTES = 64;
const MS_PER_SECOND = 1000;
/** How long creating the topic is tried again while the broker answers with a transient error. */
const TOPIC_SETUP_RETRY_MS = 30_000;

const COMPRESSION = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP } as const;

/** What a send that passed its deadline rejects with, to tell it from kafkajs's own failures. */
class NoAcknowledgement extends Error {
  override readonly name = 'NoAcknowledgement';
}

/** What every writer takes, whichever client it produces with. */
export interface TopicWriterSettings {
  readonly topic: string;
  /** What the topic holds, for messages: `results`, `dead letters`. */
  readonly what: string;
  /**
   * How long a send may go unacknowledged before the writer fails with
   * UNAVAILABLE (default 5 min, 0 = forever). While the broker is away the
   * send is retried, with the same records in the same order.
   */
  readonly unavailableTimeoutMs?: number;
  /** Most bytes of values per send (default 512 KiB). A larger record goes alone. */
  readonly batchBytes?: number;
  /** Most records per send (default 5000). */
  readonly batchMessages?: number;
  /**
   * How long records written while nothing is being sent wait for more
   * before they go (default DEFAULT_LINGER_MS; a full batch goes at once, and
   * what is written while a send is under way goes when it is done). Without
   * it, results would wait for the next flush: results are few, batches rarely fill.
   */
  readonly lingerMs?: number;
  /** Compression of the record batches (default none). */
  readonly compression?: 'none' | 'gzip';
  /**
   * Told after each send the broker acknowledged, with its number of
   * records, in write order: the records written so far that are certainly
   * in the topic (e.g. to count only those).
   */
  readonly onAcknowledged?: (records: number) => void;
  /**
   * What the writer throws instead of each KafkaError, e.g. the caller's own
   * typed error with the same message (default: the KafkaError itself).
   * A failed send is remembered and thrown again by every later call, so
   * mapping here saves mapping at each of them.
   */
  readonly errorOf?: (error: KafkaError) => Error;
}

/** The writer makes clients of its own, waits for a broker and creates the topic when it is missing. */
export interface OwnClientSettings {
  /** `host:port` of one or more brokers. */
  readonly brokers: readonly string[];
  readonly kafka?: undefined;
  /** Partitions when this writer creates the topic (default 1). */
  readonly partitions?: number;
  /** Topic settings when this writer creates the topic, e.g. cleanup.policy=compact. */
  readonly topicConfig?: Readonly<Record<string, string>>;
  /** Default `uniqstream`. */
  readonly clientId?: string;
  /** One line per event; default: kafkajs errors on stderr, nothing else. */
  readonly log?: KafkaLog;
  /** Also kafkajs's own info lines (as 'debug'). */
  readonly verbose?: boolean;
  /** How long to wait for a broker at start (default 30 s). */
  readonly connectTimeoutMs?: number;
  /** Monotonic ms for the connect deadline and log pacing (default performance.now). */
  readonly now?: () => number;
  /** TLS and SASL for its connections; absent: plaintext, no login. */
  readonly security?: KafkaSecurity;
}

/** The writer produces through a client of its caller's, who has set up the topic. */
export interface SharedClientSettings {
  readonly kafka: Kafka;
  readonly brokers?: undefined;
  /** The writer's own lines (an outage, its end); default: errors on stderr, nothing else. */
  readonly log?: KafkaLog;
}

export type KafkaTopicWriterOptions = TopicWriterSettings & (OwnClientSettings | SharedClientSettings);

/** What close() does with records not acknowledged yet. */
export interface CloseOptions {
  /**
   * True (default): send them and wait for their acknowledgement first.
   * False: disconnect at once, for a caller whose own replay covers what is
   * lost (a send kafkajs retries forever would otherwise hold close()).
   */
  readonly flush?: boolean;
}

/**
 * Keyed records to one topic through kafkajs's idempotent producer (acks
 * -1, one request in flight): `write()` queues, full batches are sent one
 * after the other (so records keep their order, which a compacted topic of
 * revisions needs), `flush()` sends the rest and waits for every ack.
 *
 * A send the broker's absence fails is sent again, the same records by the
 * same producer (so the broker drops what it had already written), until
 * it is acknowledged or unavailableTimeoutMs has passed. The writer says
 * once at 'warn' that it lost the broker, and at 'info' when it is back;
 * meanwhile kafkajs's complaints about its own clients are 'debug'.
 *
 * Connecting starts at once, in the background; `ready()` waits for it.
 * With `brokers`, the writer waits for a broker (KafkaError 'UNAVAILABLE'
 * when none answers within connectTimeoutMs), creates the topic when it is
 * missing, and ends its connections with close(). With `kafka`, it only
 * connects a producer of that client.
 */
export class KafkaTopicWriter {
  readonly name: string;
  readonly topic: string;
  private readonly options: KafkaTopicWriterOptions;
  private readonly log: KafkaLog;
  private readonly where: string;
  private readonly kafka: Kafka;
  /** With `brokers`: the writer's own connections, ended by close(). */
  private readonly sockets: SocketTracker | undefined;
  private readonly producer: Producer;
  private readonly started: Promise<void>;
  private readonly batchBytes: number;
  private readonly batchMessages: number;
  private pending: Message[] = [];
  private pendingBytes = 0;
  private readonly lingerMs: number;
  private lingering: NodeJS.Timeout | undefined;
  /** The last send queued: sends run one after the other. */
  private tail: Promise<void> = Promise.resolve();
  private queuedSends = 0;
  private failure: Error | undefined;
  private closed = false;
  /** Aborted by close(): ends a wait for a broker and a send's retries. */
  private readonly stopping = new AbortController();
  /** Monotonic ms, for send deadlines and the outage's length. */
  private readonly now: () => number;
  /** Since when sends find no broker (monotonic ms); undefined while they are acknowledged. */
  private outageSince: number | undefined;
  /** The latest sign of the outage, for the error if it outlasts unavailableTimeoutMs. */
  private trouble = '';

  constructor(options: KafkaTopicWriterOptions) {
    this.options = options;
    this.topic = options.topic;
    this.batchBytes = this.positive('batchBytes', options.batchBytes ?? DEFAULT_BATCH_BYTES);
    const linger = options.lingerMs ?? DEFAULT_LINGER_MS;
    if (!(Number.isFinite(linger) && linger >= 0))
      throw this.error('BAD_OPTION', `lingerMs must be a number of ms >= 0, got ${linger}`);
    this.lingerMs = linger;
    this.batchMessages = this.positive('batchMessages', options.batchMessages ?? DEFAULT_BATCH_MESSAGES);
    if (options.kafka !== undefined) {
      this.where = 'Kafka';
      this.name = `kafka:${options.topic}`;
      this.log = options.log ?? defaultKafkaLog;
      this.now = () => performance.now();
      this.kafka = options.kafka;
      this.sockets = undefined;
      this.producer = this.createProducer();
      this.started = this.connectProducer();
    } else {
      if (options.brokers.length === 0) throw this.error('BAD_OPTION', 'no Kafka broker given');
      if (options.security !== undefined) {
        try {
          checkKafkaSecurity(options.security);
        } catch (error) {
          throw error instanceof KafkaError ? this.mapped(error) : error;
        }
      }
      const partitions = this.positive('partitions', options.partitions ?? 1);
      this.where = `Kafka at ${options.brokers.join(',')}`;
      this.name = `kafka://${options.brokers.join(',')}/${options.topic}`;
      this.log = options.log ?? defaultKafkaLog;
      const now = options.now ?? (() => performance.now());
      this.now = now;
      this.sockets = new SocketTracker();
      const client = {
        brokers: options.brokers,
        clientId: options.clientId ?? DEFAULT_CLIENT_ID,
        log: this.log,
        verbose: options.verbose ?? false,
        now,
        sockets: this.sockets,
        security: options.security,
      };
      this.kafka = createKafka({ ...client, log: (level, line) => this.clientLine(level, line), retry: RUN_RETRY });
      const probe = createKafka({ ...client, log: quietened(this.log), retry: PROBE_RETRY });
      this.producer = this.createProducer();
      this.started = this.setUp(options, probe, partitions, now);
    }
    // Reported by ready(), write() and flush(); not an unhandled rejection meanwhile.
    this.started.catch(() => undefined);
  }

  /** Resolves once connected (with the topic in place); rejects with a KafkaError (or what errorOf makes of it)
   * otherwise. */
  ready(): Promise<void> {
    return this.started;
  }

  /**
   * The topic's partition count, asked of the cluster once connected (for a
   * caller that spreads records over the partitions itself).
   */
  async partitions(): Promise<number> {
    await this.started;
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const metadata = await admin.fetchTopicMetadata({ topics: [this.topic] });
      const count = metadata.topics[0]?.partitions.length ?? 0;
      if (count === 0) throw new Error(`topic ${this.topic} has no partitions`);
      return count;
    } catch (error) {
      throw this.error(
        'FAILED',
        `cannot read the partitions of ${this.topic} on ${this.where}: ${describeKafkaError(error)}`,
        error,
      );
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Queues records; resolves at once unless several batches wait to be sent. */
  async write(messages: readonly Message[]): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.closed) throw this.error('CLOSED', `${this.name} is closed`);
    for (const message of messages) {
      this.pending.push(message);
      this.pendingBytes += sizeOf(message) + RECORD_OVERHEAD_BYTES;
      if (this.pending.length >= this.batchMessages || this.pendingBytes >= this.batchBytes) this.sendPending();
    }
    if (this.queuedSends === 0) this.linger();
    if (this.queuedSends > MAX_QUEUED_SENDS) await this.tail;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Sends what is queued and waits until the broker has acknowledged everything written so far. */
  async flush(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.sendPending();
    await this.tail;
    if (this.failure !== undefined) throw this.failure;
    // Nothing was written, perhaps, but a writer that cannot connect should say so.
    await this.started;
  }

  /** Flushes (unless told not to), then disconnects; a failed flush still disconnects and is rethrown. */
  async close(options: CloseOptions = {}): Promise<void> {
    if (this.closed) return;
    try {
      const unsent = this.pending.length > 0 || this.queuedSends > 0;
      if ((options.flush ?? true) && this.failure === undefined && unsent) await this.flush();
    } finally {
      this.closed = true;
      clearTimeout(this.lingering);
      this.lingering = undefined;
      this.stopping.abort();
      // A connect still under way would otherwise finish after the disconnect and keep the process alive.
      await this.started.catch(() => undefined);
      await this.producer.disconnect().catch(() => undefined);
      const left = this.sockets?.destroyAll() ?? 0;
      if (left > 0) this.log('debug', `closed ${left} connection${left === 1 ? '' : 's'} kafkajs left open`);
    }
  }

  private createProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Java's murmur2 partitioner (also kafkajs's default; naming it silences kafkajs's notice).
      createPartitioner: Partitioners.DefaultPartitioner,
      // The idempotent producer keeps retrying; UNAVAILABLE is decided here, by time.
      retry: { ...PRODUCER_RETRY },
    });
  }

  /** Sends what is pending once lingerMs has passed, unless a send or a full batch takes it first. */
  private linger(): void {
    if (this.lingering !== undefined || this.pending.length === 0 || this.closed) return;
    this.lingering = setTimeout(() => {
      this.lingering = undefined;
      if (this.queuedSends === 0) this.sendPending();
    }, this.lingerMs);
  }

  private sendPending(): void {
    clearTimeout(this.lingering);
    this.lingering = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.queuedSends++;
    this.tail = this.tail.then(async () => {
      try {
        if (this.failure === undefined) await this.send(batch);
      } catch (error) {
        // send() rejects with the writer's own errors only.
        this.failure ??= error as Error;
      } finally {
        this.queuedSends--;
        // What came in while this one was under way goes next.
        if (this.queuedSends === 0 && this.failure === undefined && !this.closed) this.sendPending();
      }
    });
  }

  /**
   * Sends one batch, again while the broker is away, until it is
   * acknowledged or unavailableTimeoutMs has passed since the first try.
   * kafkajs gives a failed request's sequence numbers back, so the same
   * records sent again by the same producer keep theirs, and the broker
   * drops any it had already written.
   */
  private async send(messages: Message[]): Promise<void> {
    await this.started;
    const limit = this.options.unavailableTimeoutMs ?? DEFAULT_UNAVAILABLE_TIMEOUT_MS;
    const timeoutMs = limit === 0 ? Number.POSITIVE_INFINITY : limit;
    const deadline = this.now() + timeoutMs;
    try {
      await retryUntil(() => this.sendOnce(messages, deadline), {
        timeoutMs,
        now: this.now,
        signal: this.stopping.signal,
        retryIf: isBrokerAway,
        onFirstFailure: (reason) => this.lost(reason),
      });
    } catch (error) {
      const cause = error instanceof GaveUp ? error.cause : error;
      if (cause instanceof NoAcknowledgement || (isBrokerAway(cause) && !this.stopping.signal.aborted)) {
        const latest = cause instanceof NoAcknowledgement ? this.trouble : describeKafkaError(cause);
        const reason = latest === '' ? '' : `: ${latest}`;
        throw this.error(
          'UNAVAILABLE',
          `cannot write ${this.options.what} to ${this.where}: no acknowledgement for ${secondsOf(limit)} s${reason}`,
          cause,
        );
      }
      throw this.error(
        'FAILED',
        `cannot write ${this.options.what} to ${this.topic} on ${this.where}: ${describeKafkaError(cause)}`,
        cause,
      );
    }
    this.recovered();
    this.options.onAcknowledged?.(messages.length);
  }

  /** One producer.send, given up (NoAcknowledgement) at `deadline`; kafkajs's own retries run meanwhile. */
  private async sendOnce(messages: Message[], deadline: number): Promise<void> {
    const compression = COMPRESSION[this.options.compression ?? 'none'];
    const sent = this.producer
      .send({ topic: this.topic, messages, acks: ACKS_ALL, compression })
      .catch((error: unknown) => {
        this.trouble = describeKafkaError(error);
        throw error;
      });
    if (deadline === Number.POSITIVE_INFINITY) {
      await sent;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new NoAcknowledgement('no acknowledgement')), Math.max(0, deadline - this.now()));
    });
    // The send goes on in kafkajs after a timeout; its failure is not this writer's any more.
    sent.catch(() => undefined);
    try {
      await Promise.race([sent, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The first sign, during a send, that the broker is away: said once per outage. */
  private lost(reason: string): void {
    this.trouble = reason;
    if (this.outageSince !== undefined) return;
    this.outageSince = this.now();
    const limit = this.options.unavailableTimeoutMs ?? DEFAULT_UNAVAILABLE_TIMEOUT_MS;
    const patience = limit === 0 ? 'until it is back' : `for up to ${secondsOf(limit)} s`;
    this.log(
      'warn',
      `lost ${this.where} while writing ${this.options.what} (${reason}); keeping them and retrying ${patience}`,
    );
  }

  private recovered(): void {
    if (this.outageSince === undefined) return;
    const seconds = (this.now() - this.outageSince) / MS_PER_SECOND;
    this.outageSince = undefined;
    this.log('info', `${this.where} acknowledges ${this.options.what} again, after ${seconds.toFixed(1)} s`);
  }

  /**
   * kafkajs's lines about the writer's own client. A complaint while a send
   * is under way is the first sign of a broker gone away: the writer says so
   * once (lost), and the client's lines are debug until a send is
   * acknowledged again, since kafkajs repeats them at every retry.
   */
  private clientLine(level: KafkaLogLevel, line: string): void {
    if ((level === 'error' || level === 'warn') && this.queuedSends > 0) this.lost(line);
    this.log(this.outageSince === undefined ? level : 'debug', line);
  }

  /** A KafkaError, or what the caller's errorOf makes of it. */
  private error(code: KafkaErrorCode, message: string, cause?: unknown): Error {
    return this.mapped(new KafkaError(code, message, cause === undefined ? {} : { cause }));
  }

  private mapped(error: KafkaError): Error {
    return this.options.errorOf?.(error) ?? error;
  }

  private positive(name: string, value: number): number {
    if (!Number.isSafeInteger(value) || value < 1)
      throw this.error('BAD_OPTION', `${name} must be a positive integer, got ${value}`);
    return value;
  }

  private async connectProducer(): Promise<void> {
    try {
      await this.producer.connect();
    } catch (error) {
      throw this.error(
        'FAILED',
        `cannot connect the producer of ${this.options.what} (${this.topic}): ${describeKafkaError(error)}`,
        error,
      );
    }
  }

  private async setUp(own: OwnClientSettings, probe: Kafka, partitions: number, now: () => number): Promise<void> {
    try {
      await waitForBroker(probe, own.brokers, {
        timeoutMs: own.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        now,
        signal: this.stopping.signal,
        log: this.log,
      });
    } catch (error) {
      throw error instanceof KafkaError ? this.mapped(error) : error;
    }
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const config = Object.entries(own.topicConfig ?? {}).map(([name, value]) => ({ name, value }));
      let created = false;
      // Another client creating the same topic at the same moment makes the broker answer that it does not host it yet.
      await retryUntil(
        async () => {
          created = await admin.createTopics({
            topics: [{ topic: this.topic, numPartitions: partitions, configEntries: config }],
            waitForLeaders: true,
          });
        },
        { timeoutMs: TOPIC_SETUP_RETRY_MS, now, retryIf: isTransient },
      ).catch(async (failure: unknown) => {
        const error = failure instanceof GaveUp ? failure.cause : failure;
        // Not allowed to create it: fine when it exists, as least-privilege setups have it (WRITE on the topic, no
        // CREATE).
        if (authorizationFailureOf(error) !== 'TOPIC_AUTHORIZATION_FAILED') throw error;
        const exists = await admin.fetchTopicMetadata({ topics: [this.topic] }).then(
          () => true,
          (metadataError: unknown) => (authorizationFailureOf(metadataError) === undefined ? false : undefined),
        );
        if (exists === true) return;
        const who = own.security?.sasl === undefined ? 'this client' : `user ${own.security.sasl.username}`;
        throw new AclMissing(
          exists === false
            ? `it does not exist, and ${who} may not create it (create it beforehand, or add an ACL ` +
                `for CREATE on topic ${this.topic})`
            : `${who} may not write to it (an ACL for WRITE on topic ${this.topic} is missing; CREATE ` +
                `too, if it does not exist yet)`,
          { cause: error },
        );
      });
      if (created) {
        const settings = config.map((c) => `${c.name}=${c.value}`).join(', ');
        this.log(
          'info',
          `created topic ${this.topic} for ${this.options.what} (${partitions} ` +
            `partition${partitions === 1 ? '' : 's'}${settings === '' ? '' : `, ${settings}`})`,
        );
      }
      if (!this.stopping.signal.aborted) await this.producer.connect();
    } catch (error) {
      if (error instanceof AclMissing)
        throw this.error('FAILED', `cannot set up topic ${this.topic} on ${this.where}: ${error.message}`, error.cause);
      throw this.error(
        'FAILED',
        `cannot set up topic ${this.topic} on ${this.where}: ${describeKafkaError(error)}`,
        error,
      );
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

/** `300`, `5`, `0.3`: whole seconds, or tenths below one. */
function secondsOf(ms: number): number {
  return Number((ms / MS_PER_SECOND).toFixed(1));
}

function sizeOf(message: Message): number {
  const value = message.value;
  if (value === null) return 0;
  // Frames in dead letters hold multi-byte text: count bytes, not characters.
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

/** The topic's set-up was refused for want of an ACL; the message says which. */
class AclMissing extends Error {}
