import { describe, expect, it } from 'vitest';
import { isFenced } from '../src/transactions.js';

describe('isFenced', () => {
  it('recognises the answers that say a newer producer holds the transactional id, also wrapped', () => {
    const epoch = Object.assign(new Error('Producer attempted an operation with an old epoch'), {
      type: 'INVALID_PRODUCER_EPOCH',
    });
    expect(isFenced(epoch)).toBe(true);
    expect(isFenced(Object.assign(new Error('fenced'), { type: 'PRODUCER_FENCED' }))).toBe(true);
    expect(isFenced(Object.assign(new Error('retries exhausted'), { originalError: epoch }))).toBe(true);
    expect(isFenced(new Error('wrapped', { cause: epoch }))).toBe(true);
  });

  it('is false for other failures', () => {
    expect(isFenced(Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' }))).toBe(false);
    expect(isFenced(Object.assign(new Error('unknown topic'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' }))).toBe(false);
    expect(isFenced('text')).toBe(false);
  });
});
