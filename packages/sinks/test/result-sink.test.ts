import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import type { WindowResult } from '@uniqstream/core';
import { closedPort } from '@uniqstream/kafka-local';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileSink, createStdoutSink, openResultSink, SinkError, sinkReady } from '../src/index.js';
import { windowResult } from './arbitraries.js';

const here = dirname(fileURLToPath(import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uniqstream-sinks-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function parseLines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
}

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

const sample: WindowResult = {
  window: 'minute',
  start: 1468244340,
  end: 1468244400,
  users: 5823,
  frames: 59231,
  revision: 0,
  final: true,
  method: 'exact',
};

describe('createStdoutSink', () => {
  it('writes JSON lines and leaves the stream open on close', async () => {
    const stream = new PassThrough();
    const text = collect(stream);
    const sink = createStdoutSink({ format: 'json', stream });
    const results = fc.sample(windowResult, 20);
    await sink.write(results.slice(0, 5));
    await sink.write([]);
    await sink.write(results.slice(5));
    await sink.flush();
    expect(parseLines(text())).toEqual(results);
    await sink.close();
    expect(stream.writableEnded).toBe(false);
  });

  it('writes a table with the header once', async () => {
    const stream = new PassThrough();
    const text = collect(stream);
    const sink = createStdoutSink({ format: 'table', stream });
    await sink.write([sample]);
    await sink.write([{ ...sample, revision: 1, final: false, method: 'hll', error: 0.0081 }]);
    await sink.close();
    const lines = text().trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^window\s+start\s+end\s+users\s+frames\s+revision\s+final\s+method$/);
    expect(lines[1]!.split(/\s+/)).toEqual([
      'minute',
      '2016-07-11T13:39:00Z',
      '2016-07-11T13:40:00Z',
      '5823',
      '59231',
      '0',
      'yes',
      'exact',
    ]);
    expect(lines[2]).toMatch(/\bno\s+hll ±0\.81%$/);
  });

  it('writes the table in the time zone it is given, and refuses an unknown zone before opening anything', async () => {
    const stream = new PassThrough();
    const text = collect(stream);
    const sink = createStdoutSink({ format: 'table', timeZone: 'Europe/Zurich', stream });
    await sink.write([sample]);
    await sink.close();
    const lines = text().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^window\s+start \(Europe\/Zurich\)/);
    expect(lines[1]!.split(/\s+/).slice(0, 3)).toEqual([
      'minute',
      '2016-07-11T15:39:00+02:00',
      '2016-07-11T15:40:00+02:00',
    ]);
    const path = join(dir, 'never.txt');
    expect(() => createFileSink(path, { format: 'table', timeZone: 'Nowhere/Else' })).toThrow(/unknown time zone/);
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('ends quietly under `| head -1`: no stack trace, exit 0, CLOSED reported', () => {
    const child = [
      'node',
      '--import',
      join(here, 'fixtures/register-ts.mjs'),
      join(here, 'fixtures/write-until-closed.ts'),
    ]
      .map((a) => `'${a}'`)
      .join(' ');
    const run = spawnSync('bash', ['-c', `${child} | head -n 1; echo "node exit \${PIPESTATUS[0]}" >&2`], {
      encoding: 'utf8',
      cwd: here,
    });
    expect(run.stdout).toBe(`${JSON.stringify({ ...sample, revision: 0 })}\n`);
    expect(run.stderr).toBe('stopped: CLOSED onClosed: CLOSED\nnode exit 0\n');
  }, 30_000);
});

describe('createFileSink', () => {
  it('round-trips results through a plain file', async () => {
    const path = join(dir, 'out.jsonl');
    const sink = createFileSink(path);
    const results = fc.sample(windowResult, 50);
    await sink.write(results.slice(0, 20));
    await sink.flush();
    expect(parseLines(await readFile(path, 'utf8'))).toEqual(results.slice(0, 20));
    await sink.write(results.slice(20));
    await sink.close();
    expect(parseLines(await readFile(path, 'utf8'))).toEqual(results);
  });

  it('gzips a .gz file; flushed results can be read before close', async () => {
    const path = join(dir, 'out.jsonl.gz');
    const sink = createFileSink(path, { format: 'json' });
    const results = fc.sample(windowResult, 200);
    await sink.write(results.slice(0, 100));
    await sink.flush();
    const partial = gunzipSync(await readFile(path), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    expect(parseLines(partial.toString())).toEqual(results.slice(0, 100));
    await sink.write(results.slice(100));
    await sink.close();
    expect(parseLines(gunzipSync(await readFile(path)).toString())).toEqual(results);
  });

  it('appends a new gzip member when asked', async () => {
    const path = join(dir, 'append.jsonl.gz');
    const first = createFileSink(path);
    await first.write([sample]);
    await first.close();
    const second = createFileSink(path, { append: true });
    await second.write([{ ...sample, revision: 1 }]);
    await second.close();
    expect(parseLines(gunzipSync(await readFile(path)).toString())).toEqual([sample, { ...sample, revision: 1 }]);
  });

  it('fails at once, naming the path, when the file cannot be created', () => {
    const path = join(dir, 'no/such/dir/out.jsonl');
    expect(() => createFileSink(path)).toThrow(SinkError);
    expect(() => createFileSink(path)).toThrow(`cannot write ${path}: no such directory`);
  });

  it('refuses writes after close', async () => {
    const sink = createFileSink(join(dir, 'closed.jsonl'));
    await sink.close();
    await expect(Promise.resolve(sink.write([sample]))).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('openResultSink', () => {
  it('opens the sink an endpoint names', async () => {
    const path = join(dir, 'endpoint.jsonl');
    const sink = openResultSink({ kind: 'file', path }, { format: 'table' });
    await sink.write([sample]);
    await sink.close();
    expect((await readFile(path, 'utf8')).split('\n')[0]).toMatch(/^window\s+start/);
    const stream = new PassThrough();
    const text = collect(stream);
    const stdout = openResultSink({ kind: 'stdout' }, { stream });
    await stdout.write([sample]);
    await stdout.flush();
    expect(parseLines(text())).toEqual([sample]);
  });

  it('writes results to Kafka as JSON only, refusing a table at once', () => {
    const kafka = { kind: 'kafka', brokers: ['127.0.0.1:9092'], topic: 'results' } as const;
    expect(() => openResultSink(kafka, { format: 'table' })).toThrow(
      expect.objectContaining({ code: 'BAD_OPTION' }) as unknown as Error,
    );
  });

  it('gives a Kafka sink for kafka://, which fails in one typed line when no broker answers', async () => {
    const port = await closedPort();
    const sink = openResultSink(
      { kind: 'kafka', brokers: [`127.0.0.1:${port}`], topic: 'results' },
      {
        kafka: { connectTimeoutMs: 300, log: () => undefined },
      },
    );
    const unavailable = {
      code: 'KAFKA_UNAVAILABLE',
      message: expect.stringMatching(
        new RegExp(`^cannot reach Kafka at 127\\.0\\.0\\.1:${port}: [^\\n]*ECONNREFUSED`),
      ) as unknown,
    };
    await expect(sinkReady(sink)).rejects.toMatchObject(unavailable);
    await sink.write([sample]);
    await expect(sink.flush()).rejects.toMatchObject(unavailable);
    await sink.close();
  });
});
