import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { FrameBatch } from '@uniqstream/core';
import type { KafkaLog } from '@uniqstream/kafka';
import { SourceError } from './errors.js';
import type { PartitionStart } from './kafka-assignment.js';
import { BatchBuffers } from './kafka-buffers.js';
import type { BatchMessage, FromWorker, ToWorker, WorkerSetup } from './kafka-messages.js';
import type { ReaderSettings } from './kafka-reader.js';

/**
 * close() waits this long for the reader thread to leave the group and
 * disconnect (kafkajs's own requests time out well before), then ends it.
 */
const WORKER_CLOSE_TIMEOUT_MS = 35_000;

/**
 * The reader thread's script: beside this module in dist/. Run from the
 * TypeScript sources (the package's own tests), this module is
 * src/kafka-worker-link.ts and Node cannot run src/kafka-worker.ts in a
 * thread, so the built one is used: build the package first.
 */
export function workerScript(from: string = import.meta.url): URL {
  return new URL(from.endsWith('.ts') ? '../dist/kafka-worker.js' : './kafka-worker.js', from);
}

/**
 * The caller's Node flags for the reader thread, without those a thread
 * started from a file refuses: `--input-type` (a caller run as `node
 * --input-type=module -e ...`) would fail the thread at start.
 */
export function workerExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--input-type') i++;
    else if (!arg.startsWith('--input-type=')) out.push(arg);
  }
  return out;
}

/**
 * Starts the reader thread with the caller's Node flags (workerExecArgv).
 * A thread given its flags explicitly refuses V8 and process-wide ones
 * (`node --trace-gc`, `--max-old-space-size=4096`): those hold for every
 * thread already, so the refused ones are left out and it starts again.
 */
export function startThread(
  script: URL,
  workerData: unknown,
  callerArgv: readonly string[] = process.execArgv,
): Worker {
  const execArgv = workerExecArgv(callerArgv);
  try {
    return new Worker(script, { workerData, execArgv });
  } catch (error) {
    const refused = refusedFlags(error);
    if (refused.length === 0) throw error;
    return new Worker(script, { workerData, execArgv: execArgv.filter((arg) => !refused.includes(arg)) });
  }
}

/** Node names the flags a thread refused only in its error message: "... invalid execArgv flags: --a, --b". */
function refusedFlags(error: unknown): string[] {
  if (!(error instanceof Error) || (error as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') return [];
  const listed = /flags: (.*)$/.exec(error.message)?.[1];
  return listed === undefined ? [] : listed.split(', ');
}

/** V8's flag for the old generation's first size (MB); 0 is V8's own choice. */
const INITIAL_OLD_SPACE_FLAG = '--initial-old-space-size';

/**
 * The V8 flag that gives the reader thread an old generation of
 * `initialOldSpaceMb` from the start, or undefined to leave V8's flags
 * alone: when the caller's Node flags (`callerArgv`, NODE_OPTIONS) set it,
 * theirs holds.
 */
export function readerHeapFlag(
  initialOldSpaceMb: number,
  callerArgv: readonly string[],
  nodeOptions: string | undefined,
): string | undefined {
  const named = (arg: string): boolean =>
    arg === INITIAL_OLD_SPACE_FLAG || arg.startsWith(`${INITIAL_OLD_SPACE_FLAG}=`);
  if (callerArgv.some(named) || (nodeOptions ?? '').split(/\s+/).some(named)) return undefined;
  return `${INITIAL_OLD_SPACE_FLAG}=${initialOldSpaceMb}`;
}

export interface WorkerLinkOptions {
  readonly reader: ReaderSettings;
  /** Bytes of fetched frames between the threads at most (KafkaSourceOptions.workerBufferBytes). */
  readonly bufferBytes: number;
  /** See KafkaSourceOptions.readerOldSpaceMb. */
  readonly initialOldSpaceMb: number;
}

/** What the reader thread tells the source, on the source's thread. */
export interface LinkHost {
  readonly log: KafkaLog;
  /**
   * Hands a batch of records read in `session` (PartitionStart.session) to
   * the pipeline. Resolves once the pipeline is done with its frames (or
   * they were dropped, or the source closed).
   */
  offer(batch: FrameBatch, session: number): Promise<unknown>;
  /** The consumer exists and is about to join: the clock for "Kafka lost" starts. */
  consuming(): void;
  /** After every group join: the partitions of the topic held now, ascending. New ones are read once started. */
  joined(assignment: readonly number[]): void;
  /** The group rebalances (rebalance `id`): the rejoin waits for rejoin(id). */
  rebalancing(id: number): void;
  /** A fetch answered (with data or not). */
  fetched(): void;
  crashed(reason: string, restart: boolean, cause: unknown): void;
  /** The reader cannot go on (its thread died). */
  failed(error: SourceError): void;
}

interface Request<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: SourceError) => void;
}

