import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FrameBatch } from '@uniqstream/core';
import type { KafkaLogLevel } from '@uniqstream/kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { SourceError } from '../src/errors.js';
import { MIN_BUDGET_BYTES } from '../src/kafka-buffers.js';
import type { ReaderSettings } from '../src/kafka-reader.js';
import {
  readerHeapFlag,
  startThread,
  WorkerLink,
  workerExecArgv,
  workerScript,
  type LinkHost,
  type WorkerLinkOptions,
} from '../src/kafka-worker-link.js';

/*
 * The source's side of the reader thread, against small stand-in threads
 * that speak its protocol (so no broker and no kafkajs): frames built from
 * the descriptors, room released and buffers sent back only when the
 * pipeline is done, requests answered, a thread that dies.
 */

const dir = mkdtempSync(join(tmpdir(), 'uniqstream-link-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): URL {
  const path = join(dir, `${name}.mjs`);
  writeFileSync(path, `import { parentPort, workerData } from 'node:worker_threads';\n${body}`);
  return pathToFileURL(path);
}

const READER: ReaderSettings = {
  brokers: ['127.0.0.1:1'],
  topic: 'stream',
  group: 'g',
  fromBeginning: true,
  clientId: 'test',
  verbose: false,
  connectTimeoutMs: 1000,
  maxBytesPerPartition: undefined,
  maxBytes: 1 << 20,
  minBytes: 1,
  maxWaitTimeInMs: 100,
  sessionTimeoutMs: 30_000,
  holdRejoins: true,
  security: undefined,
};
const LINK: WorkerLinkOptions = { reader: READER, bufferBytes: MIN_BUDGET_BYTES, initialOldSpaceMb: 0 };

/** A stand-in that answers requests like the reader thread, and logs what it gets back. */
const ANSWERS = `
parentPort.on('message', (m) => {
  if (m.kind === 'recycle')
    parentPort.postMessage({ kind: 'log', level: 'debug', message: 'recycled ' + m.buffer.byteLength });
  if (m.kind === 'commit')
    parentPort.postMessage({ kind: 'log', level: 'info', message: 'commit ' + JSON.stringify(m.positions) });
  if (m.kind === 'commit') parentPort.postMessage({ kind: 'committed', id: m.id });
  if (m.kind === 'lag') {
    const lag = m.assignment.map((p) => [p, 100 - (new Map(m.delivered).get(p) ?? 0)]);
    parentPort.postMessage({ kind: 'lag', id: m.id, lag });
  }
  if (m.kind === 'start') {
    const starts = m.starts.map((s) => s.partition + '@' + (s.offset ?? 'committed') + '#' + s.session);
    parentPort.postMessage({ kind: 'log', level: 'info', message: 'start ' + starts.join(' ') });
  }
  if (m.kind === 'rejoin') parentPort.postMessage({ kind: 'log', level: 'info', message: 'rejoin ' + m.id });
  if (m.kind === 'close') parentPort.postMessage({ kind: 'closed' });
});
const control = new Int32Array(workerData.buffers.control);
`;

interface Offered {
  readonly batch: FrameBatch;
  readonly session: number;
  readonly done: (taken: boolean) => void;
}

class FakeHost implements LinkHost {
  readonly offers: Offered[] = [];
  readonly lines: string[] = [];
  readonly events: string[] = [];
  failure: SourceError | undefined;
  readonly log = (level: KafkaLogLevel, message: string): void => void this.lines.push(`${level} ${message}`);
  offer(batch: FrameBatch, session: number): Promise<boolean> {
    return new Promise((resolve) => this.offers.push({ batch, session, done: resolve }));
  }
  consuming(): void {
    this.events.push('consuming');
  }
  joined(assignment: readonly number[]): void {
    this.events.push(`joined ${assignment.join(',')}`);
  }
  rebalancing(id: number): void {
    this.events.push(`rebalancing ${id}`);
  }
  fetched(): void {
    this.events.push('fetched');
  }
  crashed(reason: string, restart: boolean): void {
    this.events.push(`crashed ${reason} ${restart}`);
  }
  failed(error: SourceError): void {
    this.failure = error;
  }
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const text = (frames: readonly Uint8Array[]): string[] => frames.map((f) => Buffer.from(f).toString());

describe('WorkerLink', () => {
  it(
    "builds frames as views of a batch's own buffer, and gives it and its room back only once the " +
      'pipeline is done',
    async () => {
      const host = new FakeHost();
      const url = script(
        'own',
        `${ANSWERS}
parentPort.postMessage({ kind: 'consuming' });
parentPort.postMessage({ kind: 'joined', assignment: [0, 1] });
parentPort.postMessage({ kind: 'started' });
parentPort.postMessage({ kind: 'fetched' });
const bytes = new Uint8Array(4096);
bytes.set(Buffer.from('abcde'));
Atomics.add(control, 0, 5);
parentPort.postMessage(
  {
    kind: 'batch', partition: 1, session: 7, buffer: bytes.buffer, size: 5, charge: 5,
    ends: Uint32Array.of(2, 2, 5), offsets: Float64Array.of(10, 11, 14), next: 15, utf8: true,
  },
  [bytes.buffer],
);
`,
      );
      const link = new WorkerLink(host, LINK, url);
      await link.start(new AbortController().signal);
      await until(() => host.offers.length === 1);
      expect(host.events).toEqual(['consuming', 'joined 0,1', 'fetched']);
      const { batch, session, done } = host.offers[0]!;
      expect(batch.partition).toBe(1);
      expect(session).toBe(7);
      expect(batch.origin).toBe('stream');
      expect(text(batch.frames)).toEqual(['ab', '', 'cde']);
      expect(Array.from(batch.positions)).toEqual([10, 11, 14]);
      expect(batch.next).toBe(15);
      // The reader thread's UTF-8 verdict travels with the batch.
      expect(batch.knownUtf8).toBe(true);
      const control = new Int32Array(
        (link as unknown as { buffers: { memory: { control: SharedArrayBuffer } } }).buffers.memory.control,
      );
      // Still the pipeline's: in use, and not sent back.
      await new Promise((r) => setTimeout(r, 50));
      expect(Atomics.load(control, 0)).toBe(5);
      expect(host.lines.filter((l) => l.includes('recycled'))).toEqual([]);
      done(true);
      await until(() => host.lines.includes('debug recycled 4096'));
      expect(Atomics.load(control, 0)).toBe(0);
      // The views left behind are emptied, never pointing at reused memory.
      expect(batch.frames[2]!.length).toBe(0);
      await link.close();
    },
  );

  it('forwards commits and lag requests and hands back the answers', async () => {
    const host = new FakeHost();
    const link = new WorkerLink(
      host,
      LINK,
      script('answers', `${ANSWERS}\nparentPort.postMessage({ kind: 'started' });`),
    );
    await link.start(new AbortController().signal);
    await link.commit(
      new Map([
        [0, 42],
        [3, 7],
      ]),
    );
    expect(host.lines).toContain('info commit [[0,42],[3,7]]');
    expect(await link.lag([0, 3], new Map([[0, 60]]))).toEqual(
      new Map([
        [0, 40],
        [3, 100],
      ]),
    );
    await link.close();
    // After close: nothing to ask.
    expect(await link.lag([0], new Map())).toEqual(new Map());
  });

  it('passes a rebalance on to the source, and starts and rejoins on to the thread', async () => {
    const host = new FakeHost();
    const url = script(
      'lifecycle',
      `${ANSWERS}\nparentPort.postMessage({ kind: 'started' });\nparentPort.postMessage({ kind: ` +
        `'joined', assignment: [2, 3] });\nparentPort.postMessage({ kind: 'rebalancing', id: 4 });`,
    );
    const link = new WorkerLink(host, LINK, url);
    await link.start(new AbortController().signal);
    await until(() => host.events.length === 2);
    expect(host.events).toEqual(['joined 2,3', 'rebalancing 4']);
    link.startPartitions([
      { partition: 2, offset: 40, session: 1 },
      { partition: 3, offset: undefined, session: 2 },
    ]);
    link.rejoin(4);
    await until(() => host.lines.length === 2);
    expect(host.lines).toEqual(['info start 2@40#1 3@committed#2', 'info rejoin 4']);
    await link.close();
  });

  it('fails the start with the typed error the thread reports, in one line', async () => {
    const host = new FakeHost();
    const url = script(
      'fails',
      `${ANSWERS}\nparentPort.postMessage({ kind: 'failed', code: 'KAFKA_TOPIC_NOT_FOUND', message: ` +
        `'topic stream does not exist', cause: '' });`,
    );
    const link = new WorkerLink(host, LINK, url);
    const failure = await link.start(new AbortController().signal).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SourceError);
    expect(failure).toMatchObject({ code: 'KAFKA_TOPIC_NOT_FOUND', message: 'topic stream does not exist' });
    await link.close();
  });

  it('turns a thread that throws or exits into one KAFKA_FAILED line', async () => {
    for (const [name, body] of [
      [
        'throws',
        `${ANSWERS}\nparentPort.postMessage({ kind: 'started' });\nsetTimeout(() => { throw new ` +
          `Error('boom\\n    at somewhere'); }, 10);`,
      ],
      ['exits', `${ANSWERS}\nparentPort.postMessage({ kind: 'started' });\nsetTimeout(() => process.exit(3), 10);`],
    ] as const) {
      const host = new FakeHost();
      const link = new WorkerLink(host, LINK, script(name, body));
      await link.start(new AbortController().signal);
      await until(() => host.failure !== undefined);
      expect(host.failure!.code).toBe('KAFKA_FAILED');
      expect(host.failure!.message).toMatch(
        name === 'throws'
          ? /^reading stream from Kafka failed: the Kafka reader thread failed: boom$/
          : /^reading stream from Kafka failed: .*exit code 3/,
      );
      await link.close();
    }
  });

  it('gives up waiting for the thread to start once the signal aborts, and tells it to stop', async () => {
    const host = new FakeHost();
    const url = script(
      'slow',
      `${ANSWERS}\nparentPort.on('message', (m) => { if (m.kind === 'stop-starting') ` +
        `parentPort.postMessage({ kind: 'log', level: 'debug', message: 'told to stop' }); });`,
    );
    const link = new WorkerLink(host, LINK, url);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await link.start(controller.signal);
    await until(() => host.lines.includes('debug told to stop'));
    await link.close();
  });

  it('says which script is missing, with BAD_STATE', async () => {
    const link = new WorkerLink(new FakeHost(), LINK, pathToFileURL(join(dir, 'nope.js')));
    await expect(link.start(new AbortController().signal)).rejects.toMatchObject({
      code: 'BAD_STATE',
      message: expect.stringMatching(/nope\.js is missing \(build @uniqstream\/sources\)$/),
    });
  });
});

describe('workerScript', () => {
  it('is the built script beside the built module, and the built one when run from the sources', () => {
    expect(workerScript('file:///p/dist/kafka-worker-link.js').href).toBe('file:///p/dist/kafka-worker.js');
    expect(workerScript('file:///p/src/kafka-worker-link.ts').href).toBe('file:///p/dist/kafka-worker.js');
  });
});

describe('workerExecArgv', () => {
  it('passes the caller flags on, except --input-type, which a thread started from a file refuses', () => {
    expect(workerExecArgv(['--input-type=module', '-e', 'code', '--max-old-space-size=100'])).toEqual([
      '-e',
      'code',
      '--max-old-space-size=100',
    ]);
    expect(workerExecArgv(['--input-type', 'module', '--enable-source-maps'])).toEqual(['--enable-source-maps']);
    expect(workerExecArgv([])).toEqual([]);
  });
});

describe('startThread', () => {
  it(
    'starts the thread when the caller ran with V8 flags, which a thread may not be given, and ' +
      'passes the others on',
    async () => {
      const echo = script('echo-argv', 'parentPort.postMessage(process.execArgv);');
      const thread = startThread(echo, {}, [
        '--trace-gc',
        '--enable-source-maps',
        '--max-old-space-size=4096',
        '--input-type=module',
      ]);
      const argv = await new Promise<unknown>((resolve, reject) => {
        thread.once('message', resolve);
        thread.once('error', reject);
      });
      await thread.terminate();
      expect(argv).toEqual(['--enable-source-maps']);
    },
  );
});

describe('readerHeapFlag', () => {
  it("sets V8's first old generation size, unless the caller's flags or NODE_OPTIONS already do", () => {
    expect(readerHeapFlag(128, ['--enable-source-maps'], undefined)).toBe('--initial-old-space-size=128');
    expect(readerHeapFlag(0, [], '--max-old-space-size=4096')).toBe('--initial-old-space-size=0');
    expect(readerHeapFlag(128, ['--initial-old-space-size=32'], undefined)).toBeUndefined();
    expect(readerHeapFlag(128, [], '--trace-gc  --initial-old-space-size=32')).toBeUndefined();
    expect(readerHeapFlag(128, ['--initial-old-space-size', '32'], '')).toBeUndefined();
  });
});
