import { createServer } from 'node:net';
import { RegistryLocalError } from './errors.js';

export const PORT_ENV = 'UNIQSTREAM_REGISTRY_PORT';
/** Everything binds here only: the registry is for this machine, not the network. */
export const LOOPBACK = '127.0.0.1';

const LOWEST_PORT = 1;
const HIGHEST_PORT = 65535;

export function parsePort(text: string): number {
  const trimmed = text.trim();
  const port = /^\d{1,5}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isInteger(port) || port < LOWEST_PORT || port > HIGHEST_PORT) {
    throw new RegistryLocalError('BAD_PORT', `"${text}" is not a port between ${LOWEST_PORT} and ${HIGHEST_PORT}`);
  }
  return port;
}

/** The caller's port, else the environment's, else undefined: any free port will do. */
export function requestedPort(
  requested: number | undefined,
  env: Readonly<Record<string, string | undefined>>,
): number | undefined {
  if (requested !== undefined) return parsePort(String(requested));
  const fromEnv = env[PORT_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return parsePort(fromEnv);
  return undefined;
}

/**
 * `port` when nothing holds it on the loopback address, null when something
 * does; with port 0, one the OS picks. Binding is the only reliable test.
 */
export function bindablePort(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(null));
    server.listen({ port, host: LOOPBACK, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : null;
      server.close(() => resolve(bound));
    });
  });
}
