import { describe, expect, it } from 'vitest';
import { KafkaLocalError } from '../src/errors.js';
import { MAVEN_RETRY_DELAYS_MS, withRetries } from '../src/fetch.js';

const failed = (n: number): KafkaLocalError => new KafkaLocalError('MAVEN_FAILED', `Maven could not fetch (${n})`);

describe('withRetries (fetching the jars)', () => {
  it('tries again after each delay until an attempt succeeds', async () => {
    const slept: number[] = [];
    const said: string[] = [];
    let attempts = 0;
    const value = await withRetries(
      async () => {
        attempts++;
        if (attempts < 3) throw failed(attempts);
        return 'jars';
      },
      {
        delaysMs: [5, 20],
        retryable: () => true,
        onRetry: (e, ms) => said.push(`${(e as Error).message} ${ms}`),
        sleep: async (ms) => void slept.push(ms),
      },
    );
    expect(value).toBe('jars');
    expect(attempts).toBe(3);
    expect(slept).toEqual([5, 20]);
    expect(said).toEqual(['Maven could not fetch (1) 5', 'Maven could not fetch (2) 20']);
  });

  it('throws the last failure once the delays run out', async () => {
    let attempts = 0;
    const error = await withRetries(
      async () => {
        attempts++;
        throw failed(attempts);
      },
      {
        delaysMs: MAVEN_RETRY_DELAYS_MS,
        retryable: () => true,
        onRetry: () => undefined,
        sleep: async () => undefined,
      },
    ).catch((e: unknown) => e);
    expect(attempts).toBe(MAVEN_RETRY_DELAYS_MS.length + 1);
    expect((error as Error).message).toBe(`Maven could not fetch (${attempts})`);
  });

  it('does not retry what a retry cannot fix, such as a missing mvn', async () => {
    let attempts = 0;
    const missing = new KafkaLocalError('MAVEN_MISSING', 'cannot run mvn');
    const error = await withRetries(
      async () => {
        attempts++;
        throw missing;
      },
      {
        delaysMs: [1, 1],
        retryable: (e) => e instanceof KafkaLocalError && e.code === 'MAVEN_FAILED',
        onRetry: () => undefined,
        sleep: async () => undefined,
      },
    ).catch((e: unknown) => e);
    expect(attempts).toBe(1);
    expect(error).toBe(missing);
  });
});
