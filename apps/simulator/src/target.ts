import { SimError } from './errors.js';

/** Where frames go. */
export type Target =
  | { readonly kind: 'stdout' }
  | { readonly kind: 'file'; readonly path: string; readonly gzip: boolean }
  | { readonly kind: 'kafka'; readonly brokers: readonly string[]; readonly topic: string };

const KAFKA_SCHEME = 'kafka://';
const FILE_SCHEME = 'file:';
const DEFAULT_KAFKA_PORT = 9092;
const MAX_PORT = 65_535;
const TOPIC_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;
const EXPECTED = 'expected stdout, file:PATH or kafka://host:port/topic';

/** Parses `stdout`, `-`, `file:PATH` (a `.gz` suffix means gzip), a plain path, or `kafka://host:port[,host:port]/topic`. */
export function parseTarget(text: string): Target {
  const value = text.trim();
  if (value === '') throw new SimError('BAD_OPTION', `empty --to: ${EXPECTED}`);
  if (value === 'stdout' || value === '-') return { kind: 'stdout' };
  if (value.startsWith(KAFKA_SCHEME)) return parseKafka(value);
  let path = value;
  if (value.startsWith(FILE_SCHEME)) path = value.slice(FILE_SCHEME.length).replace(/^\/\/(?=\/)/, '');
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value))
    throw new SimError('BAD_OPTION', `unsupported --to ${value}: ${EXPECTED}`);
  if (path === '') throw new SimError('BAD_OPTION', `no path in --to ${value}`);
  return { kind: 'file', path, gzip: path.endsWith('.gz') };
}

function parseKafka(value: string): Target {
  const rest = value.slice(KAFKA_SCHEME.length);
  const slash = rest.indexOf('/');
  const hosts = slash === -1 ? rest : rest.slice(0, slash);
  const topic = slash === -1 ? '' : decodeURIComponent(rest.slice(slash + 1));
  if (!TOPIC_PATTERN.test(topic))
    throw new SimError('BAD_OPTION', `no valid topic in ${value}: expected kafka://host:port/topic`);
  const brokers = hosts
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '')
    .map((h) => {
      const match = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(h);
      const port = match?.[2] === undefined ? DEFAULT_KAFKA_PORT : Number(match[2]);
      if (match === null || port < 1 || port > MAX_PORT)
        throw new SimError('BAD_OPTION', `bad broker address ${h} in ${value}`);
      return `${match[1]}:${port}`;
    });
  if (brokers.length === 0) throw new SimError('BAD_OPTION', `no broker in ${value}: expected kafka://host:port/topic`);
  return { kind: 'kafka', brokers, topic };
}

export function describeTarget(target: Target): string {
  switch (target.kind) {
    case 'stdout':
      return 'stdout';
    case 'file':
      return `file:${target.path}`;
    case 'kafka':
      return `kafka://${target.brokers.join(',')}/${target.topic}`;
  }
}
