import { Kafka, logLevel } from 'kafkajs';
import { connect } from 'node:net';
import { DEFAULT_KAFKA_VERSION, TestKafka, VERSION_ENV } from '../../src/index.js';

/** Kept apart from 9092, where other packages' tests share a broker. */
const DEFAULT_TEST_PORT = 19092;
const READ_TIMEOUT_MS = 60_000;

export function testPort(): number {
  const text = process.env.KAFKA_LOCAL_TEST_PORT;
  return text === undefined || text === '' ? DEFAULT_TEST_PORT : Number(text);
}

export function testVersion(): string {
  const text = process.env[VERSION_ENV];
  return text === undefined || text === '' ? DEFAULT_KAFKA_VERSION : text;
}

export function bootstrap(): string {
  return `127.0.0.1:${testPort()}`;
}

export function kafka(clientId = 'kafka-local-it'): Kafka {
  return new Kafka({ clientId, brokers: [bootstrap()], logLevel: logLevel.NOTHING });
}

/** A topic name no earlier run used. */
export function freshTopic(purpose: string): string {
  return `it-${purpose}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

export interface ReadRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
}

/**
 * Everything in `topic` up to its current end, read by a throwaway consumer
 * group (nothing committed), in offset order per partition, as text.
 */
export async function readAll(topic: string, options: { readUncommitted?: boolean } = {}): Promise<ReadRecord[]> {
  const reader = new TestKafka({ bootstrap: bootstrap(), clientId: 'kafka-local-it-reader', keep: true });
  try {
    const records = await reader.read(topic, {
      readUncommitted: options.readUncommitted ?? false,
      timeoutMs: READ_TIMEOUT_MS,
    });
    return records.map((r) => ({ ...r, value: r.value?.toString('utf8') ?? null }));
  } finally {
    await reader.close();
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, pollMs = 2000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

const API_VERSIONS_KEY = 18;
const INT16 = 2;
const INT32 = 4;
const API_ENTRY_BYTES = 3 * INT16;

export interface ApiRange {
  readonly min: number;
  readonly max: number;
}

/**
 * The broker's supported versions per API key, from a hand-made ApiVersions v0
 * request on a raw socket: a reference that shares no code with kafkajs.
 */
export function brokerApiVersions(host: string, port: number): Promise<Map<number, ApiRange>> {
  const clientId = Buffer.from('kafka-local-it');
  const header = Buffer.alloc(INT16 + INT16 + INT32 + INT16);
  let at = header.writeInt16BE(API_VERSIONS_KEY, 0);
  at = header.writeInt16BE(0, at); // version 0: every broker since 0.10 answers it
  at = header.writeInt32BE(1, at); // correlation id
  header.writeInt16BE(clientId.length, at);
  const body = Buffer.concat([header, clientId]);
  const size = Buffer.alloc(INT32);
  size.writeInt32BE(body.length, 0);
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => socket.write(Buffer.concat([size, body])));
    let received = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < INT32 || received.length < INT32 + received.readInt32BE(0)) return;
      socket.end();
      let offset = INT32 + INT32; // size, correlation id
      const errorCode = received.readInt16BE(offset);
      offset += INT16;
      if (errorCode !== 0) return reject(new Error(`ApiVersions error ${errorCode}`));
      const count = received.readInt32BE(offset);
      offset += INT32;
      const ranges = new Map<number, ApiRange>();
      for (let i = 0; i < count; i++, offset += API_ENTRY_BYTES) {
        ranges.set(received.readInt16BE(offset), {
          min: received.readInt16BE(offset + INT16),
          max: received.readInt16BE(offset + 2 * INT16),
        });
      }
      resolve(ranges);
    });
  });
}
