import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ConsumerError } from './errors.js';

const OK = 200;
const NOT_FOUND = 404;
const METHOD_NOT_ALLOWED = 405;
const SERVER_ERROR = 500;
const UNAVAILABLE = 503;

/** Whether the instance does its job, and if not, why (for /readyz). */
export interface Readiness {
  readonly ready: boolean;
  /** One short line per role, e.g. `count: partitions 0,1 of frames` or `merge: standing by`. */
  readonly reasons: readonly string[];
}

export interface HealthServerOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly registry: Registry;
  readonly readiness: () => Readiness;
}

export interface HealthServer {
  /** The address actually bound. */
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/**
 * `/healthz` (the process answers), `/readyz` (200 when `readiness` says
 * so, else 503, with the reasons as JSON; see readiness.ts) and `/metrics`
 * (Prometheus text), with node:http and nothing else.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server = createServer((request, response) => {
    void handle(options, request, response);
  });
  // Scrapers keep connections open; they must not hold a stopping service.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new ConsumerError(
          'HTTP_FAILED',
          `cannot serve health and metrics on ${options.host}:${options.port}: ${
            error.code === 'EADDRINUSE'
              ? 'the port is in use (pick ' + 'another with --http-port, or 0 for none)'
              : error.message
          }`,
          { cause: error },
        ),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return { address: server.address() as AddressInfo, close: () => closeServer(server) };
}

async function handle(options: HealthServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    send(response, METHOD_NOT_ALLOWED, 'text/plain; charset=utf-8', 'only GET\n');
    return;
  }
  try {
    switch (path) {
      case '/healthz':
        send(response, OK, 'text/plain; charset=utf-8', 'ok\n');
        return;
      case '/readyz': {
        const readiness = options.readiness();
        send(response, readiness.ready ? OK : UNAVAILABLE, 'application/json', `${JSON.stringify(readiness)}\n`);
        return;
      }
      case '/metrics': {
        const text = await options.registry.metrics();
        send(response, OK, options.registry.contentType, text);
        return;
      }
      default:
        send(response, NOT_FOUND, 'text/plain; charset=utf-8', 'not found: try /healthz, /readyz or /metrics\n');
    }
  } catch (error) {
    send(
      response,
      SERVER_ERROR,
      'text/plain; charset=utf-8',
      `${error instanceof Error ? error.message : String(error)}\n`,
    );
  }
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
