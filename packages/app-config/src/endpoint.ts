import type { Endpoint } from '@uniqstream/core';
import { AppConfigError } from './errors.js';
import { TOPIC_PATTERN } from './values.js';

const KAFKA_SCHEME = 'kafka://';
const FILE_SCHEME = 'file:';
const DEFAULT_KAFKA_PORT = 9092;
const MAX_PORT = 65_535;
const ANY_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** `file:///tmp/x` is `/tmp/x`: the authority part of a file URL is empty. */
const FILE_URL_AUTHORITY = /^\/\/(?=\/)/;
const BROKER_PATTERN = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/;
const EXPECTED = 'expected stdout, file:PATH or kafka://host:port/topic';
const EXPECTED_KAFKA = 'expected kafka://host:port/topic';

export interface ParseEndpointOptions {
  /** How messages name the text, e.g. `--to`; default `endpoint`. */
  readonly name?: string;
}

/**
 * Parses `stdout`, `-`, `file:PATH`, a plain path, or
 * `kafka://host:port[,host:port]/topic` (port 9092 when none is given).
 * `direction` decides what `-` means. Throws AppConfigError('BAD_ENDPOINT')
 * with one line.
 */
export function parseEndpoint(
  text: string,
  direction: 'input' | 'output',
  options: ParseEndpointOptions = {},
): Endpoint {
  const value = text.trim();
  const name = options.name ?? 'endpoint';
  if (value === '') throw bad(`empty ${name}: ${EXPECTED}`);
  if (value === '-') return direction === 'input' ? { kind: 'stdin' } : { kind: 'stdout' };
  if (value === 'stdout' && direction === 'output') return { kind: 'stdout' };
  if (value === 'stdin' && direction === 'input') return { kind: 'stdin' };
  if (value.startsWith(KAFKA_SCHEME)) return parseKafka(value);
  if (value.startsWith(FILE_SCHEME)) {
    const path = value.slice(FILE_SCHEME.length).replace(FILE_URL_AUTHORITY, '');
    if (path === '') throw bad(`no path in ${options.name === undefined ? '' : `${options.name} `}${value}`);
    return { kind: 'file', path };
  }
  if (ANY_SCHEME.test(value)) throw bad(`unsupported ${name} ${value}: ${EXPECTED}`);
  return { kind: 'file', path: value };
}

function parseKafka(value: string): Endpoint {
  const rest = value.slice(KAFKA_SCHEME.length);
  const slash = rest.indexOf('/');
  const hosts = slash === -1 ? rest : rest.slice(0, slash);
  const topic = slash === -1 ? '' : decodeURIComponent(rest.slice(slash + 1));
  if (!TOPIC_PATTERN.test(topic)) throw bad(`no valid topic in ${value}: ${EXPECTED_KAFKA}`);
  const brokers = hosts
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '')
    .map((h) => withPort(h, value));
  if (brokers.length === 0) throw bad(`no broker in ${value}: ${EXPECTED_KAFKA}`);
  return { kind: 'kafka', brokers, topic };
}

function withPort(host: string, whole: string): string {
  const match = BROKER_PATTERN.exec(host);
  if (!match) throw bad(`bad broker address ${host} in ${whole}`);
  const port = match[2] === undefined ? DEFAULT_KAFKA_PORT : Number(match[2]);
  if (port < 1 || port > MAX_PORT) throw bad(`bad port in ${host} (${whole})`);
  return `${match[1]}:${port}`;
}

/** The endpoint written back as a user would type it; parseEndpoint reads it back the same. */
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

function bad(message: string): AppConfigError {
  return new AppConfigError('BAD_ENDPOINT', message);
}
