import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { escapePropertyValue, SCRAM_MECHANISMS, type ScramMechanism } from './config.js';
import { KafkaLocalError } from './errors.js';
import type { SecureLayout } from './paths.js';

/** The super user of the SASL_SSL listener, created when the storage is formatted. */
export const ADMIN_USER = 'admin';

/** 24 random bytes: 32 base64url characters, safe in a JAAS line and in kafka-storage's --add-scram. */
const PASSWORD_BYTES = 24;
const PRIVATE = 0o600;
const PRIVATE_DIR = 0o700;

/** Principal names that need no escaping anywhere (SCRAM escapes ',' and '='; ACLs put them after "User:"). */
const USER_NAME = /^[A-Za-z0-9._-]{1,64}$/;
/**
 * Printable ASCII without blanks, quotes, backslash, comma, brackets or '=':
 * kafka-configs reads a password inside `SCRAM-SHA-512=[password=...]`.
 */
const PASSWORD = /^[!#$%&()*+\-./0-9:;<>?@A-Z^_`a-z{|}~]{1,128}$/;

function isScramMechanism(name: string): name is ScramMechanism {
  return (SCRAM_MECHANISMS as readonly string[]).includes(name);
}

export function checkUserName(name: string): void {
  if (!USER_NAME.test(name)) {
    throw new KafkaLocalError(
      'BAD_USER',
      `"${name}" is not a user name kafka-local can create: use 1 to 64 of A-Z a-z 0-9 . _ -`,
    );
  }
}

/** The password itself never appears in the message. */
export function checkPassword(user: string, password: string): void {
  if (!PASSWORD.test(password)) {
    throw new KafkaLocalError(
      'BAD_USER',
      `the password for "${user}" must be 1 to 128 printable ASCII characters without blanks, quotes, ` +
        `backslash, comma, brackets or =`,
    );
  }
}

export function checkScramMechanism(mechanism: string): asserts mechanism is ScramMechanism {
  if (!isScramMechanism(mechanism)) {
    throw new KafkaLocalError(
      'BAD_USER',
      `"${mechanism}" is not a SCRAM mechanism: use ${SCRAM_MECHANISMS.join(' or ')}`,
    );
  }
}

/** `SCRAM-SHA-512=[password=...]`: a --add-config value of kafka-configs for one mechanism (one per request: Kafka
 * refuses two for one user). */
export function scramCredentialConfig(mechanism: ScramMechanism, password: string): string {
  return `${mechanism}=[password=${password}]`;
}

/** kafka-storage format arguments that write the admin's SCRAM credentials, for both mechanisms, into the new
 * metadata. */
export function addScramArgs(user: string, password: string): string[] {
  return SCRAM_MECHANISMS.flatMap((mechanism) => ['--add-scram', `${mechanism}=[name=${user},password=${password}]`]);
}

/** The admin's password from its file, made (random) and written with mode 0600 the first time. */
export async function ensureAdminPassword(layout: SecureLayout): Promise<string> {
  try {
    return await readPasswordFile(layout.adminPassword);
  } catch {
    await mkdir(layout.root, { recursive: true, mode: PRIVATE_DIR });
    const password = randomBytes(PASSWORD_BYTES).toString('base64url');
    await writeFile(layout.adminPassword, `${password}\n`, { mode: PRIVATE });
    return password;
  }
}

/** A password file's first line. */
export async function readPasswordFile(file: string): Promise<string> {
  const password = (await readFile(file, 'utf8')).split('\n')[0] ?? '';
  if (password === '') throw new KafkaLocalError('BAD_USER', `${file} holds no password`);
  return password;
}

/**
 * What the stamp file records: the storage (cluster id) the admin's SCRAM
 * credentials were written into, and a digest of the password they were made
 * from. A mismatch (storage formatted by an older kafka-local, or a deleted
 * password file) means they must be written again.
 */
function adminStamp(clusterId: string, password: string): string {
  return `${JSON.stringify({ clusterId, password: createHash('sha256').update(password).digest('hex') })}\n`;
}

export async function adminStampMatches(layout: SecureLayout, clusterId: string, password: string): Promise<boolean> {
  try {
    return (await readFile(layout.adminStamp, 'utf8')) === adminStamp(clusterId, password);
  } catch {
    return false;
  }
}

export async function writeAdminStamp(layout: SecureLayout, clusterId: string, password: string): Promise<void> {
  await writeFile(layout.adminStamp, adminStamp(clusterId, password), { mode: PRIVATE });
}

/** The cluster id in a formatted storage's meta.properties. */
export async function readClusterId(metaProperties: string): Promise<string> {
  const match = /^cluster\.id=(.+)$/m.exec(await readFile(metaProperties, 'utf8'));
  if (match?.[1] === undefined) throw new Error(`${metaProperties} names no cluster.id`);
  return match[1].trim();
}

export interface ClientConfigInput {
  readonly user: string;
  readonly password: string;
  readonly mechanism: ScramMechanism;
  readonly caFile: string;
}

/** A client.properties for Kafka's tools (`--command-config`) on the SASL_SSL listener. */
export function renderClientConfig(input: ClientConfigInput): string {
  const entries: Array<[string, string]> = [
    ['security.protocol', 'SASL_SSL'],
    ['sasl.mechanism', input.mechanism],
    [
      'sasl.jaas.config',
      `org.apache.kafka.common.security.scram.ScramLoginModule required username="${input.user}" ` +
        `password="${input.password}";`,
    ],
    ['ssl.truststore.type', 'PEM'],
    ['ssl.truststore.location', input.caFile],
  ];
  return `${entries.map(([key, value]) => `${key}=${escapePropertyValue(value)}`).join('\n')}\n`;
}

export async function writeAdminClientConfig(layout: SecureLayout, password: string): Promise<void> {
  const text = renderClientConfig({
    user: ADMIN_USER,
    password,
    mechanism: 'SCRAM-SHA-512',
    caFile: layout.caCertificate,
  });
  await writeFile(layout.adminClientConfig, text, { mode: PRIVATE });
}