/**
 * The Kafka source's side of its reader thread (kafka-worker.ts): starts
 * it, turns its descriptors into FrameBatches of views of each batch's
 * transferred buffer, gives the room (and the buffer) back once the
 * pipeline is done with a batch, passes the thread's log lines and group
 * events to the source, and forwards commits, lag requests and close.
 */
export class WorkerLink {
  private readonly buffers: BatchBuffers;
  private worker: Worker | undefined;
  private nextRequest = 1;
  private readonly commits = new Map<number, Request<void>>();
  private readonly lags = new Map<number, Request<Map<number, number>>>();
  private startWaiter: Request<void> | undefined;
  private closing = false;
  private gone = false;
  private exited: Promise<void> = Promise.resolve();
  private onClosed: () => void = () => undefined;

  constructor(
    private readonly host: LinkHost,
    private readonly options: WorkerLinkOptions,
    private readonly script: URL = workerScript(),
  ) {
    this.buffers = BatchBuffers.create(options.bufferBytes);
  }

  /**
   * Starts the thread, which connects, checks the topic, joins the group
   * and starts fetching; resolves once it has, quietly once `signal`
   * aborts; fails with the thread's SourceError.
   */
  start(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    const path = fileURLToPath(this.script);
    if (!existsSync(path))
      return Promise.reject(
        new SourceError('BAD_STATE', `the Kafka reader thread's script ${path} is missing (build @uniqstream/sources)`),
      );
    const setup: WorkerSetup = { reader: this.options.reader, buffers: this.buffers.memory };
    // V8 reads its heap flags when a thread's heap is made: set now, this one holds for the reader
    // thread (the caller's heap is made already). Process-wide, it also holds for threads started later.
    const heapFlag = readerHeapFlag(this.options.initialOldSpaceMb, process.execArgv, process.env.NODE_OPTIONS);
    if (heapFlag !== undefined) setFlagsFromString(heapFlag);
    const worker = startThread(this.script, setup);
    this.worker = worker;
    this.exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (message: FromWorker) => this.receive(message));
    worker.on('error', (error) =>
      this.lost(`the Kafka reader thread failed: ${error.message.split('\n')[0] ?? ''}`, error),
    );
    worker.on('exit', (code) => this.lost(`the Kafka reader thread stopped (exit code ${code})`, undefined));
    return new Promise<void>((resolve, reject) => {
      this.startWaiter = { resolve, reject };
      signal.addEventListener(
        'abort',
        () => {
          // Like the in-thread reader: stop waiting for a broker, end quietly.
          this.send({ kind: 'stop-starting' });
          this.settleStart(undefined);
        },
        { once: true },
      );
    });
  }

  /** Commits partition -> next offset (already limited to the partitions held). */
  commit(positions: ReadonlyMap<number, number>): Promise<void> {
    if (this.worker === undefined || this.closing || positions.size === 0) return Promise.resolve();
    const id = this.nextRequest++;
    return new Promise<void>((resolve, reject) => {
      this.commits.set(id, { resolve, reject });
      this.send({ kind: 'commit', id, positions: [...positions] });
    });
  }

  lag(assignment: readonly number[], delivered: ReadonlyMap<number, number>): Promise<Map<number, number>> {
    if (this.worker === undefined || this.closing) return Promise.resolve(new Map());
    const id = this.nextRequest++;
    return new Promise<Map<number, number>>((resolve, reject) => {
      this.lags.set(id, { resolve, reject });
      this.send({ kind: 'lag', id, assignment: [...assignment], delivered: [...delivered] });
    });
  }

  /** Reads these gained partitions, from where each starts. */
  startPartitions(starts: readonly PartitionStart[]): void {
    if (!this.closing) this.send({ kind: 'start', starts });
  }

  /** The state is saved for rebalance `id`: kafkajs may rejoin. */
  rejoin(id: number): void {
    if (!this.closing) this.send({ kind: 'rejoin', id });
  }

  /** The source's caller stopped reading: the reader thread sees it before its next batch and stops there. */
  stop(): void {
    this.buffers.close();
  }

  async close(): Promise<void> {
    this.closing = true;
    this.buffers.close();
    const worker = this.worker;
    if (worker === undefined) return;
    const closed = new Promise<void>((resolve) => (this.onClosed = resolve));
    this.send({ kind: 'close' });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, WORKER_CLOSE_TIMEOUT_MS)));
    await Promise.race([closed, this.exited, late]);
    clearTimeout(timer);
    // Whatever kafkajs still has armed (timers, sockets) ends with the thread.
    await worker.terminate();
    this.settleAll();
  }

  private receive(message: FromWorker): void {
    switch (message.kind) {
      case 'batch':
        this.batch(message);
        return;
      case 'fetched':
        this.host.fetched();
        return;
      case 'log':
        this.host.log(message.level, message.message);
        return;
      case 'joined':
        this.host.joined(message.assignment);
        return;
      case 'rebalancing':
        this.host.rebalancing(message.id);
        return;
      case 'consuming':
        this.host.consuming();
        return;
      case 'crashed':
        this.host.crashed(
          message.reason,
          message.restart,
          message.code === undefined ? new Error(message.reason) : new SourceError(message.code, message.reason),
        );
        return;
      case 'started':
        this.settleStart(undefined);
        return;
      case 'failed':
        this.settleStart(
          new SourceError(
            message.code,
            message.message,
            message.cause === '' ? {} : { cause: new Error(message.cause) },
          ),
        );
        return;
      case 'committed':
        this.commits.get(message.id)?.resolve();
        this.commits.delete(message.id);
        return;
      case 'lag':
        this.lags.get(message.id)?.resolve(new Map(message.lag));
        this.lags.delete(message.id);
        return;
      case 'lag-failed':
        this.lags.get(message.id)?.reject(new SourceError(message.code, message.message));
        this.lags.delete(message.id);
        return;
      case 'closed':
        this.onClosed();
        return;
    }
  }

  /** Frames as views of the batch's bytes: no copy, no string, on this thread. */
  private batch(message: BatchMessage): void {
    const { buffer, ends } = message;
    const bytes = new Uint8Array(buffer, 0, message.size);
    const count = ends.length;
    const frames = new Array<Uint8Array>(count);
    let start = 0;
    for (let i = 0; i < count; i++) {
      const end = ends[i]!;
      frames[i] = bytes.subarray(start, end);
      start = end;
    }
    const batch: FrameBatch = {
      partition: message.partition,
      frames,
      positions: message.offsets,
      next: message.next,
      origin: this.options.reader.topic,
      knownUtf8: message.utf8,
    };
    void this.host.offer(batch, message.session).then(() => {
      // Back before the room, so that the reader, woken by the room, finds it to reuse. Views of
      // it left behind (if any) become empty: the pipeline is done with them.
      if (!this.closing) this.worker?.postMessage({ kind: 'recycle', buffer } satisfies ToWorker, [buffer]);
      this.buffers.release(message.charge);
    });
  }

  private settleStart(error: SourceError | undefined): void {
    const waiter = this.startWaiter;
    this.startWaiter = undefined;
    if (error === undefined) waiter?.resolve();
    else waiter?.reject(error);
  }

  private lost(reason: string, cause: unknown): void {
    // An error is followed by an exit: one failure is enough.
    if (this.closing || this.gone) return;
    this.gone = true;
    const error = new SourceError(
      'KAFKA_FAILED',
      `reading ${this.options.reader.topic} from Kafka failed: ${reason}`,
      cause === undefined ? {} : { cause },
    );
    this.settleStart(error);
    this.settleAll();
    this.host.failed(error);
  }

  /** Requests the thread will not answer any more: a commit not made is re-reading, never losing. */
  private settleAll(): void {
    for (const request of this.commits.values()) request.resolve();
    this.commits.clear();
    for (const request of this.lags.values()) request.resolve(new Map());
    this.lags.clear();
  }

  private send(message: ToWorker): void {
    this.worker?.postMessage(message);
  }
}
