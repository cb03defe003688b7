import { createServer } from 'node:net';
import { KafkaLocalError } from './errors.js';

export const PORT_ENV = 'UNIQSTREAM_KAFKA_PORT';
export const DEFAULT_PORT = 9092;

/** Everything binds here only: the broker is for this machine, not the network. */
export const LOOPBACK = '127.0.0.1';

const LOWEST_PORT = 1;
/** The controller takes port + 1 and the secured listeners port + 2 and + 3, so the broker port must leave room
 * for them. */
const HIGHEST_PORT = 65532;

export function parsePort(text: string): number {
  const trimmed = text.trim();
  const port = /^\d{1,5}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isInteger(port) || port < LOWEST_PORT || port > HIGHEST_PORT) {
    throw new KafkaLocalError('BAD_PORT', `"${text}" is not a port between ${LOWEST_PORT} and ${HIGHEST_PORT}`);
  }
  return port;
}

/** The caller's port, else the environment's, else 9092. */
export function resolvePort(requested: number | undefined, env: Readonly<Record<string, string | undefined>>): number {
  if (requested !== undefined) return parsePort(String(requested));
  const fromEnv = env[PORT_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return parsePort(fromEnv);
  return DEFAULT_PORT;
}

/** The KRaft controller listens next to the broker. */
export function controllerPortOf(port: number): number {
  return port + 1;
}

/** The SASL_SSL listener of a broker started with --secure, after the controller's port. */
export function securePortOf(port: number): number {
  return port + 2;
}

/** The SASL_SSL listener that also requires a client certificate (mutual TLS), after the other one. */
export function mutualTlsPortOf(port: number): number {
  return port + 3;
}

/**
 * True when nothing holds `port` on the loopback address. Binding is the only
 * reliable test: a listener on 0.0.0.0 accepts loopback connections too.
 */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: LOOPBACK, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}
