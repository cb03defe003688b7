import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KafkaVersion } from './version.js';

/** tools/kafka: this file sits in src/ (tests) or dist/ (built), one level down. */
export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

/** Jars per version; shared by every port, safe to delete. */
export const CACHE_DIR = join(PACKAGE_DIR, '.cache');
/** Broker state per version and port. */
export const DATA_DIR = join(PACKAGE_DIR, '.data');
export const POM_DIR = join(PACKAGE_DIR, 'pom');
/** Locks that serialise starts and stops per port, whatever the version. */
export const LOCK_DIR = join(DATA_DIR, 'locks');

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
  };
}

export function portLockFile(port: number): string {
  return join(LOCK_DIR, `port-${port}.lock`);
}

export function fetchLockFile(version: KafkaVersion): string {
  return join(CACHE_DIR, `kafka-${version.text}.lock`);
}
