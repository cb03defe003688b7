import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KafkaLocalError } from './errors.js';
import type { SecureLayout } from './paths.js';
import { LOOPBACK } from './ports.js';

/** A throwaway CA: long-lived enough that a kept data directory never sees it expire. */
const VALIDITY_DAYS = 3650;
/** Serial numbers: random, as RFC 5280 asks of a CA that issues more than one. */
const SERIAL_BYTES = 16;
/** Last lines of openssl's output worth showing when it fails. */
const OUTPUT_TAIL_LINES = 2;
const PRIVATE = 0o600;
const PUBLIC = 0o644;
const PRIVATE_DIR = 0o700;

/** The host names the broker's certificate is good for: clients may dial either. */
const BROKER_DNS_NAME = 'localhost';
const BROKER_IP = LOOPBACK;

/** A certificate and its private key, both PEM files. */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export type CertificateUse = 'server' | 'client';

/**
 * Makes the CA and the broker's PEM keystore under `layout.root` unless they
 * are all there: once per data directory, so the CA file clients hold stays
 * good across restarts. Returns true when it made them. openssl, not keytool:
 * a few milliseconds instead of several JVM starts, and PEM files that both
 * Node (`ca`, `cert`, `key`) and Kafka (`ssl.keystore.type=PEM`) read.
 */
export async function ensureBrokerCertificates(layout: SecureLayout): Promise<boolean> {
  if ([layout.caCertificate, layout.caKey, layout.brokerKeystore].every((file) => existsSync(file))) return false;
  await mkdir(layout.root, { recursive: true, mode: PRIVATE_DIR });
  const work = await mkdtemp(join(layout.root, '.making-'));
  try {
    const ca = await createCertificateAuthority(work, 'kafka-local CA');
    const broker = await issueCertificate(ca, work, 'broker', 'server');
    const keystore = join(work, 'broker-keystore.pem');
    // Kafka's PEM keystore: the key, then the chain from the broker's certificate up.
    const parts = await Promise.all(
      [broker.keyFile, broker.certFile, ca.certFile].map((file) => readFile(file, 'utf8')),
    );
    await writeFile(keystore, parts.join(''), { mode: PRIVATE });
    await rename(ca.keyFile, layout.caKey);
    await rename(ca.certFile, layout.caCertificate);
    // Last: its presence says the set is complete.
    await rename(keystore, layout.brokerKeystore);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return true;
}

/**
 * A certificate for `name` signed by the broker's CA, for mutual TLS:
 * secure/clients/<name>.pem and <name>.key, made once and then reused.
 */
export async function ensureClientCertificate(layout: SecureLayout, name: string): Promise<CertificateFiles> {
  const files = certificateFiles(layout.clientsDir, name);
  if (existsSync(files.certFile) && existsSync(files.keyFile)) return files;
  await mkdir(layout.clientsDir, { recursive: true, mode: PRIVATE_DIR });
  return issueCertificate({ certFile: layout.caCertificate, keyFile: layout.caKey }, layout.clientsDir, name, 'client');
}

/** A self-signed CA in `dir`: ca.pem and ca.key. */
export async function createCertificateAuthority(dir: string, commonName: string): Promise<CertificateFiles> {
  const files = certificateFiles(dir, 'ca');
  const config = join(dir, 'ca.cnf');
  await writeFile(
    config,
    requestConfig(commonName, [
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
    ]),
  );
  await newPrivateKey(files.keyFile);
  await openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    files.keyFile,
    '-config',
    config,
    '-extensions',
    'ext',
    ...signing(),
    '-out',
    files.certFile,
  ]);
  await chmod(files.certFile, PUBLIC);
  await rm(config, { force: true });
  return files;
}

/**
 * <name>.pem and <name>.key in `dir`, signed by `ca`: a server certificate
 * for localhost and 127.0.0.1, or a client certificate for CN=<name>.
 */
export async function issueCertificate(
  ca: CertificateFiles,
  dir: string,
  name: string,
  use: CertificateUse,
): Promise<CertificateFiles> {
  const files = certificateFiles(dir, name);
  const request = join(dir, `${name}.csr`);
  const config = join(dir, `${name}.cnf`);
  const commonName = use === 'server' ? BROKER_DNS_NAME : name;
  await writeFile(
    config,
    requestConfig(commonName, [
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      `extendedKeyUsage = ${use === 'server' ? 'serverAuth' : 'clientAuth'}`,
      ...(use === 'server' ? [`subjectAltName = DNS:${BROKER_DNS_NAME}, IP:${BROKER_IP}`] : []),
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
    ]),
  );
  try {
    await newPrivateKey(files.keyFile);
    await openssl(['req', '-new', '-key', files.keyFile, '-config', config, '-out', request]);
    await openssl([
      'x509',
      '-req',
      '-in',
      request,
      '-CA',
      ca.certFile,
      '-CAkey',
      ca.keyFile,
      ...signing(),
      '-extfile',
      config,
      '-extensions',
      'ext',
      '-out',
      files.certFile,
    ]);
    await chmod(files.certFile, PUBLIC);
  } finally {
    await rm(request, { force: true });
    await rm(config, { force: true });
  }
  return files;
}

function certificateFiles(dir: string, name: string): CertificateFiles {
  return { certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}.key`) };
}

/** An OpenSSL config naming the subject and the extensions (section `ext`): -subj and -addext are not in every
 * openssl. */
function requestConfig(commonName: string, extensions: readonly string[]): string {
  return `${[
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    '[dn]',
    `CN = ${commonName}`,
    '[ext]',
    ...extensions,
  ].join('\n')}\n`;
}

function signing(): string[] {
  return ['-days', String(VALIDITY_DAYS), '-sha256', '-set_serial', `0x${randomBytes(SERIAL_BYTES).toString('hex')}`];
}

/** An EC P-256 key in PKCS#8 PEM, the form Kafka's PEM keystore reads; mode 0600. */
async function newPrivateKey(file: string): Promise<void> {
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
  await chmod(file, PRIVATE);
}

async function openssl(args: readonly string[]): Promise<void> {
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new KafkaLocalError(
              'OPENSSL_MISSING',
              'openssl is not on PATH: the secured listener makes its certificates with it (install OpenSSL)',
              { cause: error },
            )
          : error,
      ),
    );
    child.once('close', (exitCode) => resolve({ code: exitCode, output: text }));
  });
  if (code !== 0) {
    const tail = output.trim().split('\n').slice(-OUTPUT_TAIL_LINES).join(' | ');
    throw new KafkaLocalError('CERTIFICATE_FAILED', `openssl ${args[0]} failed (exit ${code}): ${tail}`);
  }
}
