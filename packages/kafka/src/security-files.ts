import { readFileSync } from 'node:fs';
import { KafkaError } from './errors.js';
import { checkKafkaSecurity, type KafkaSasl, type KafkaSecurity, type KafkaTls } from './security.js';

/** TLS settings as an app takes them: PEM files by path. */
export interface KafkaTlsFiles extends Omit<KafkaTls, 'ca' | 'cert' | 'key'> {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

export interface KafkaSecurityFiles {
  readonly tls?: KafkaTlsFiles;
  readonly sasl?: KafkaSasl;
}

/**
 * Reads the PEM files the settings name and checks the result
 * (checkKafkaSecurity). Throws KafkaError('BAD_OPTION') with one line:
 * `cannot read the TLS CA file ca.pem: no such file`, `the TLS CA file
 * ca.pem is not a PEM certificate ...`.
 */
export function loadKafkaSecurity(files: KafkaSecurityFiles): KafkaSecurity {
  let tls: KafkaTls | undefined;
  if (files.tls !== undefined) {
    const { caFile, certFile, keyFile, ...rest } = files.tls;
    tls = {
      ...rest,
      ...(caFile === undefined ? {} : { ca: readPem(caFile, 'CA') }),
      ...(certFile === undefined ? {} : { cert: readPem(certFile, 'client certificate') }),
      ...(keyFile === undefined ? {} : { key: readPem(keyFile, 'client key') }),
    };
  }
  const security: KafkaSecurity = {
    ...(tls === undefined ? {} : { tls }),
    ...(files.sasl === undefined ? {} : { sasl: files.sasl }),
  };
  try {
    checkKafkaSecurity(security);
  } catch (error) {
    if (!(error instanceof KafkaError)) throw error;
    throw new KafkaError('BAD_OPTION', withFileNames(error.message, files.tls), { cause: error });
  }
  return security;
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch (error) {
    throw new KafkaError('BAD_OPTION', `cannot read the TLS ${what} file ${path}: ${fileProblem(error)}`, {
      cause: error,
    });
  }
}

function fileProblem(error: unknown): string {
  switch ((error as NodeJS.ErrnoException | null)?.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** checkKafkaSecurity's `the TLS CA is not ...` as `the TLS CA file ca.pem is not ...`. */
function withFileNames(message: string, tls: KafkaTlsFiles | undefined): string {
  const named: [string, string | undefined][] = [
    ['the TLS CA ', tls?.caFile],
    ['the TLS client certificate ', tls?.certFile],
    ['the TLS client key ', tls?.keyFile],
  ];
  for (const [prefix, file] of named)
    if (file !== undefined && message.startsWith(prefix))
      return `${prefix}file ${file} ${message.slice(prefix.length)}`;
  return message;
}
