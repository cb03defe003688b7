import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ScramMechanism } from './config.js';
import { scramCredentialConfig } from './credentials.js';
import { KafkaLocalError } from './errors.js';
import { PACKAGE_DIR } from './paths.js';
import { VERSION_ENV, type KafkaTool } from './version.js';

/** A tool that has not answered by then is stuck (a broker that went away mid-request). */
const TOOL_TIMEOUT_MS = 120_000;
/** Last lines of a tool's output worth showing when it fails. */
const OUTPUT_TAIL_LINES = 2;

/** Where and as whom kafka-configs talks to the broker. */
export interface ToolTarget {
  /** Kafka version of the tool, the broker's. */
  readonly version: string;
  readonly bootstrap: string;
  /** `--command-config`: client settings (the admin's SASL_SSL login); none on the plaintext listener. */
  readonly commandConfig?: string;
}

/**
 * SCRAM credentials are written with Kafka's own kafka-configs
 * (AlterUserScramCredentials): kafkajs 2.2.4 does not implement the request.
 * Kafka takes one mechanism per user and request.
 */
export async function setScramCredential(
  target: ToolTarget,
  user: string,
  mechanism: ScramMechanism,
  password: string,
): Promise<void> {
  await configureUser(target, user, ['--add-config', scramCredentialConfig(mechanism, password)], password);
}

export async function deleteScramCredential(
  target: ToolTarget,
  user: string,
  mechanism: ScramMechanism,
): Promise<void> {
  await configureUser(target, user, ['--delete-config', mechanism], null);
}

async function configureUser(
  target: ToolTarget,
  user: string,
  change: readonly string[],
  secret: string | null,
): Promise<void> {
  const args = [
    '--bootstrap-server',
    target.bootstrap,
    ...(target.commandConfig === undefined ? [] : ['--command-config', target.commandConfig]),
    '--alter',
    ...change,
    '--entity-type',
    'users',
    '--entity-name',
    user,
  ];
  const { code, output } = await runKafkaTool(target.version, 'configs', args);
  if (code !== 0) {
    // The tool repeats its arguments when it fails, password and all.
    const tail = output.trim().split('\n').slice(-OUTPUT_TAIL_LINES).join(' | ');
    const shown = secret === null ? tail : tail.replaceAll(secret, '<password>');
    throw new KafkaLocalError('USER_FAILED', `kafka-configs could not change user "${user}" (exit ${code}): ${shown}`);
  }
}

/**
 * Runs a wrapped Kafka tool through bin/kafka-run-tool, as a person would
 * (same JVM flags, same class-data archive), and collects what it printed.
 */
function runKafkaTool(
  version: string,
  tool: KafkaTool,
  args: readonly string[],
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [join(PACKAGE_DIR, 'bin', 'kafka-run-tool'), tool, ...args], {
      env: { ...process.env, [VERSION_ENV]: version },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: TOOL_TIMEOUT_MS,
    });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    child.once('error', reject);
    child.once('close', (exitCode) => resolve({ code: exitCode, output: text }));
  });
}
