import { connect, isIP, Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import type { ISocketFactory } from 'kafkajs';
import { ANSWERED_IN_TLS, isTlsRecordStart } from './security-errors.js';

/** kafkajs's own keep-alive delay. */
const KEEP_ALIVE_DELAY_MS = 60_000;

/**
 * Opens the clients' connections (plain TCP, or TLS when the client has
 * `ssl` settings, as kafkajs's own factory does) and remembers them. After
 * a broker restart, kafkajs 2.2.4's disconnect() can miss connections it
 * replaced meanwhile: their sockets stay open and their request queues
 * re-arm a 1 ms timer forever (RequestQueue.scheduleCheckPendingRequests),
 * which keeps the process alive after its work is done. destroyAll() ends
 * them with an error, the one path on which kafkajs also stops their
 * timers.
 */
export class SocketTracker {
  private readonly open = new Set<Socket>();
  /** Set by destroyAll(): kafkajs's complaints about those sockets are expected. */
  closing = false;

  readonly factory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
    if (this.closing) {
      // kafkajs may still retry a request of a closed client (a send to a topic that is gone retries
      // for as long as its retry settings say): it must never reach a broker again, or a stale record
      // could land after its owner wrote anew.
      const refused = new Socket();
      process.nextTick(() => refused.destroy(new Error('closed with its client')));
      return refused;
    }
    // kafkajs passes its `ssl` setting: null without TLS, true or Node's TLS options with.
    const tls = ssl as ConnectionOptions | boolean | null | undefined;
    const socket = tls ? openTls(host, port, tls, onConnect) : openPlain(host, port, onConnect);
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    return socket;
  };

  /** Ends the connections still open, and refuses any later one; returns how many there were. */
  destroyAll(): number {
    this.closing = true;
    const left = this.open.size;
    for (const socket of this.open) socket.destroy(new Error('closed with its client'));
    this.open.clear();
    return left;
  }
}

/** TLS, checking the certificate against the host's name unless it is an IP address or the settings name another. */
function openTls(host: string, port: number, tls: ConnectionOptions | true, onConnect: () => void): Socket {
  return connectTls(
    { host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...(tls === true ? {} : tls) },
    onConnect,
  );
}

/**
 * Plain TCP. A TLS port answers kafkajs's first request with a TLS alert,
 * which kafkajs would take for the size of an answer of 350 MB and wait
 * for until the connection closes ("Closed connection"): the connection
 * is ended at once instead, with an error that says so (ANSWERED_IN_TLS).
 */
function openPlain(host: string, port: number, onConnect: () => void): Socket {
  const socket = connect({ host, port }, onConnect);
  // Registered before kafkajs's own listener, so it sees the first bytes first; only those.
  socket.once('data', (first: Buffer) => {
    if (!isTlsRecordStart(first)) return;
    socket.destroy(Object.assign(new Error(`${host}:${port} answered in TLS`), { code: ANSWERED_IN_TLS }));
  });
  return socket;
}
