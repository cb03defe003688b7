import { CoreError } from './errors.js';

/** Where frames come from or results go, as written on a command line. */
export type Endpoint =
  | { readonly kind: 'stdout' }
  | { readonly kind: 'stdin' }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'kafka'; readonly brokers: readonly string[]; readonly topic: string };

const KAFKA_SCHEME = 'kafka://';
const FILE_SCHEME = 'file:';
const DEFAULT_KAFKA_PORT = 9092;
const TOPIC_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * Parses `stdout`, `-`, `file:PATH`, a plain path, or
 * `kafka://host:port[,host:port]/topic`. `direction` decides what `-` means.
 */
export function parseEndpoint(text: string, direction: 'input' | 'output'): Endpoint {
  const value = text.trim();
  if (value === '')
    throw new CoreError('BAD_ENDPOINT', 'empty endpoint: expected stdout, file:PATH or kafka://host:port/topic');
  if (value === '-') return direction === 'input' ? { kind: 'stdin' } : { kind: 'stdout' };
  if (value === 'stdout' && direction === 'output') return { kind: 'stdout' };
  if (value === 'stdin' && direction === 'input') return { kind: 'stdin' };
  if (value.startsWith(KAFKA_SCHEME)) return parseKafka(value);
  if (value.startsWith(FILE_SCHEME)) {
    const path = value.slice(FILE_SCHEME.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new CoreError('BAD_ENDPOINT', `no path in ${value}`);
    return { kind: 'file', path };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new CoreError(
      'BAD_ENDPOINT',
      `unsupported endpoint ${value}: expected stdout, file:PATH or kafka://host:port/topic`,
    );
  }
  return { kind: 'file', path: value };
}

function parseKafka(value: string): Endpoint {
  const rest = value.slice(KAFKA_SCHEME.length);
  const slash = rest.indexOf('/');
  const hosts = slash === -1 ? rest : rest.slice(0, slash);
  const topic = slash === -1 ? '' : decodeURIComponent(rest.slice(slash + 1));
  if (!TOPIC_PATTERN.test(topic)) {
    throw new CoreError('BAD_ENDPOINT', `no valid topic in ${value}: expected kafka://host:port/topic`);
  }
  const brokers = hosts
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '')
    .map((h) => withPort(h, value));
  if (brokers.length === 0)
    throw new CoreError('BAD_ENDPOINT', `no broker in ${value}: expected kafka://host:port/topic`);
  return { kind: 'kafka', brokers, topic };
}

function withPort(host: string, whole: string): string {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(host);
  if (!match) throw new CoreError('BAD_ENDPOINT', `bad broker address ${host} in ${whole}`);
  const port = match[2] === undefined ? DEFAULT_KAFKA_PORT : Number(match[2]);
  if (port < 1 || port > 65535) throw new CoreError('BAD_ENDPOINT', `bad port in ${host} (${whole})`);
  return `${match[1]}:${port}`;
}

/** The endpoint written back as a user would type it. */
export function formatEndpoint(endpoint: Endpoint): string {
  switch (endpoint.kind) {
    case 'stdout':
      return 'stdout';
    case 'stdin':
      return '-';
    case 'file':
      return `file:${endpoint.path}`;
    case 'kafka':
      return `kafka://${endpoint.brokers.join(',')}/${endpoint.topic}`;
  }
}
