import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FrameBatch, Source } from '@uniqstream/core';
import { describe, expect, it } from 'vitest';
import { openSource } from '../src/open-source.js';

async function lines(source: Source): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of source.batches() as AsyncIterable<FrameBatch>)
    for (const f of batch.frames) out.push(Buffer.from(f).toString());
  await source.close();
  return out;
}

describe('openSource', () => {
  it('reads a file endpoint and stdin like openFileSource', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'open-source-'));
    const path = join(dir, 'a.jsonl');
    writeFileSync(path, 'one\ntwo\n');
    expect(await lines(openSource({ kind: 'file', path }))).toEqual(['one', 'two']);
    expect(await lines(openSource({ kind: 'stdin' }, { stdin: Readable.from([Buffer.from('x\ny')]) }))).toEqual([
      'x',
      'y',
    ]);
  });

  it('opens a Kafka source for kafka:// with the group default, without connecting', async () => {
    const source = openSource(
      { kind: 'kafka', brokers: ['127.0.0.1:9092', '127.0.0.1:9093'], topic: 'stream' },
      {
        kafka: { fromBeginning: true },
      },
    );
    expect(source.name).toBe('kafka://127.0.0.1:9092,127.0.0.1:9093/stream');
    expect('assigned' in source).toBe(true);
    await source.close();
  });

  it('refuses stdout as an input', () => {
    expect(() => openSource({ kind: 'stdout' })).toThrow(
      expect.objectContaining({ code: 'BAD_OPTION' }) as unknown as Error,
    );
  });
});
