import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SinkError } from '../src/errors.js';
import { StreamOutput } from '../src/output.js';

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
