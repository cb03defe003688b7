import type { Socket } from 'node:net';
import { SocketTracker } from '@uniqstream/kafka';
import type { ISocketFactory } from 'kafkajs';

/*
 * kafkajs has no revocation callback: when its heartbeat hears that the
 * group rebalances, it emits REBALANCING and rejoins at once. A member's
 * rejoin is what lets the group move its partitions on, so holding it back
 * gives the source's owner time to save their state while they are still
 * its. kafkajs's API has nothing to hold it with (its events are
 * synchronous), but its requests go out through sockets the source opens
 * (socketFactory): the JoinGroup request is held there, and everything
 * else (commits, heartbeats of the admin client, metadata) goes on.
 */

/** Kafka's JoinGroup request (https://kafka.apache.org/protocol#The_Messages_JoinGroup). */
const JOIN_GROUP_API_KEY = 11;
/** A request starts with its size (int32), then its api key (int16). */
const API_KEY_AT = 4;
const API_KEY_END = API_KEY_AT + 2;

type Write = (chunk: Uint8Array | string, encoding?: BufferEncoding) => boolean;

/** True when `chunk` is the start of a JoinGroup request (kafkajs writes each request in one piece). */
export function isJoinGroup(chunk: unknown): boolean {
  if (!(chunk instanceof Uint8Array) || chunk.length < API_KEY_END) return false;
  return ((chunk[API_KEY_AT]! << 8) | chunk[API_KEY_END - 1]!) === JOIN_GROUP_API_KEY;
}

/**
 * Holds JoinGroup requests written to the sockets it wraps, from hold()
 * until release() or the time limit given to hold(), then writes them in
 * the order they came. Other requests pass at once.
 */
export class JoinHold {
  private holding = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly held: { readonly socket: Socket; readonly write: () => void }[] = [];

  get active(): boolean {
    return this.holding;
  }

  /** From now on JoinGroup requests wait for release(), `maxMs` at most. */
  hold(maxMs: number): void {
    clearTimeout(this.timer);
    this.holding = true;
    this.timer = setTimeout(() => this.release(), maxMs);
  }

  /** Writes the requests held (to sockets still open) and holds no more. */
  release(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.holding = false;
    for (const { socket, write } of this.held.splice(0)) {
      // A socket closed meanwhile failed its requests already; kafkajs retries on a new one.
      if (!socket.destroyed) write();
    }
  }

  /** `socket` with its JoinGroup requests held while a hold is on. */
  wrap(socket: Socket): Socket {
    const write = socket.write.bind(socket) as Write;
    const holding: Write = (chunk, encoding) => {
      if (!this.holding || !isJoinGroup(chunk)) return write(chunk, encoding);
      this.held.push({ socket, write: () => void write(chunk, encoding) });
      // Nothing is buffered in the socket for it: kafkajs need not wait for a drain.
      return true;
    };
    socket.write = holding as Socket['write'];
    return socket;
  }
}

/** The source's socket tracker: kafkajs's connections, opened through `hold`. */
export class HoldingSocketTracker extends SocketTracker {
  constructor(hold: JoinHold) {
    super();
    const open = this.factory;
    const factory: ISocketFactory = (options) => hold.wrap(open(options));
    // SocketTracker's factory is a field, not a method: replace it on the instance.
    Object.defineProperty(this, 'factory', { value: factory });
  }
}
