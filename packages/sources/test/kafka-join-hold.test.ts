import { createServer, type Server, type Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { HoldingSocketTracker, isJoinGroup, JoinHold } from '../src/kafka-join-hold.js';
import {
  encodeKafkajsRequest,
  heartbeatProtocol,
  joinGroupProtocol,
  offsetCommitProtocol,
} from './support/kafkajs-protocol.js';

/*
 * The hold of kafkajs's rejoin, against the bytes kafkajs itself writes
 * (its own request encoders, every version it speaks) and a real socket.
 */

async function joinGroupBytes(version: number): Promise<Buffer> {
  const { request } = joinGroupProtocol.protocol({ version })({
    groupId: 'g',
    sessionTimeout: 30_000,
    rebalanceTimeout: 60_000,
    memberId: 'member-1',
    protocolType: 'consumer',
    groupProtocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1]) }],
  });
  return (await encodeKafkajsRequest({ correlationId: 11, clientId: 'uniqstream', request })).buffer;
}

async function heartbeatBytes(version: number): Promise<Buffer> {
  const { request } = heartbeatProtocol.protocol({ version })({
    groupId: 'g',
    groupGenerationId: 3,
    memberId: 'member-1',
  });
  return (await encodeKafkajsRequest({ correlationId: 11, clientId: 'uniqstream', request })).buffer;
}

async function offsetCommitBytes(version: number): Promise<Buffer> {
  const { request } = offsetCommitProtocol.protocol({ version })({
    groupId: 'g',
    groupGenerationId: 3,
    memberId: 'member-1',
    topics: [{ topic: 't', partitions: [{ partition: 0, offset: '11' }] }],
  });
  return (await encodeKafkajsRequest({ correlationId: 11, clientId: 'uniqstream', request })).buffer;
}

/** A socket stand-in that records its writes. */
function fakeSocket(): { socket: Socket; written: Buffer[] } {
  const written: Buffer[] = [];
  const socket = {
    destroyed: false,
    write: (chunk: Buffer): boolean => {
      written.push(chunk);
      return true;
    },
  } as unknown as Socket;
  return { socket, written };
}

describe('isJoinGroup', () => {
  it(
    'knows kafkajs JoinGroup requests of every version, and nothing else it sends to the group ' + 'coordinator',
    async () => {
      for (const version of joinGroupProtocol.versions.map(Number))
        expect(isJoinGroup(await joinGroupBytes(version))).toBe(true);
      for (const version of heartbeatProtocol.versions.map(Number))
        expect(isJoinGroup(await heartbeatBytes(version))).toBe(false);
      for (const version of offsetCommitProtocol.versions.map(Number))
        expect(isJoinGroup(await offsetCommitBytes(version))).toBe(false);
      expect(isJoinGroup(Buffer.from([0, 0, 0, 9, 0]))).toBe(false);
      expect(isJoinGroup('a string')).toBe(false);
    },
  );
});

describe('JoinHold', () => {
  it(
    'holds JoinGroup requests from hold() to release(), lets everything else through, then writes ' + 'them in order',
    async () => {
      const hold = new JoinHold();
      const { socket, written } = fakeSocket();
      hold.wrap(socket);
      const [join, heartbeat, commit] = await Promise.all([joinGroupBytes(5), heartbeatBytes(3), offsetCommitBytes(5)]);
      // No hold: everything goes at once.
      socket.write(join);
      expect(written).toEqual([join]);
      written.length = 0;
      hold.hold(60_000);
      expect(hold.active).toBe(true);
      expect(socket.write(join)).toBe(true);
      socket.write(commit);
      socket.write(heartbeat);
      expect(written).toEqual([commit, heartbeat]);
      const second = Buffer.from(join);
      socket.write(second);
      hold.release();
      expect(hold.active).toBe(false);
      expect(written).toEqual([commit, heartbeat, join, second]);
      // Released: the next one goes at once.
      socket.write(join);
      expect(written).toHaveLength(5);
    },
  );

  it(
    'lets the request go by itself after the time limit, ' + 'and drops one whose socket was destroyed meanwhile',
    async () => {
      const hold = new JoinHold();
      const a = fakeSocket();
      const b = fakeSocket();
      hold.wrap(a.socket);
      hold.wrap(b.socket);
      const join = await joinGroupBytes(5);
      hold.hold(50);
      a.socket.write(join);
      b.socket.write(join);
      (b.socket as { destroyed: boolean }).destroyed = true;
      await new Promise((r) => setTimeout(r, 120));
      expect(hold.active).toBe(false);
      expect(a.written).toEqual([join]);
      expect(b.written).toEqual([]);
    },
  );
});

describe('HoldingSocketTracker', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it(
    'opens real connections that hold a JoinGroup, ' + "and still ends them all with the tracker's destroyAll",
    async () => {
      const received: Buffer[] = [];
      server = createServer((peer) => peer.on('data', (d: Buffer) => received.push(d)));
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as { port: number }).port;
      const hold = new JoinHold();
      const tracker = new HoldingSocketTracker(hold);
      const socket = await new Promise<Socket>((resolve) => {
        // kafkajs passes ssl null to a client without TLS (its types say otherwise).
        const s: Socket = tracker.factory({
          host: '127.0.0.1',
          port,
          ssl: null as unknown as ConnectionOptions,
          onConnect: () => resolve(s),
        });
      });
      // kafkajs listens for errors too: destroyAll ends sockets with one.
      socket.on('error', () => undefined);
      const [join, heartbeat] = await Promise.all([joinGroupBytes(5), heartbeatBytes(3)]);
      hold.hold(60_000);
      socket.write(join);
      socket.write(heartbeat);
      const arrived = async (bytes: number): Promise<void> => {
        while (Buffer.concat(received).length < bytes) await new Promise((r) => setTimeout(r, 5));
      };
      await arrived(heartbeat.length);
      expect(Buffer.concat(received)).toEqual(heartbeat);
      hold.release();
      await arrived(heartbeat.length + join.length);
      expect(Buffer.concat(received)).toEqual(Buffer.concat([heartbeat, join]));
      expect(tracker.destroyAll()).toBe(1);
      expect(socket.destroyed).toBe(true);
    },
  );
});
