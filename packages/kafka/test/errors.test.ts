import { describe, expect, it } from 'vitest';
import { KAFKA_ERROR_CODES, KafkaError } from '../src/errors.js';

describe('KafkaError', () => {
  it('carries its code, one-line message and cause', () => {
    const cause = new Error('refused');
    const error = new KafkaError('UNAVAILABLE', 'cannot reach Kafka at a:1: refused', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('KafkaError');
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.cause).toBe(cause);
    expect(KAFKA_ERROR_CODES).toContain(error.code);
  });
});
