import { connect, Socket } from 'node:net';
import type { ISocketFactory } from 'kafkajs';

/** kafkajs's own keep-alive delay. */
const KEEP_ALIVE_DELAY_MS = 60_000;

/**
 * Opens the clients' connections (plain TCP, as kafkajs does) and remembers
 * them. After a broker restart, kafkajs 2.2.4's disconnect() can miss
 * connections it replaced meanwhile: their sockets stay open and their
 * request queues re-arm a 1 ms timer forever (RequestQueue.
 * scheduleCheckPendingRequests), which keeps the process alive after its
 * work is done. destroyAll() ends them with an error, the one path on which
 * kafkajs also stops their timers.
 */
export class SocketTracker {
  private readonly open = new Set<Socket>();
  /** Set by destroyAll(): kafkajs's complaints about those sockets are expected. */
  closing = false;

  readonly factory: ISocketFactory = ({ host, port, onConnect }) => {
    if (this.closing) {
      // kafkajs may still retry a request of a closed client (a send to a topic that is gone retries
      // for as long as its retry settings say): it must never reach a broker again, or a stale record
      // could land after its owner wrote anew.
      const refused = new Socket();
      process.nextTick(() => refused.destroy(new Error('closed with its client')));
      return refused;
    }
    const socket = connect({ host, port }, onConnect);
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
