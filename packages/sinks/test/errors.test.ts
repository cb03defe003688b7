import { describe, expect, it } from 'vitest';
import { UniqstreamError } from '@uniqstream/core';
import { KAFKA_ERROR_CODES, KafkaError } from '@uniqstream/kafka';
import { openError, SINK_ERROR_CODES, SinkError, sinkErrorOf, writeError } from '../src/errors.js';

function systemError(code: string): Error {
  return Object.assign(new Error(`${code}: something`), { code });
}

describe('sink errors', () => {
  it('calls a vanished reader CLOSED and anything else WRITE_FAILED', () => {
    for (const code of ['EPIPE', 'ERR_STREAM_DESTROYED', 'ECONNRESET']) {
      expect(writeError('stdout', systemError(code)).code).toBe('CLOSED');
    }
    const failed = writeError('out.jsonl', systemError('ENOSPC'));
    expect(failed).toBeInstanceOf(SinkError);
    expect(failed).toBeInstanceOf(UniqstreamError);
    expect(failed.code).toBe('WRITE_FAILED');
    expect(failed.message).toBe('cannot write out.jsonl: ENOSPC: something');
    expect(SINK_ERROR_CODES).toContain(failed.code);
  });

  it('explains why a file cannot be opened in one line naming it', () => {
    expect(openError('x/y.jsonl', systemError('ENOENT')).message).toBe('cannot write x/y.jsonl: no such directory');
    expect(openError('y.jsonl', systemError('EACCES')).message).toBe('cannot write y.jsonl: permission denied');
    expect(openError('dir', systemError('EISDIR')).code).toBe('OPEN_FAILED');
  });

  it("turns each of the Kafka writer's failures into the SinkError of the same meaning, keeping its line", () => {
    const expected = {
      BAD_OPTION: 'BAD_OPTION',
      UNAVAILABLE: 'KAFKA_UNAVAILABLE',
      FAILED: 'KAFKA_FAILED',
      CLOSED: 'CLOSED',
      SECURITY: 'KAFKA_SECURITY',
    } as const;
    expect(Object.keys(expected).sort()).toEqual([...KAFKA_ERROR_CODES].sort());
    for (const code of KAFKA_ERROR_CODES) {
      const from = new KafkaError(code, `cannot reach Kafka at h:1: ${code}`);
      const mapped = sinkErrorOf(from);
      expect(mapped).toBeInstanceOf(SinkError);
      expect(mapped.code).toBe(expected[code]);
      expect(mapped.message).toBe(from.message);
      expect(mapped.cause).toBe(from);
    }
  });
});
