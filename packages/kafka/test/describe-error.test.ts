import { describe, expect, it } from 'vitest';
import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} from 'kafkajs';
import { describeKafkaError, isBrokerAway, isRebalanceInProgress, isTransient } from '../src/describe-error.js';

describe('describeKafkaError', () => {
  it('adds the root cause of wrapped errors, on one line', () => {
    const root = new Error('connect ECONNREFUSED 127.0.0.1:9092\n    at TCPConnectWrap');
    const wrapped = new Error('Number of retries exceeded', { cause: new Error('Connection error', { cause: root }) });
    expect(describeKafkaError(wrapped)).toBe('Number of retries exceeded: connect ECONNREFUSED 127.0.0.1:9092');
    expect(
      describeKafkaError(
        new Error('Connection error: connect ECONNREFUSED x', { cause: new Error('connect ECONNREFUSED x') }),
      ),
    ).toBe('Connection error: connect ECONNREFUSED x');
    expect(describeKafkaError('plain')).toBe('plain');
  });

  it('stops at a cause that loops back', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    // Ends (no endless walk); the walk comes back to the top, which is the whole description.
    expect(describeKafkaError(a)).toBe('a');
  });
});

describe('isRebalanceInProgress', () => {
  it('tells the heartbeat answer that allows a checkpoint before rejoining', () => {
    expect(isRebalanceInProgress(Object.assign(new Error('rebalancing'), { type: 'REBALANCE_IN_PROGRESS' }))).toBe(
      true,
    );
    // Out of the generation already: the partitions may be someone else's by now.
    expect(isRebalanceInProgress(Object.assign(new Error('gone'), { type: 'ILLEGAL_GENERATION' }))).toBe(false);
    expect(isRebalanceInProgress(new Error('other'))).toBe(false);
    expect(isRebalanceInProgress(null)).toBe(false);
  });
});

describe('isBrokerAway', () => {
  const answer = (type: string): Error => Object.assign(new KafkaJSProtocolError(type), { type });

  it('tells an absent or starting broker, also wrapped in kafkajs retries', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    expect(isBrokerAway(refused)).toBe(true);
    expect(isBrokerAway(new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 8, retryTime: 10_000 }))).toBe(true);
    expect(isBrokerAway(new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out'))).toBe(true);
    expect(isBrokerAway(answer('NOT_LEADER_FOR_PARTITION'))).toBe(true);
    expect(isBrokerAway(answer('LEADER_NOT_AVAILABLE'))).toBe(true);
  });

  it('leaves alone what waiting cannot fix', () => {
    expect(isBrokerAway(answer('MESSAGE_TOO_LARGE'))).toBe(false);
    expect(isBrokerAway(answer('TOPIC_AUTHORIZATION_FAILED'))).toBe(false);
    expect(
      isBrokerAway(
        new KafkaJSNumberOfRetriesExceeded(answer('UNKNOWN_TOPIC_OR_PARTITION'), { retryCount: 8, retryTime: 10_000 }),
      ),
    ).toBe(false);
    expect(isBrokerAway(new Error('plain'))).toBe(false);
    expect(isBrokerAway(undefined)).toBe(false);
  });
});

describe('isTransient', () => {
  it('is true for an answer kafkajs marks retriable, also wrapped in the error it gives up with', () => {
    const unknownTopic = Object.assign(new Error('This server does not host this topic-partition'), {
      name: 'KafkaJSProtocolError',
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
      retriable: true,
    });
    expect(isTransient(unknownTopic)).toBe(true);
    const gaveUp = Object.assign(new Error('retries exhausted'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      retriable: false,
      originalError: unknownTopic,
    });
    expect(isTransient(gaveUp)).toBe(true);
    expect(isTransient(new Error('wrapped', { cause: unknownTopic }))).toBe(true);
  });

  it('is false for a refusal retrying cannot fix', () => {
    expect(isTransient(Object.assign(new Error('Invalid config'), { type: 'INVALID_CONFIG', retriable: false }))).toBe(
      false,
    );
    expect(isTransient(new Error('plain'))).toBe(false);
    expect(isTransient('text')).toBe(false);
  });
});
