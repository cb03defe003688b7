import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';

/*
 * Fake brokers for TLS tests: a TLS server with the test-only certificates
 * of fixtures/tls (see its README), and plain TCP servers that behave as a
 * Kafka port does when spoken to in the wrong way.
 */

const FIXTURES = new URL('../fixtures/tls/', import.meta.url);

/** A file of fixtures/tls, as text. */
export function fixture(
  name: 'ca.pem' | 'broker.pem' | 'broker-key.pem' | 'client.pem' | 'client-key.pem' | 'other-ca.pem',
): string {
  return readFileSync(new URL(name, FIXTURES), 'latin1');
}

/** The path of a file of fixtures/tls. */
export function fixturePath(name: string): string {
  return new URL(name, FIXTURES).pathname;
}

export interface FakeServer {
  readonly port: number;
  /** Sockets accepted so far (TLS ones once their handshake is done). */
  readonly accepted: (Socket | TLSSocket)[];
  close(): Promise<void>;
}

async function listen(server: Server, accepted: (Socket | TLSSocket)[]): Promise<FakeServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of accepted) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A TLS server with the test broker certificate (for localhost and 127.0.0.1, from ca.pem); `onSocket` gets each
 * connection. */
export function tlsServer(
  onSocket: (socket: TLSSocket) => void = () => undefined,
  options: TlsOptions = {},
): Promise<FakeServer> {
  const accepted: TLSSocket[] = [];
  const server = createTlsServer(
    { key: fixture('broker-key.pem'), cert: fixture('broker.pem'), ...options },
    (socket) => {
      accepted.push(socket);
      socket.on('error', () => undefined);
      onSocket(socket);
    },
  );
  server.on('tlsClientError', () => undefined);
  return listen(server, accepted);
}

/** A plain TCP server; `onSocket` gets each connection. */
function tcpServer(onSocket: (socket: Socket) => void): Promise<FakeServer> {
  const accepted: Socket[] = [];
  const server = createTcpServer((socket) => {
    accepted.push(socket);
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  return listen(server, accepted);
}

/** What a Kafka plaintext port does with a TLS ClientHello: reads it as an oversized request and closes. */
export function plaintextKafkaPort(): Promise<FakeServer> {
  return tcpServer((socket) => socket.once('data', () => socket.destroy()));
}

/** What a Kafka TLS port answers a plaintext request with: a fatal TLS alert (internal_error), then it closes. */
export const TLS_ALERT = Buffer.from('15030300020250', 'hex');
export function tlsKafkaPort(): Promise<FakeServer> {
  return tcpServer((socket) => socket.once('data', () => socket.end(TLS_ALERT)));
}
