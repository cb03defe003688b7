import { createServer, type Socket } from 'node:net';
import { TLSSocket, type ConnectionOptions } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { ANSWERED_IN_TLS } from '../src/security-errors.js';
import { kafkajsSecurity } from '../src/security.js';
import { SocketTracker } from '../src/sockets.js';
import { fixture, tlsKafkaPort, tlsServer } from './support/tls.js';

/** What kafkajs passes as `ssl` to a client without TLS (its types say otherwise). */
const PLAINTEXT = null as unknown as ConnectionOptions;

describe('SocketTracker', () => {
  it('remembers the connections it opened until they close, and destroyAll() ends the rest', async () => {
    const accepted: Socket[] = [];
    const server = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const tracker = new SocketTracker();
    const connect = (): Promise<Socket> =>
      new Promise((resolve) => {
        const socket: Socket = tracker.factory({
          host: '127.0.0.1',
          port,
          ssl: PLAINTEXT,
          onConnect: () => resolve(socket),
        });
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

  it(
    'refuses connections once destroyAll() ran: ' + 'the retries of a closed client never reach a broker again',
    async () => {
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
      const socket = tracker.factory({ host: '127.0.0.1', port, ssl: PLAINTEXT, onConnect: () => (connected = true) });
      const error = await new Promise<Error>((resolve) => socket.once('error', resolve));
      expect(error.message).toBe('closed with its client');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect({ connected, accepted }).toEqual({ connected: false, accepted: 0 });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  );
});

describe('SocketTracker with TLS', () => {
  it("opens TLS when kafkajs passes ssl settings, checking the certificate against the host's name", async () => {
    const server = await tlsServer((socket) => socket.end('hello'));
    const tracker = new SocketTracker();
    const ssl = kafkajsSecurity({ tls: { ca: fixture('ca.pem') } }).ssl!;
    const open = (host: string): Promise<{ socket: Socket; error?: Error; data?: string }> =>
      new Promise((resolve) => {
        const socket = tracker.factory({
          host,
          port: server.port,
          ssl,
          onConnect: () => socket.once('data', (d: Buffer) => resolve({ socket, data: d.toString() })),
        });
        socket.once('error', (error) => resolve({ socket, error }));
      });
    const byName = await open('localhost');
    expect(byName.socket).toBeInstanceOf(TLSSocket);
    expect(byName.data).toBe('hello');
    // An IP address is checked against the certificate's IP entries (no SNI name for it).
    expect((await open('127.0.0.1')).data).toBe('hello');
    tracker.destroyAll();
    await server.close();
  });

  it('ends a plaintext connection at once, with ANSWERED_IN_TLS, when the broker answers in TLS', async () => {
    const server = await tlsKafkaPort();
    const tracker = new SocketTracker();
    const error = await new Promise<Error>((resolve) => {
      const socket: Socket = tracker.factory({
        host: '127.0.0.1',
        port: server.port,
        ssl: PLAINTEXT,
        onConnect: () => socket.write(Buffer.alloc(30)),
      });
      socket.on('data', () => undefined);
      socket.once('error', resolve);
    });
    expect((error as NodeJS.ErrnoException).code).toBe(ANSWERED_IN_TLS);
    expect(error.message).toBe(`127.0.0.1:${server.port} answered in TLS`);
    await server.close();
  });
});
