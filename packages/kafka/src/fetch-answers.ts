import type { Consumer } from 'kafkajs';

/**
 * A fetch answers within its max wait when the broker is well; no answer
 * for this much longer means the broker is away, not that the topic is idle.
 */
export const FETCH_STALE_MARGIN_MS = 2_000;

/**
 * Calls `answered` after every kafkajs fetch round in which the broker
 * answered a Fetch request. kafkajs also ends a round, with nothing, when
 * its connection was closed or it had no offsets to fetch from, so its FETCH
 * event alone does not say that the broker is there; a completed Fetch
 * request (its REQUEST event) does.
 */
export function onFetchAnswered(consumer: Consumer, answered: () => void): void {
  const { FETCH, REQUEST } = consumer.events;
  let completed = false;
  consumer.on(REQUEST, (event) => {
    if (event.payload.apiName === 'Fetch') completed = true;
  });
  consumer.on(FETCH, () => {
    if (completed) answered();
    completed = false;
  });
}
