import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { KafkaPartitionHooks } from '../src/kafka-assignment.js';
import { defaultMaxBytesPerPartition, openKafkaSource, openKafkaSourceOn } from '../src/kafka-source.js';
import { SourceError } from '../src/errors.js';

/*
 * The source against stand-in reader threads that speak its protocol (no
 * broker, no kafkajs); the real thread runs the built script, and its
 * cases are in test/integration.
 */

const dir = mkdtempSync(join(tmpdir(), 'uniqstream-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): URL {
  const path = join(dir, `${name}.mjs`);
  writeFileSync(path, `import { parentPort, workerData } from 'node:worker_threads';\n${body}`);
  return pathToFileURL(path);
}

const BASE = { brokers: ['127.0.0.1:9092'], topic: 't', group: 'g', fromBeginning: false, log: () => undefined };

describe('openKafkaSource', () => {
  it('refuses empty brokers, topic or group, and bad buffer or heap settings', () => {
    for (const bad of [
      { ...BASE, brokers: [] },
      { ...BASE, topic: '' },
      { ...BASE, group: '' },
      { ...BASE, workerBufferBytes: 1024 },
    ]) {
      expect(() => openKafkaSource(bad)).toThrow(SourceError);
    }
    for (const readerOldSpaceMb of [-1, 1.5, Number.NaN, 1e9]) {
      expect(() => openKafkaSource({ ...BASE, readerOldSpaceMb })).toThrow(
        /readerOldSpaceMb must be an integer from 0 to 65536/,
      );
    }
    expect(openKafkaSource({ ...BASE, readerOldSpaceMb: 0 }).name).toBe('kafka://127.0.0.1:9092/t');
    expect(openKafkaSource(BASE).name).toBe('kafka://127.0.0.1:9092/t');
  });

  it('refuses security settings that cannot work, and warns of ones that expose the password', () => {
    const sasl = { mechanism: 'scram-sha-512', username: 'alice', password: 'pw' } as const;
    expect(() => openKafkaSource({ ...BASE, security: { sasl: { ...sasl, username: '' } } })).toThrow(
      new SourceError('BAD_OPTION', 'the SASL user name is empty'),
    );
    expect(() => openKafkaSource({ ...BASE, security: { tls: { ca: 'no PEM here' } } })).toThrow(
      /the TLS CA is not a PEM certificate/,
    );
    const lines: string[] = [];
    openKafkaSource({
      ...BASE,
      log: (level, line) => lines.push(`${level} ${line}`),
      security: { sasl: { ...sasl, mechanism: 'plain' } },
    });
    expect(lines).toEqual(['warn kafka://127.0.0.1:9092/t: SASL PLAIN without TLS sends the password in clear text']);
  });

  it(
    "fails with the reader thread's code when its fetch path stops for good (KAFKA_SECURITY), " +
      "kafkajs's crashes with KAFKA_FAILED",
    async () => {
      for (const code of ['KAFKA_SECURITY', undefined]) {
        const codeField = code === undefined ? '' : `, code: '${code}'`;
        const crashing = script(
          `crash-${code ?? 'kafkajs'}`,
          `parentPort.on('message', (m) => { if (m.kind === 'close') parentPort.postMessage({ kind: 'closed' }); });
parentPort.postMessage({ kind: 'started' });
parentPort.postMessage({ kind: 'crashed', reason: 'k1:9093 refused the SASL login', restart: false${codeField} });`,
        );
        const source = openKafkaSourceOn(BASE, crashing);
        await expect(source.batches()[Symbol.asyncIterator]().next()).rejects.toMatchObject({
          code: code ?? 'KAFKA_FAILED',
          message: 'reading t from Kafka at 127.0.0.1:9092 failed: k1:9093 refused the SASL login',
        });
        await source.close();
      }
    },
  );

  it('can be iterated only once', async () => {
    const unavailable = script(
      'unavailable',
      `parentPort.on('message', (m) => { if (m.kind === 'close') parentPort.postMessage({ kind: 'closed' }); });
parentPort.postMessage({
  kind: 'failed', code: 'KAFKA_UNAVAILABLE', message: 'cannot reach Kafka at 127.0.0.1:9092: no', cause: '',
});`,
    );
    const source = openKafkaSourceOn(BASE, unavailable);
    await expect(source.batches()[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'KAFKA_UNAVAILABLE' });
    await expect(source.batches()[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'BAD_STATE' });
    await source.close();
  });
});

describe('defaultMaxBytesPerPartition', () => {
  it('splits a 4 MiB fetch over the partitions, never below 1 MiB each', () => {
    const MIB = 1024 * 1024;
    expect([1, 2, 3, 4, 8, 64].map(defaultMaxBytesPerPartition)).toEqual([
      4 * MIB,
      2 * MIB,
      Math.floor((4 * MIB) / 3),
      MIB,
      MIB,
      MIB,
    ]);
  });
});

/*
 * The partition lifecycle against a stand-in reader thread: it joins, and
 * reads a partition only once the source starts it, with the session and
 * offset given (the committed offset stands in as 0); its batches carry
 * text frames `p:offset`.
 */
const READER = `
const post = (m, t) => parentPort.postMessage(m, t);
const batch = (partition, session, from, count) => {
  const frames = Array.from({ length: count }, (_, i) => partition + ':' + (from + i));
  const bytes = Buffer.from(frames.join(''));
  const buffer = new ArrayBuffer(Math.max(1, bytes.length));
  new Uint8Array(buffer).set(bytes);
  let end = 0;
  const ends = Uint32Array.from(frames, (f) => (end += f.length));
  const offsets = Float64Array.from(frames, (_, i) => from + i);
  post(
    {
      kind: 'batch', partition, session, buffer, size: bytes.length, charge: 0,
      ends, offsets, next: from + count, utf8: true,
    },
    [buffer, ends.buffer, offsets.buffer],
  );
};
const sessions = new Map();
const log = (message) => post({ kind: 'log', level: 'debug', message });
let starts = 0;
parentPort.on('message', (m) => {
  if (m.kind === 'close') post({ kind: 'closed' });
  if (m.kind === 'commit') { log('commit ' + JSON.stringify(m.positions)); post({ kind: 'committed', id: m.id }); }
  if (m.kind === 'lag') {
    post({ kind: 'fetched' });
    post({ kind: 'lag', id: m.id, lag: m.assignment.map((p) => [p, 100 - (new Map(m.delivered).get(p) ?? 0)]) });
  }
  if (m.kind === 'rejoin') { log('rejoin ' + m.id); onRejoin(m.id); }
  if (m.kind === 'start') {
    for (const s of m.starts) {
      sessions.set(s.partition, s.session);
      log('start ' + s.partition + '@' + (s.offset ?? 'committed'));
    }
    onStart(m.starts, ++starts);
  }
});
`;

const CLOCKLESS = { ...BASE, group: 'g', maxWaitTimeInMs: 100 };

/** What the consumer loop and the hooks saw, in order. */
interface Seen {
  readonly journal: string[];
  /** The frames handed on, per partition. */
  readonly frames: Map<number, string[]>;
}

/**
 * Reads until `done` says so, handling each batch for `handleMs` (awaited,
 * as a pipeline awaits its sink), and fails the test when a hook runs
 * while a batch is being handled.
 */
async function consume(
  source: ReturnType<typeof openKafkaSourceOn>,
  seen: Seen,
  done: () => boolean,
  handleMs = 10,
): Promise<void> {
  const stop = new AbortController();
  for await (const batch of source.batches(stop.signal)) {
    if (batch.frames.length > 0) {
      const texts = batch.frames.map((f) => Buffer.from(f).toString());
      seen.journal.push(`batch ${texts.join(' ')}`);
      const list = seen.frames.get(batch.partition) ?? [];
      list.push(...texts);
      seen.frames.set(batch.partition, list);
    }
    handling = true;
    await new Promise((r) => setTimeout(r, handleMs));
    handling = false;
    if (done()) stop.abort();
  }
}
let handling = false;

function hooksFor(seen: Seen, offsets: ReadonlyMap<number, number | undefined>, slowMs = 0): KafkaPartitionHooks {
  const mark = (what: string): void => {
    if (handling) throw new Error(`${what} ran while a batch was being handled`);
    seen.journal.push(what);
  };
  return {
    assigned: async (partitions) => {
      mark(`assigned ${partitions.join(',')}`);
      await new Promise((r) => setTimeout(r, slowMs));
      mark(`assigned done`);
      return new Map(partitions.map((p) => [p, offsets.get(p)]));
    },
    revoked: async (partitions) => mark(`revoked ${partitions.join(',')}`),
    rebalancing: async (partitions) => {
      mark(`rebalancing ${partitions.join(',')}`);
      await new Promise((r) => setTimeout(r, slowMs));
      mark('rebalancing done');
    },
  };
}

describe('Kafka source partition lifecycle (stand-in reader thread)', () => {
  it(
    'adopts before reading, starts where assigned says, drops what a lost partition still had on its ' +
      'way, and runs hooks only between batches',
    async () => {
      const url = script(
        'lifecycle',
        `${READER}
function onStart(starts, n) {
  if (n === 1) {
    // Partition 0 from 50, partition 1 from the committed offset (0).
    batch(0, sessions.get(0), 50, 2);
    batch(1, sessions.get(1), 0, 2);
    // Once those are handed on, the group takes 0 away and gives 2; a batch of 0 read before is still on its way.
    setTimeout(() => {
      post({ kind: 'joined', assignment: [1, 2] });
      batch(0, sessions.get(0), 52, 2);
      batch(1, sessions.get(1), 2, 1);
    }, 300);
  } else {
    batch(2, sessions.get(2), 7, 2);
    batch(1, sessions.get(1), 3, 1);
  }
}
function onRejoin() {}
post({ kind: 'consuming' });
post({ kind: 'joined', assignment: [0, 1] });
post({ kind: 'started' });`,
      );
      const seen: Seen = { journal: [], frames: new Map() };
      const lines: string[] = [];
      const source = openKafkaSourceOn(
        {
          ...CLOCKLESS,
          log: (level, line) => lines.push(`${level} ${line}`),
          partitions: hooksFor(
            seen,
            new Map([
              [0, 50],
              [2, 7],
            ]),
            100,
          ),
        },
        url,
      );
      await consume(
        source,
        seen,
        () => (seen.frames.get(2)?.length ?? 0) >= 2 && (seen.frames.get(1)?.length ?? 0) >= 4,
      );
      expect(source.assigned()).toEqual([1, 2]);
      await source.close();
      expect(seen.frames.get(0)).toEqual(['0:50', '0:51']);
      expect(seen.frames.get(1)).toEqual(['1:0', '1:1', '1:2', '1:3']);
      expect(seen.frames.get(2)).toEqual(['2:7', '2:8']);
      const journal = seen.journal;
      // Nothing of a partition before its adoption is done; nothing of 0 after its revocation.
      expect(journal.slice(0, 2)).toEqual(['assigned 0,1', 'assigned done']);
      const revokedAt = journal.indexOf('revoked 0');
      expect(journal.slice(revokedAt, revokedAt + 3)).toEqual(['revoked 0', 'assigned 2', 'assigned done']);
      expect(journal.slice(revokedAt).filter((e) => e.startsWith('batch 0:'))).toEqual([]);
      expect(journal.indexOf('batch 2:7 2:8')).toBeGreaterThan(revokedAt);
      expect(lines.filter((l) => l.startsWith('debug start'))).toEqual([
        'debug start 0@50',
        'debug start 1@committed',
        'debug start 2@7',
      ]);
    },
  );

  it('on a rebalance, saves before letting kafkajs rejoin, and hands nothing on from then until the join', async () => {
    const url = script(
      'rebalance',
      `${READER}
function onStart(starts, n) {
  batch(0, sessions.get(0), 0, 1);
  post({ kind: 'rebalancing', id: 1 });
  // Read while the group rebalances: held back until the join says partition 0 stays.
  batch(0, sessions.get(0), 1, 1);
}
function onRejoin(id) {
  setTimeout(() => {
    log('joining');
    post({ kind: 'joined', assignment: [0] });
    batch(0, sessions.get(0), 2, 1);
  }, 200);
}
post({ kind: 'joined', assignment: [0] });
post({ kind: 'started' });`,
    );
    const seen: Seen = { journal: [], frames: new Map() };
    const source = openKafkaSourceOn(
      { ...CLOCKLESS, log: (_level, line) => seen.journal.push(line), partitions: hooksFor(seen, new Map(), 100) },
      url,
    );
    await consume(source, seen, () => (seen.frames.get(0)?.length ?? 0) >= 3);
    await source.close();
    expect(seen.frames.get(0)).toEqual(['0:0', '0:1', '0:2']);
    const events = seen.journal.filter((e) => /^(batch|rebalancing|rejoin|joining)/.test(e));
    expect(events).toEqual([
      'batch 0:0',
      'rebalancing 0',
      'rebalancing done',
      'rejoin 1',
      'joining',
      'batch 0:1',
      'batch 0:2',
    ]);
  });

  it(
    'commits and reports lag only for the partitions held, from where they were started; fetches are ' +
      'due only once adopted',
    async () => {
      let clock = 0;
      let release: (() => void) | undefined;
      const url = script(
        'held',
        `${READER}
function onStart() {}
function onRejoin() {}
post({ kind: 'joined', assignment: [0, 1] });
post({ kind: 'started' });`,
      );
      const lines: string[] = [];
      const source = openKafkaSourceOn(
        {
          ...CLOCKLESS,
          now: () => clock,
          log: (level, line) => lines.push(`${level} ${line}`),
          partitions: {
            assigned: async () => {
              await new Promise<void>((resolve) => (release = resolve));
              return new Map([[0, 40]]);
            },
            revoked: async () => undefined,
          },
        },
        url,
      );
      const reading = consume(source, { journal: [], frames: new Map() }, () => false);
      await until(() => release !== undefined);
      // Adopting: no fetch is due, however long it takes.
      clock += 60_000;
      expect(source.fetchesUnansweredForMs()).toBe(0);
      expect(source.assigned()).toEqual([]);
      release!();
      await until(() => source.assigned().length === 2);
      expect(source.fetchesUnansweredForMs()).toBe(0);
      // A fetch waits 100 ms here; unanswered 2.1 s later, the broker is away.
      clock += 2_101;
      expect(source.fetchesUnansweredForMs()).toBe(2_101);
      expect(await source.lag()).toEqual(
        new Map([
          [0, 60],
          [1, 100],
        ]),
      );
      // The stand-in answers lag requests with a fetch notice.
      expect(source.fetchesUnansweredForMs()).toBe(0);
      await source.commit(
        new Map([
          [0, 45],
          [1, 3],
          [5, 9],
        ]),
      );
      expect(lines).toContain('debug commit [[0,45],[1,3]]');
      await source.close();
      await reading.catch(() => undefined);
    },
  );
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}
