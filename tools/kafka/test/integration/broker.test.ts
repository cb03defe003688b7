import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isPortFree } from '../../src/ports.js';
import {
  BOOTSTRAP_ENV,
  brokerStatus,
  DEFAULT_KAFKA_VERSION,
  ensureBroker,
  KAFKA_3_VERSION,
  KafkaLocalError,
  restartBroker,
  startBroker,
  stopBroker,
} from '../../src/index.js';
import { bootstrap, freshTopic, kafka, readAll, testPort, testVersion } from './helpers.js';

const port = testPort();
const version = testVersion();
const quiet = { log: () => {} };

/** Ports the kernel lists as listening, with their local address, from /proc/net/tcp{,6}. */
function listeningAddresses(wanted: number): string[] {
  const found: string[] = [];
  const LISTEN = '0A';
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [address, portHex] = (fields[1] ?? '').split(':');
      if (fields[3] !== LISTEN || portHex === undefined || parseInt(portHex, 16) !== wanted) continue;
      found.push(address ?? '');
    }
  }
  return found;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof KafkaLocalError ? error.code : String(error);
  }
}

describe(`broker lifecycle (Kafka ${version}, port ${port})`, () => {
  it('is up after the global setup, which published its address', async () => {
    const info = await brokerStatus({ port });
    expect(info).not.toBeNull();
    expect(info?.version).toBe(version);
    expect(info?.bootstrap).toBe(bootstrap());
    expect(process.env[BOOTSTRAP_ENV]).toBe(info?.bootstrap);
    expect(existsSync(info?.logFile ?? '')).toBe(true);
    expect(readFileSync(info?.logFile ?? '', 'utf8')).toContain('Kafka Server started');
  });

  it.runIf(existsSync('/proc/net/tcp'))(
    'listens on 127.0.0.1 only, controller on port + 1, secured listeners on port + 2 and + 3',
    async () => {
      // 127.0.0.1 as the kernel prints it: little-endian in tcp, IPv4-mapped (::ffff:127.0.0.1) in tcp6,
      // where Java's dual-stack sockets show up.
      const loopback = new Set(['0100007F', '0000000000000000FFFF00000100007F']);
      const secured = (await brokerStatus({ port }))?.secure != null;
      for (const p of [port, port + 1, ...(secured ? [port + 2, port + 3] : [])]) {
        const addresses = listeningAddresses(p);
        expect(addresses.length, `port ${p}`).toBe(1);
        expect(loopback.has(addresses[0] ?? ''), `port ${p} listens on ${addresses[0]}`).toBe(true);
      }
    },
  );

  it('returns the running broker when started twice, and says so', async () => {
    const before = await brokerStatus({ port });
    const lines: string[] = [];
    const again = await startBroker({ port, version, log: (line) => lines.push(line) });
    expect(again).toEqual(before);
    expect(lines.join('\n')).toMatch(/already running/);
    expect(await ensureBroker({ port, version, ...quiet })).toEqual(before);
  });

  it('refuses another version on a port it already serves', async () => {
    const other = version === KAFKA_3_VERSION ? DEFAULT_KAFKA_VERSION : KAFKA_3_VERSION;
    expect(await codeOf(startBroker({ port, version: other, ...quiet }))).toBe('VERSION_MISMATCH');
    expect(await codeOf(ensureBroker({ port, version: other, ...quiet }))).toBe('VERSION_MISMATCH');
  });

  it('keeps topics, records and the cluster id across restartBroker', async () => {
    const topic = freshTopic('restart');
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const clusterBefore = (await admin.describeCluster()).clusterId;
    await admin.disconnect();
    const producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const values = Array.from({ length: 50 }, (_, i) => `before-restart-${i}`);
    await producer.send({ topic, acks: -1, messages: values.map((value, i) => ({ key: String(i % 5), value })) });
    await producer.disconnect();

    const before = await brokerStatus({ port });
    const after = await restartBroker({ port, ...quiet });
    expect(after.pid).not.toBe(before?.pid);
    expect(after.version).toBe(version);
    expect(after.dataDir).toBe(before?.dataDir);

    const adminAfter = kafka().admin();
    await adminAfter.connect();
    expect((await adminAfter.describeCluster()).clusterId).toBe(clusterBefore);
    await adminAfter.disconnect();
    expect((await readAll(topic)).map((r) => r.value).sort()).toEqual([...values].sort());
  });

  it('stops cleanly, says false when nothing runs, and frees its ports', async () => {
    const running = await brokerStatus({ port });
    expect(await stopBroker({ port, ...quiet })).toBe(true);
    expect(await brokerStatus({ port })).toBeNull();
    expect(await stopBroker({ port, ...quiet })).toBe(false);
    const status = spawnSync(
      fileURLToPath(new URL('../../bin/kafka-local', import.meta.url)),
      ['status', '--port', String(port)],
      {
        encoding: 'utf8',
      },
    );
    expect(status.status).toBe(3);
    expect(status.stdout).toContain('no kafka-local broker is running');
    for (const p of [port, port + 1, port + 2, port + 3]) expect(await isPortFree(p), `port ${p}`).toBe(true);
    // The data stays for the next start.
    expect(existsSync(running?.dataDir ?? '')).toBe(true);
  });

  it('starts exactly one broker when several processes call ensureBroker at once', async () => {
    expect(await brokerStatus({ port })).toBeNull();
    const entry = new URL('../../dist/index.js', import.meta.url).href;
    const script = `import(${JSON.stringify(entry)}).then(async (m) => {
      const info = await m.ensureBroker({ port: ${port}, version: ${JSON.stringify(version)}, log: () => {} });
      process.stdout.write(JSON.stringify(info));
    }).catch((e) => { process.stderr.write(String(e && e.message)); process.exit(1); });`;
    const runs = await Promise.all(
      Array.from(
        { length: 3 },
        () =>
          new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
            const child = spawn(process.execPath, ['--input-type=module', '-e', script]);
            let out = '';
            let err = '';
            child.stdout.on('data', (d: Buffer) => (out += d.toString()));
            child.stderr.on('data', (d: Buffer) => (err += d.toString()));
            child.on('close', (code) => resolve({ code, out, err }));
          }),
      ),
    );
    for (const run of runs) expect(run.code, run.err).toBe(0);
    const pids = new Set(runs.map((run) => (JSON.parse(run.out) as { pid: number }).pid));
    expect(pids.size).toBe(1);
    expect((await brokerStatus({ port }))?.pid).toBe([...pids][0]);
  });

  describe('a port held by another program', () => {
    async function hold(): Promise<{ server: Server; port: number }> {
      const server = createServer();
      const held = await new Promise<number>((resolve) =>
        server.listen(0, '127.0.0.1', () => {
          const address = server.address();
          resolve(typeof address === 'object' && address !== null ? address.port : -1);
        }),
      );
      return { server, port: held };
    }

    it('is refused with PORT_IN_USE, for the broker port and the controller port', async () => {
      const { server, port: held } = await hold();
      try {
        expect(await codeOf(startBroker({ port: held, version, ...quiet }))).toBe('PORT_IN_USE');
        expect(await codeOf(startBroker({ port: held - 1, version, ...quiet }))).toBe('PORT_IN_USE');
        expect(await brokerStatus({ port: held })).toBeNull();
      } finally {
        server.close();
      }
    });
  });
});
