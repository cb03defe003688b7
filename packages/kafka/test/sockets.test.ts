import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SocketTracker } from '../src/sockets.js';

describe('SocketTracker', () => {
  it('remembers the connections it opened until they close, and destroyAll() ends the rest', async () => {
    const accepted: Socket[] = [];
    const server = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const tracker = new SocketTracker();
    const connect = (): Promise<Socket> =>
      new Promise((resolve) => {
        const socket: Socket = tracker.factory({ host: '127.0.0.1', port, ssl: {}, onConnect: () => resolve(socket) });
        // kafkajs listens for the error a destroyed socket emits; so does this test.
        socket.on('error', () => undefined);
      });
    const [first, second, third] = [await connect(), await connect(), await connect()];
    const firstClosed = new Promise((resolve) => first.once('close', resolve));
    first.end();
    accepted[0]?.end();
    await firstClosed;
    expect(tracker.closing).toBe(false);
    expect(tracker.destroyAll()).toBe(2);
    expect(tracker.closing).toBe(true);
    expect(second.destroyed && third.destroyed).toBe(true);
    expect(tracker.destroyAll()).toBe(0);
    for (const socket of accepted) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
