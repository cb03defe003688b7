import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import type { DeadLetter } from '@uniqstream/core';
import { closedPort } from '@uniqstream/kafka-local';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeadLetterSink, DEFAULT_DEAD_LETTER_FRAME_BYTES, formatDeadLetter, sinkReady } from '../src/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uniqstream-dead-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The reference for "valid UTF-8": a fatal TextDecoder. */
function validUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

interface Parsed {
  reason: string;
  detail: string;
  origin: string;
  partition: number;
  position: number;
  ts?: number;
  frame?: string;
  frameBase64?: string;
  frameTruncated?: boolean;
}

const frameBytes = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 64 }).map((s) => new Uint8Array(Buffer.from(s))),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map((s) => new Uint8Array(Buffer.from(s))),
);

const letter: fc.Arbitrary<DeadLetter> = fc
  .record({
    reason: fc.constantFrom('malformed', 'late', 'corrupt-ts'),
    detail: fc.string(),
    origin: fc.string(),
    partition: fc.nat(),
    position: fc.nat(),
    ts: fc.option(fc.integer({ min: 0, max: 2 ** 32 }), { nil: undefined }),
    frame: frameBytes,
  } as const)
  .map(({ ts, ...rest }) => (ts === undefined ? rest : { ...rest, ts }));

describe('formatDeadLetter', () => {
  it('writes the frame as text when it is valid UTF-8, else as base64, and round-trips the bytes', () => {
    fc.assert(
      fc.property(letter, fc.integer({ min: 4, max: 80 }), (dead, cap) => {
        const text = formatDeadLetter(dead, { maxFrameBytes: cap });
        expect(text).not.toContain('\n');
        const parsed = JSON.parse(text) as Parsed;
        const expectedKeys = ['reason', 'detail', 'origin', 'partition', 'position'];
        if (dead.ts !== undefined) expectedKeys.push('ts');
        const truncated = dead.frame.length > cap;
        const kept =
          parsed.frame !== undefined ? Buffer.from(parsed.frame, 'utf8') : Buffer.from(parsed.frameBase64!, 'base64');
        expectedKeys.push(validUtf8(kept) && parsed.frame !== undefined ? 'frame' : 'frameBase64');
        if (truncated) expectedKeys.push('frameTruncated');
        expect(Object.keys(parsed)).toEqual(expectedKeys);
        expect(parsed).toMatchObject({
          reason: dead.reason,
          detail: dead.detail,
          origin: dead.origin,
          partition: dead.partition,
          position: dead.position,
        });
        if (dead.ts !== undefined) expect(parsed.ts).toBe(dead.ts);
        if (truncated) {
          // Cut at or up to 3 bytes before the cap, never inside a character.
          expect(kept.length).toBeLessThanOrEqual(cap);
          expect(kept.length).toBeGreaterThanOrEqual(cap - 3);
          expect(kept.equals(Buffer.from(dead.frame).subarray(0, kept.length))).toBe(true);
          expect(parsed.frameTruncated).toBe(true);
        } else {
          expect(kept.equals(Buffer.from(dead.frame))).toBe(true);
          expect(parsed.frame !== undefined).toBe(validUtf8(dead.frame));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('caps frames at 4 KiB by default without splitting a character', () => {
    const frame = new Uint8Array(Buffer.from('я'.repeat(3000)));
    const parsed = JSON.parse(
      formatDeadLetter({
        reason: 'malformed',
        detail: 'too-long',
        origin: 'a.jsonl',
        partition: 0,
        position: 1234,
        frame,
      }),
    ) as Parsed;
    expect(parsed.frame).toBe('я'.repeat(DEFAULT_DEAD_LETTER_FRAME_BYTES / 2));
    expect(parsed.frameTruncated).toBe(true);
  });

  it('writes invalid UTF-8 as frameBase64', () => {
    const frame = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const parsed = JSON.parse(
      formatDeadLetter({
        reason: 'malformed',
        detail: 'not-json',
        origin: '-',
        partition: 0,
        position: 0,
        ts: 1468244384,
        frame,
      }),
    ) as Parsed;
    expect(parsed.frame).toBeUndefined();
    expect(Buffer.from(parsed.frameBase64!, 'base64')).toEqual(Buffer.from(frame));
    expect(parsed.ts).toBe(1468244384);
  });
});

describe('createDeadLetterSink', () => {
  const letters: DeadLetter[] = [
    {
      reason: 'malformed',
      detail: 'truncated',
      origin: 'a.jsonl',
      partition: 0,
      position: 1234,
      frame: new Uint8Array(Buffer.from('{"uid":"x","ts":146')),
    },
    {
      reason: 'late',
      detail: 'window closed',
      origin: 'a.jsonl',
      partition: 0,
      position: 1300,
      ts: 1468244384,
      frame: new Uint8Array([0xc3, 0x28]),
    },
  ];

  it('writes JSON lines to a gzip file', async () => {
    const path = join(dir, 'dead.jsonl.gz');
    const sink = createDeadLetterSink({ kind: 'file', path });
    await sink.write(letters);
    await sink.close();
    const lines = gunzipSync(await readFile(path))
      .toString()
      .trimEnd()
      .split('\n');
    expect(lines).toEqual(letters.map((l) => formatDeadLetter(l)));
  });

  it('writes JSON lines to stdout', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString()));
    const sink = createDeadLetterSink({ kind: 'stdout' }, { stream, maxFrameBytes: 8 });
    await sink.write(letters);
    await sink.flush();
    expect(text).toBe(letters.map((l) => `${formatDeadLetter(l, { maxFrameBytes: 8 })}\n`).join(''));
  });

  it('gives a Kafka sink for kafka://, which fails in one typed line when no broker answers', async () => {
    const port = await closedPort();
    const sink = createDeadLetterSink(
      { kind: 'kafka', brokers: [`127.0.0.1:${port}`], topic: 'dead' },
      {
        kafka: { connectTimeoutMs: 300, log: () => undefined },
      },
    );
    await expect(sinkReady(sink)).rejects.toMatchObject({
      code: 'KAFKA_UNAVAILABLE',
      message: expect.stringContaining(`cannot reach Kafka at 127.0.0.1:${port}: `) as unknown,
    });
    await sink.close();
  });
});
