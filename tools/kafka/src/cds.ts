import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { jarLayout } from './paths.js';
import { isProcessAlive } from './process.js';
import type { KafkaTool, KafkaVersion } from './version.js';

/** Dynamic class-data archives (-XX:ArchiveClassesAtExit) arrived in Java 13. */
const FIRST_JAVA_WITH_DYNAMIC_CDS = 13;

export const CDS_ENV = 'KAFKA_LOCAL_CDS';

export function cdsDir(version: KafkaVersion): string {
  return join(jarLayout(version).root, 'cds');
}

/**
 * JVM flags that let a wrapped tool start from a class-data archive of its own
 * earlier run: about half the start time and CPU of a cold JVM. The first run
 * records the archive as it exits; runs while it does so go without.
 *
 * `toolPid` is the pid the JVM will have (the wrapper shell execs it), kept in
 * a marker so that a later run can tell a dump in progress from a finished one.
 */
export async function classDataSharingFlags(
  version: KafkaVersion,
  tool: KafkaTool,
  javaMajor: number,
  toolPid: number | null,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string[]> {
  if (javaMajor < FIRST_JAVA_WITH_DYNAMIC_CDS || toolPid === null || env[CDS_ENV] === '0') return [];
  const dir = cdsDir(version);
  const archive = join(dir, `${tool}.jsa`);
  const marker = `${archive}.dumping`;
  const dumper = Number((await readFile(marker, 'utf8').catch(() => '')).trim());
  if (dumper > 0) {
    if (isProcessAlive(dumper)) return [];
    await rm(marker, { force: true });
  }
  if (existsSync(archive)) return [`-XX:SharedArchiveFile=${archive}`];
  await mkdir(dir, { recursive: true });
  try {
    const handle = await open(marker, 'wx');
    await handle.writeFile(String(toolPid));
    await handle.close();
  } catch {
    return []; // another run has just started recording
  }
  return [`-XX:ArchiveClassesAtExit=${archive}`];
}
