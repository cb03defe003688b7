import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { newClusterId, loggingConfigFlag } from './config.js';
import { addScramArgs } from './credentials.js';
import { KafkaLocalError } from './errors.js';
import { TOOL_JVM_OPTIONS } from './java.js';
import type { DataLayout, JarLayout } from './paths.js';
import { mainClass, type KafkaVersion } from './version.js';

/** Last lines of the format tool's output worth showing when it fails. */
const OUTPUT_TAIL_LINES = 2;

/**
 * Formats the KRaft storage of a data directory once, with a fresh cluster id,
 * the static controller quorum from server.properties and the admin's SCRAM
 * credentials (whether or not this start is --secure, so that a later secure
 * start finds them). Returns the new cluster id, or null when it was already
 * formatted.
 */
export async function formatStorage(
  version: KafkaVersion,
  java: string,
  classPath: string,
  jars: JarLayout,
  data: DataLayout,
  admin: { readonly user: string; readonly password: string },
): Promise<string | null> {
  if (existsSync(data.metaProperties)) return null;
  const clusterId = newClusterId((size) => randomBytes(size));
  const args = [
    ...TOOL_JVM_OPTIONS,
    loggingConfigFlag(version, jars.toolsLogging),
    mainClass(version, 'storage'),
    'format',
    '--cluster-id',
    clusterId,
    '--config',
    data.serverProperties,
    '--ignore-formatted',
    // The password is on this JVM's command line for the second or two it runs: a throwaway local broker's.
    ...addScramArgs(admin.user, admin.password),
  ];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(java, args, {
      env: { ...process.env, CLASSPATH: classPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    child.once('error', reject);
    child.once('close', (exitCode) => resolve({ code: exitCode, output: text }));
  });
  if (code !== 0 || !existsSync(data.metaProperties)) {
    // A complaint about an argument may quote it, password and all.
    const tail = output
      .trim()
      .split('\n')
      .slice(-OUTPUT_TAIL_LINES)
      .join(' | ')
      .replaceAll(admin.password, '<password>');
    throw new KafkaLocalError('FORMAT_FAILED', `formatting ${data.kraftDir} failed (exit ${code}): ${tail}`);
  }
  return clusterId;
}
