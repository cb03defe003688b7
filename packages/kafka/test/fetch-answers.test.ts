import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { onFetchAnswered } from '../src/index.js';

const EVENTS = { FETCH: 'consumer.fetch', REQUEST: 'consumer.network.request' } as const;

/** The two kafkajs consumer events the watcher listens to, emitted by hand. */
function fakeConsumer(): { consumer: Consumer; emit: (name: keyof typeof EVENTS, payload: object) => void } {
  const emitter = new EventEmitter();
  const consumer = {
    events: EVENTS,
    on: (name: string, listener: (event: { payload: object }) => void) => emitter.on(name, listener),
  } as unknown as Consumer;
  return { consumer, emit: (name, payload) => emitter.emit(EVENTS[name], { payload }) };
}

describe('onFetchAnswered', () => {
  it('counts a fetch round only when a Fetch request completed in it', () => {
    const { consumer, emit } = fakeConsumer();
    let answers = 0;
    onFetchAnswered(consumer, () => answers++);
    emit('REQUEST', { apiName: 'Fetch' });
    emit('FETCH', { duration: 500 });
    expect(answers).toBe(1);
    // A round ended on a closed connection: no request completed.
    emit('FETCH', { duration: 0 });
    // Heartbeats and metadata requests say nothing about fetching.
    emit('REQUEST', { apiName: 'Heartbeat' });
    emit('FETCH', { duration: 0 });
    expect(answers).toBe(1);
    emit('REQUEST', { apiName: 'Fetch' });
    emit('FETCH', { duration: 10 });
    expect(answers).toBe(2);
  });
});
