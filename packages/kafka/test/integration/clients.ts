import type { Kafka } from 'kafkajs';
import { createKafka, RUN_RETRY } from '../../src/client.js';
import { SocketTracker } from '../../src/sockets.js';

/** A client of the code under test (this package's settings), on the tests' broker; end() ends its connections. */
export function packageClient(bootstrap: string): { kafka: Kafka; end: () => void } {
  const sockets = new SocketTracker();
  const kafka = createKafka({
    brokers: [bootstrap],
    clientId: 'kafka-it',
    log: () => undefined,
    verbose: false,
    retry: RUN_RETRY,
    now: () => performance.now(),
    sockets,
  });
  return { kafka, end: () => void sockets.destroyAll() };
}
