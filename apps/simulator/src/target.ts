import { AppConfigError, formatEndpoint, parseEndpoint } from '@uniqstream/app-config';
import { SimError } from './errors.js';

/** Where frames go. */
export type Target =
  | { readonly kind: 'stdout' }
  | { readonly kind: 'file'; readonly path: string; readonly gzip: boolean }
  | { readonly kind: 'kafka'; readonly brokers: readonly string[]; readonly topic: string };

const GZIP_SUFFIX = '.gz';

/**
 * Parses --to: `stdout`, `-`, `file:PATH` or a plain path (a `.gz` suffix
 * means gzip), or `kafka://host:port[,host:port]/topic`.
 */
export function parseTarget(text: string): Target {
  let endpoint: ReturnType<typeof parseEndpoint>;
  try {
    endpoint = parseEndpoint(text, 'output', { name: '--to' });
  } catch (error) {
    if (error instanceof AppConfigError) throw new SimError('BAD_OPTION', error.message, { cause: error });
    throw error;
  }
  switch (endpoint.kind) {
    case 'file':
      return { kind: 'file', path: endpoint.path, gzip: endpoint.path.endsWith(GZIP_SUFFIX) };
    case 'kafka':
      return endpoint;
    case 'stdout':
    case 'stdin': // never for an output: `-` is stdout there
      return { kind: 'stdout' };
  }
}

export function describeTarget(target: Target): string {
  return target.kind === 'file' ? formatEndpoint({ kind: 'file', path: target.path }) : formatEndpoint(target);
}
