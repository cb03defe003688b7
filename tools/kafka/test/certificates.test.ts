import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, ensureBrokerCertificates, ensureClientCertificate } from '../src/certificates.js';
import { secureLayout, type SecureLayout } from '../src/paths.js';

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----\n?/g;

function pemBlocks(text: string): Array<{ label: string; pem: string }> {
  return [...text.matchAll(PEM_BLOCK)].map((match) => ({ label: match[1] ?? '', pem: match[0] }));
}

function mode(file: string): number {
  return statSync(file).mode & 0o777;
}

/** Whether a TLS client with `options` completes a handshake with a server holding the broker's keystore. */
async function handshake(layout: SecureLayout, options: ConnectionOptions): Promise<string> {
  const blocks = pemBlocks(readFileSync(layout.brokerKeystore, 'utf8'));
  const key = blocks.find((b) => b.label === 'PRIVATE KEY')?.pem ?? '';
  const chain = blocks
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => b.pem)
    .join('');
  const server = createServer({ key, cert: chain }, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<string>((resolve) => {
      const socket: TLSSocket = connect({ port, host: '127.0.0.1', ...options }, () => {
        socket.destroy();
        resolve('trusted');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
  } finally {
    server.close();
  }
}

describe('certificates (openssl)', () => {
  let dir: string;
  let layout: SecureLayout;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kafka-local-certs-'));
    layout = secureLayout(join(dir, 'secure'));
    expect(await ensureBrokerCertificates(layout)).toBe(true);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('makes a CA, and a broker certificate it signed for localhost and 127.0.0.1 only', () => {
    const ca = new X509Certificate(readFileSync(layout.caCertificate));
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    const [, broker] = pemBlocks(readFileSync(layout.brokerKeystore, 'utf8'));
    const cert = new X509Certificate(broker?.pem ?? '');
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('example.com')).toBeUndefined();
    expect(cert.checkIP('127.0.0.2')).toBeUndefined();
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.1'); // serverAuth
  });

  it(
    'writes the keystore Kafka reads: ' + 'the PKCS#8 key that matches the certificate, then the chain up to the CA',
    () => {
      const blocks = pemBlocks(readFileSync(layout.brokerKeystore, 'utf8'));
      expect(blocks.map((b) => b.label)).toEqual(['PRIVATE KEY', 'CERTIFICATE', 'CERTIFICATE']);
      const key = createPrivateKey(blocks[0]?.pem ?? '');
      expect(new X509Certificate(blocks[1]?.pem ?? '').checkPrivateKey(key)).toBe(true);
      expect(blocks[2]?.pem).toBe(readFileSync(layout.caCertificate, 'utf8'));
    },
  );

  it('keeps private keys and their directory to the owner; the CA certificate is readable', () => {
    expect(mode(layout.root)).toBe(0o700);
    expect(mode(layout.caKey)).toBe(0o600);
    expect(mode(layout.brokerKeystore)).toBe(0o600);
    expect(mode(layout.caCertificate)).toBe(0o644);
  });

  it('keeps what it made across calls, so a client holding the CA file keeps trusting the broker', async () => {
    const before = readFileSync(layout.caCertificate, 'utf8');
    expect(await ensureBrokerCertificates(layout)).toBe(false);
    expect(readFileSync(layout.caCertificate, 'utf8')).toBe(before);
  });

  it('lets a TLS client that trusts the CA in, by host name or address, and no other', async () => {
    const ca = readFileSync(layout.caCertificate);
    expect(await handshake(layout, { ca, servername: 'localhost' })).toBe('trusted');
    expect(await handshake(layout, { ca })).toBe('trusted'); // no SNI for an address: checked against the IP entry
    expect(await handshake(layout, {})).toBe('SELF_SIGNED_CERT_IN_CHAIN');
    expect(await handshake(layout, { ca, servername: 'kafka.example.com' })).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    const other = await createCertificateAuthority(dir, 'another CA');
    expect(await handshake(layout, { ca: readFileSync(other.certFile) })).toBe('SELF_SIGNED_CERT_IN_CHAIN');
  });

  it('issues client certificates from the same CA, for client authentication, once per name', async () => {
    const files = await ensureClientCertificate(layout, 'alice');
    const cert = new X509Certificate(readFileSync(files.certFile));
    expect(cert.subject).toBe('CN=alice');
    expect(cert.verify(new X509Certificate(readFileSync(layout.caCertificate)).publicKey)).toBe(true);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // clientAuth only
    expect(cert.checkPrivateKey(createPrivateKey(readFileSync(files.keyFile)))).toBe(true);
    expect(mode(files.keyFile)).toBe(0o600);
    const again = await ensureClientCertificate(layout, 'alice');
    expect(readFileSync(again.certFile, 'utf8')).toBe(readFileSync(files.certFile, 'utf8'));
  });
});
