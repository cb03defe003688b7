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

  it('refuses connections once destroyAll() ran: the retries of a closed client never reach a broker again', async () => {
    let accepted = 0;
    const server = createServer((socket) => {
      accepted++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const tracker = new SocketTracker();
    tracker.destroyAll();
    let connected = false;
    const socket = tracker.factory({ host: '127.0.0.1', port, ssl: {}, onConnect: () => (connected = true) });
    const error = await new Promise<Error>((resolve) => socket.once('error', resolve));
    expect(error.message).toBe('closed with its client');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect({ connected, accepted }).toEqual({ connected: false, accepted: 0 });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

