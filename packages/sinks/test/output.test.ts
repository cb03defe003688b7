import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SinkError } from '../src/errors.js';
import { FileOutput, StreamOutput } from '../src/output.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uniqstream-output-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A writable that takes `delayMs` per chunk and records how full it got. */
function slowWritable(highWaterMark: number, delayMs: number) {
  const received: string[] = [];
  const stats = { maxBuffered: 0, drains: 0 };
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, callback) {
      stats.maxBuffered = Math.max(stats.maxBuffered, stream.writableLength);
      setTimeout(() => {
        received.push(chunk.toString());
        callback();
      }, delayMs);
    },
  });
  stream.on('drain', () => stats.drains++);
  return { stream, received, stats };
}

describe('StreamOutput', () => {
  it('waits for drain when the stream is full, so buffered bytes stay bounded', async () => {
    const { stream, received, stats } = slowWritable(64, 1);
    const output = new StreamOutput(stream, { name: 'slow', end: false });
    const pieces = Array.from({ length: 60 }, (_, i) => `${String(i).padStart(3, '0')}${'x'.repeat(40)}\n`);
    for (const piece of pieces) {
      await output.write(piece);
      expect(stream.writableNeedDrain).toBe(false);
    }
    expect(stats.drains).toBeGreaterThan(0);
    // Never more than the high-water mark plus the one write that crossed it.
    expect(stats.maxBuffered).toBeLessThanOrEqual(64 + pieces[0]!.length);
    await output.flush();
    expect(received.join('')).toBe(pieces.join(''));
    await output.close();
    expect(stream.writableEnded).toBe(false);
  });

  it('flush resolves only when the stream has taken every write', async () => {
    const { stream, received } = slowWritable(1 << 20, 5);
    const output = new StreamOutput(stream, { name: 'slow', end: true });
    await output.write('a\n');
    await output.write('b\n');
    expect(received.length).toBeLessThan(2);
    await output.flush();
    expect(received).toEqual(['a\n', 'b\n']);
    await output.close();
    expect(stream.writableFinished).toBe(true);
  });

  it('turns EPIPE from a closed pipe into a CLOSED SinkError and one onClosed call', async () => {
    const head = spawn('head', ['-n', '1'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let firstLine = '';
    head.stdout.on('data', (chunk: Buffer) => (firstLine += chunk.toString()));
    // 'close' (not 'exit'): head's output has been read by then too.
    const exited = new Promise<void>((resolve) => head.on('close', () => resolve()));
    const closings: SinkError[] = [];
    const output = new StreamOutput(head.stdin, { name: 'head', end: false, onClosed: (e) => closings.push(e) });
    let error: unknown;
    let written = 0;
    try {
      for (; written < 1_000_000; written++) {
        await output.write(`line ${written}\n`);
        if (written === 10) await exited;
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SinkError);
    expect((error as SinkError).code).toBe('CLOSED');
    expect(closings).toHaveLength(1);
    await exited;
    expect(firstLine).toBe('line 0\n');
    await expect(output.write('more\n')).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(output.close()).resolves.toBeUndefined();
  });

  it('reports other write failures as WRITE_FAILED', async () => {
    const broken = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('disk on fire'));
      },
    });
    const output = new StreamOutput(broken, { name: 'broken', end: true });
    await expect(output.write('x\n')).rejects.toMatchObject({ code: 'WRITE_FAILED' });
    await expect(output.flush()).rejects.toThrow(/cannot write broken: disk on fire/);
  });

  it('refuses writes after close', async () => {
    const { stream } = slowWritable(1024, 0);
    const output = new StreamOutput(stream, { name: 'x', end: true });
    await output.close();
    await expect(output.write('late\n')).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('FileOutput', () => {
  it('writes to a device such as /dev/null: only regular files are fsynced (fsync refuses the rest)', async () => {
    for (const gzip of [false, true]) {
      const output = new FileOutput('/dev/null', { gzip });
      await output.write('{"a":1}\n');
      await output.flush();
      await output.write('{"a":2}\n');
      await output.close();
    }
  });

  let pipes = 0;
  function fifo(): string {
    const path = join(dir, `pipe${pipes++}`);
    execFileSync('mkfifo', [path]);
    return path;
  }

  /** `cat pipe`: resolves to everything it read once the pipe's writer closed it. */
  function reader(pipe: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const child = spawn('cat', [pipe], { stdio: ['ignore', 'pipe', 'ignore'] });
      const chunks: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      child.on('error', reject);
      child.on('close', () => resolve(Buffer.concat(chunks)));
    });
  }

  it(
    'opens a named pipe once a reader has come, ' + 'without blocking the process meanwhile, and writes through it',
    async () => {
      for (const gzip of [false, true]) {
        const pipe = fifo();
        const output = new FileOutput(pipe, { gzip });
        let ready = false;
        const opened = output.ready().then(() => (ready = true));
        // Timers run while the output waits for its reader.
        await new Promise((resolve) => setTimeout(resolve, 150));
        expect(ready).toBe(false);
        const read = reader(pipe);
        await opened;
        await output.write('first\n');
        await output.flush();
        await output.write('second\n');
        await output.close();
        const bytes = await read;
        expect((gzip ? gunzipSync(bytes) : bytes).toString()).toBe('first\nsecond\n');
      }
    },
  );

  it('stops waiting for the reader of a named pipe when closed', async () => {
    const output = new FileOutput(fifo());
    const ready = output.ready().then(
      () => undefined,
      (error: unknown) => error,
    );
    await output.close();
    expect(await ready).toMatchObject({ code: 'CLOSED' });
    await expect(output.write('x\n')).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
