import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KafkaVersion } from './version.js';

/** tools/kafka: this file sits in src/ (tests) or dist/ (built), one level down. */
export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

/** Jars per version; shared by every port, safe to delete. */
export const CACHE_DIR = join(PACKAGE_DIR, '.cache');
/** Broker state per version and port. */
export const DATA_DIR = join(PACKAGE_DIR, '.data');
const POM_DIR = join(PACKAGE_DIR, 'pom');
/** Locks that serialise starts and stops per port, whatever the version. */
const LOCK_DIR = join(DATA_DIR, 'locks');

export interface JarLayout {
  /** .cache/kafka-<version> */
  readonly root: string;
  readonly libs: string;
  /** Written last by a fetch: its presence means libs/ is complete. */
  readonly complete: string;
  readonly mavenLog: string;
  readonly toolsLogging: string;
  readonly pom: string;
}

export function jarLayout(version: KafkaVersion): JarLayout {
  const root = join(CACHE_DIR, `kafka-${version.text}`);
  return {
    root,
    libs: join(root, 'libs'),
    complete: join(root, 'libs.complete'),
    mavenLog: join(root, 'maven.log'),
    toolsLogging: join(root, version.major >= 4 ? 'tools-log4j2.properties' : 'tools-log4j.properties'),
    pom: join(POM_DIR, `kafka-${version.major}.x.xml`),
  };
}

export interface DataLayout {
  /** .data/<version>/<port> */
  readonly root: string;
  readonly serverProperties: string;
  readonly logging: string;
  /** log.dirs: topic partitions and the KRaft metadata log. */
  readonly kraftDir: string;
  /** Present once the storage is formatted. */
  readonly metaProperties: string;
  readonly logsDir: string;
  readonly logFile: string;
  /** The JVM's own stdout and stderr (crashes before logging starts). */
  readonly consoleFile: string;
  readonly pidFile: string;
  readonly stateFile: string;
  readonly secure: SecureLayout;
}

/** What the SASL_SSL listener needs: .data/<version>/<port>/secure/. */
export interface SecureLayout {
  readonly root: string;
  /** The throwaway CA's certificate (PEM): what clients trust. */
  readonly caCertificate: string;
  /** The CA's private key (PEM, mode 0600): signs the broker's and clients' certificates. */
  readonly caKey: string;
  /** The broker's key, certificate and the CA certificate in one PEM file (mode 0600), Kafka's
   * `ssl.keystore.type=PEM`. */
  readonly brokerKeystore: string;
  /** The admin user's password, alone on one line (mode 0600). */
  readonly adminPassword: string;
  /** Client settings for Kafka's own tools, logged in as the admin (mode 0600): `--command-config`. */
  readonly adminClientConfig: string;
  /** Which storage (cluster id) and password the admin's SCRAM credentials were written for. */
  readonly adminStamp: string;
  /** Client certificates and keys issued for mutual TLS: <name>.pem, <name>.key. */
  readonly clientsDir: string;
}

export function dataLayout(version: KafkaVersion, port: number): DataLayout {
  const root = join(DATA_DIR, version.text, String(port));
  const kraftDir = join(root, 'kraft');
  const logsDir = join(root, 'logs');
  return {
    root,
    serverProperties: join(root, 'server.properties'),
    logging: join(root, version.major >= 4 ? 'log4j2.properties' : 'log4j.properties'),
    kraftDir,
    metaProperties: join(kraftDir, 'meta.properties'),
    logsDir,
    logFile: join(logsDir, 'server.log'),
    consoleFile: join(logsDir, 'console.out'),
    pidFile: join(root, 'broker.pid'),
    stateFile: join(root, 'broker.json'),
    secure: secureLayout(join(root, 'secure')),
  };
}

export function secureLayout(root: string): SecureLayout {
  return {
    root,
    caCertificate: join(root, 'ca.pem'),
    caKey: join(root, 'ca.key'),
    brokerKeystore: join(root, 'broker.pem'),
    adminPassword: join(root, 'admin.password'),
    adminClientConfig: join(root, 'admin-client.properties'),
    adminStamp: join(root, 'admin.stamp'),
    clientsDir: join(root, 'clients'),
  };
}

export function portLockFile(port: number): string {
  return join(LOCK_DIR, `port-${port}.lock`);
}

export function fetchLockFile(version: KafkaVersion): string {
  return join(CACHE_DIR, `kafka-${version.text}.lock`);
}
