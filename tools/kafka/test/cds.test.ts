import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cdsDir, classDataSharingFlags, CDS_ENV } from '../src/cds.js';
import { jarLayout } from '../src/paths.js';
import { parseKafkaVersion } from '../src/version.js';

// A version no one fetches, so the test owns its cache folder.
const version = parseKafkaVersion('4.99.0');
const archive = join(cdsDir(version), 'topics.jsa');
const marker = `${archive}.dumping`;

function deadPid(): number {
  return Number(
    spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout,
  );
}

describe('classDataSharingFlags', () => {
  beforeEach(async () => rm(jarLayout(version).root, { recursive: true, force: true }));
  afterEach(async () => rm(jarLayout(version).root, { recursive: true, force: true }));

  it('records an archive on the first run, naming the JVM-to-be in a marker', async () => {
    expect(await classDataSharingFlags(version, 'topics', 17, 4242, {})).toEqual([
      `-XX:ArchiveClassesAtExit=${archive}`,
    ]);
    expect(await readFile(marker, 'utf8')).toBe('4242');
  });

  it('does without while another run is still recording', async () => {
    await mkdir(cdsDir(version), { recursive: true });
    await writeFile(marker, String(process.pid));
    expect(await classDataSharingFlags(version, 'topics', 17, 4243, {})).toEqual([]);
    expect(await readFile(marker, 'utf8')).toBe(String(process.pid));
  });

  it('uses the archive once the recording run has exited', async () => {
    await mkdir(cdsDir(version), { recursive: true });
    await writeFile(marker, String(deadPid()));
    await writeFile(archive, 'archive');
    expect(await classDataSharingFlags(version, 'topics', 17, 4244, {})).toEqual([`-XX:SharedArchiveFile=${archive}`]);
    expect(existsSync(marker)).toBe(false);
  });

  it('records again when the recording run died without an archive', async () => {
    await mkdir(cdsDir(version), { recursive: true });
    await writeFile(marker, String(deadPid()));
    expect(await classDataSharingFlags(version, 'topics', 17, 4245, {})).toEqual([
      `-XX:ArchiveClassesAtExit=${archive}`,
    ]);
  });

  it('stays off before Java 13, without a pid to record, or when switched off', async () => {
    expect(await classDataSharingFlags(version, 'topics', 11, 4246, {})).toEqual([]);
    expect(await classDataSharingFlags(version, 'topics', 17, null, {})).toEqual([]);
    expect(await classDataSharingFlags(version, 'topics', 17, 4246, { [CDS_ENV]: '0' })).toEqual([]);
    expect(existsSync(marker)).toBe(false);
  });
});
