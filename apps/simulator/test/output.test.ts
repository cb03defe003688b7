import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SimError } from '../src/errors.js';
import { FileOutput, StdoutOutput } from '../src/output.js';

const dir = mkdtempSync(join(tmpdir(), 'sim-output-'));

describe('FileOutput', () => {
  it('writes plain and gzip files', async () => {
    const data = Buffer.from('{"a":1}\n'.repeat(100_000));
    for (const [name, level] of [
      ['a.jsonl', 0],
      ['a.jsonl.gz', 1],
      ['b.jsonl.gz', 9],
    ] as const) {
      const out = await FileOutput.open(join(dir, name), level);
      for (let i = 0; i < data.length; i += 65_536) await out.write(data.subarray(i, i + 65_536));
      await out.close();
      const raw = readFileSync(join(dir, name));
      expect((level > 0 ? gunzipSync(raw) : raw).equals(data)).toBe(true);
    }
  });

  it('fails at open with OUTPUT_FAILED when the file cannot be created', async () => {
    await expect(FileOutput.open(join(dir, 'no', 'such', 'dir.jsonl'), 0)).rejects.toMatchObject({
      code: 'OUTPUT_FAILED',
    });
    await expect(FileOutput.open(join(dir, 'no', 'such', 'dir.jsonl'), 0)).rejects.toBeInstanceOf(SimError);
  });
});

describe('StdoutOutput', () => {
  it('stops quietly when the reader closes the pipe', async () => {
    let taken = 0;
    const stream = new Writable({
      highWaterMark: 16,
      write(_chunk: Buffer, _encoding: BufferEncoding, callback) {
        taken++;
        if (taken === 2) {
          const error: NodeJS.ErrnoException = new Error('write EPIPE');
          error.code = 'EPIPE';
          callback(error);
        } else callback();
      },
    });
    const out = new StdoutOutput(stream);
    for (let i = 0; i < 10 && !out.closed; i++) await out.write(Buffer.alloc(64));
    expect(out.closed).toBe(true);
    await expect(out.close()).resolves.toBeUndefined();
  });

  it('reports other write errors as OUTPUT_FAILED', async () => {
    const stream = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('disk on fire'));
      },
    });
    const out = new StdoutOutput(stream);
    await out.write(Buffer.alloc(8)).catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    await expect(out.write(Buffer.alloc(8))).rejects.toMatchObject({ code: 'OUTPUT_FAILED' });
  });
});
