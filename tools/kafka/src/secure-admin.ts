import kafkajs, { type AclEntry, type AclFilter, type Admin } from 'kafkajs';
import { ensureClientCertificate, type CertificateFiles } from './certificates.js';
import type { ScramMechanism } from './config.js';
import { checkPassword, checkScramMechanism, checkUserName, readPasswordFile } from './credentials.js';
import { KafkaLocalError } from './errors.js';
import { secureLayout } from './paths.js';
import { deleteScramCredential, setScramCredential, type ToolTarget } from './scram-users.js';
import { secureKafkaConfig, type Login, type SecureListener } from './secure-listener.js';

export type AclResource = 'topic' | 'group' | 'transactional-id' | 'cluster';
export type AclOperation =
  | 'all'
  | 'read'
  | 'write'
  | 'create'
  | 'delete'
  | 'alter'
  | 'describe'
  | 'cluster-action'
  | 'describe-configs'
  | 'alter-configs'
  | 'idempotent-write';
export type AclPatternType = 'literal' | 'prefixed';
export type AclPermission = 'allow' | 'deny';

/**
 * Operations on one resource, for one user, from any host:
 *
 *   { resource: 'topic', name: 'input', operations: ['read', 'describe'] }
 *   { resource: 'group', name: 'uniqstream', operations: ['read'] }
 *   { resource: 'transactional-id', name: 'uniqstream-', pattern: 'prefixed', operations: ['write', 'describe'] }
 *   { resource: 'cluster', operations: ['idempotent-write'] }
 */
export interface AclRule {
  readonly resource: AclResource;
  /** The topic, group or transactional id ('*': every one); none for 'cluster'. */
  readonly name?: string;
  /** 'prefixed': every name that starts with `name`. Default 'literal'. */
  readonly pattern?: AclPatternType;
  readonly operations: readonly AclOperation[];
  /** Default 'allow'; a 'deny' wins over any allow. */
  readonly permission?: AclPermission;
}

/** One ACL as the broker holds it: one operation each. */
export interface AclBinding {
  readonly resource: AclResource;
  readonly name: string;
  readonly pattern: AclPatternType;
  readonly operation: AclOperation;
  readonly permission: AclPermission;
}

export interface SecureAdminOptions {
  /** Leave the ACLs it granted in place at close(), for a look after a failure. */
  readonly keep?: boolean;
}

/** The cluster resource's one name. */
const CLUSTER_NAME = 'kafka-cluster';
/** How long a change may take to reach the broker's authorizer or credential cache. */
const APPLY_TIMEOUT_MS = 30_000;
const POLL_MS = 100;

/*
 * kafkajs's enums (Kafka's own codes) are not named exports Node's ESM loader
 * sees in kafkajs's CommonJS build, so they are read from its default export.
 */
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } = kafkajs;

const RESOURCE_CODES: Readonly<Record<AclResource, kafkajs.AclResourceTypes>> = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  cluster: AclResourceTypes.CLUSTER,
  'transactional-id': AclResourceTypes.TRANSACTIONAL_ID,
};
const PATTERN_CODES: Readonly<Record<AclPatternType, kafkajs.ResourcePatternTypes>> = {
  literal: ResourcePatternTypes.LITERAL,
  prefixed: ResourcePatternTypes.PREFIXED,
};
const OPERATION_CODES: Readonly<Record<AclOperation, kafkajs.AclOperationTypes>> = {
  all: AclOperationTypes.ALL,
  read: AclOperationTypes.READ,
  write: AclOperationTypes.WRITE,
  create: AclOperationTypes.CREATE,
  delete: AclOperationTypes.DELETE,
  alter: AclOperationTypes.ALTER,
  describe: AclOperationTypes.DESCRIBE,
  'cluster-action': AclOperationTypes.CLUSTER_ACTION,
  'describe-configs': AclOperationTypes.DESCRIBE_CONFIGS,
  'alter-configs': AclOperationTypes.ALTER_CONFIGS,
  'idempotent-write': AclOperationTypes.IDEMPOTENT_WRITE,
};
const PERMISSION_CODES: Readonly<Record<AclPermission, kafkajs.AclPermissionTypes>> = {
  deny: AclPermissionTypes.DENY,
  allow: AclPermissionTypes.ALLOW,
};

/** The operations that mean something on each resource (Kafka's documentation, "Operations and Resources on
 * Protocols"). */
const OPERATIONS_OF: Readonly<Record<AclResource, readonly AclOperation[]>> = {
  topic: ['all', 'read', 'write', 'create', 'delete', 'alter', 'describe', 'describe-configs', 'alter-configs'],
  group: ['all', 'read', 'describe', 'delete'],
  'transactional-id': ['all', 'write', 'describe'],
  cluster: [
    'all',
    'create',
    'alter',
    'describe',
    'cluster-action',
    'describe-configs',
    'alter-configs',
    'idempotent-write',
  ],
};

/**
 * Creates users and grants them ACLs on a secured kafka-local broker, as its
 * admin: SCRAM users through Kafka's kafka-configs (a JVM start each, about
 * a second or two), ACLs through kafkajs over SASL_SSL. Every change is
 * waited for until the broker applies it. close() revokes the ACLs it
 * granted; users stay (a user without ACLs can do nothing).
 *
 *   const admin = new SecureAdmin(testSecureListener());
 *   const login = await admin.createUser('cli', 'cli-secret', 'SCRAM-SHA-512');
 *   await admin.grant('cli', [{ resource: 'topic', name: input, operations: ['read', 'describe'] }]);
 *   ... new Kafka({ clientId: 'x', ...secureKafkaConfig(admin.listener, login) }) ...
 *   await admin.close();
 */
export class SecureAdmin {
  private adminClient: Admin | undefined;
  private password: string | undefined;
  private readonly granted = new Map<string, { user: string; entry: AclEntry }>();
  /** Passwords of the users it created, by user and mechanism: deleteUser waits until they stop working. */
  private readonly created = new Map<string, string>();
  private readonly keep: boolean;

  constructor(
    readonly listener: SecureListener,
    options: SecureAdminOptions = {},
  ) {
    this.keep = options.keep ?? false;
  }

  /** The admin's login (SCRAM-SHA-512 unless another mechanism is asked for), password read from its file. */
  async adminLogin(mechanism: Login['mechanism'] = 'SCRAM-SHA-512'): Promise<Login> {
    this.password ??= await readPasswordFile(this.listener.adminPasswordFile);
    return { user: this.listener.adminUser, password: this.password, mechanism };
  }

  /**
   * Creates the user (or sets a new password) under one SCRAM mechanism, and
   * waits until they can log in. Call again for the other mechanism.
   */
  async createUser(user: string, password: string, mechanism: ScramMechanism = 'SCRAM-SHA-512'): Promise<Login> {
    checkUserName(user);
    checkPassword(user, password);
    checkScramMechanism(mechanism);
    await setScramCredential(this.toolTarget(), user, mechanism, password);
    const login = { user, password, mechanism };
    await this.until(
      `user "${user}" can log in with ${mechanism}`,
      async () => (await this.loginProblem(login)) === null,
      'USER_FAILED',
    );
    this.created.set(`${user} ${mechanism}`, password);
    return login;
  }

  /**
   * Removes the user's credential for the mechanism; for a user this admin
   * created, waits until their password no longer logs in.
   */
  async deleteUser(user: string, mechanism: ScramMechanism = 'SCRAM-SHA-512'): Promise<void> {
    checkUserName(user);
    checkScramMechanism(mechanism);
    await deleteScramCredential(this.toolTarget(), user, mechanism);
    const password = this.created.get(`${user} ${mechanism}`);
    this.created.delete(`${user} ${mechanism}`);
    if (password === undefined) return;
    const login = { user, password, mechanism };
    await this.until(
      `user "${user}" can no longer log in with ${mechanism}`,
      async () => (await this.loginProblem(login)) !== null,
      'USER_FAILED',
    );
  }

  /** Allows (or denies) `user` the operations of each rule, and waits until the broker enforces them. */
  async grant(user: string, rules: readonly AclRule[]): Promise<void> {
    checkUserName(user);
    const entries = rules.flatMap((rule) => aclEntries(user, rule));
    const admin = await this.admin();
    try {
      await admin.createAcls({ acl: entries });
    } catch (error) {
      throw new KafkaLocalError('ACL_FAILED', `the broker refused ACLs for "${user}": ${messageOf(error)}`, {
        cause: error,
      });
    }
    for (const entry of entries) this.granted.set(aclKey(entry), { user, entry });
    await this.until(`the ACLs granted to "${user}" are in force`, async () => {
      const held = new Set((await this.describe(user)).map(aclKey));
      return entries.every((entry) => held.has(aclKey(entry)));
    });
  }

  /** Removes exactly these ACLs (as granted: same rules) and waits until the broker no longer holds them. */
  async revoke(user: string, rules: readonly AclRule[]): Promise<void> {
    checkUserName(user);
    await this.remove(
      user,
      rules.flatMap((rule) => aclEntries(user, rule)),
    );
  }

  /** Every ACL the broker holds for `user`. */
  async acls(user: string): Promise<AclBinding[]> {
    checkUserName(user);
    return (await this.describe(user)).map(bindingOf);
  }

  /**
   * A certificate and key (PEM files) for CN=<name>, signed by the broker's CA,
   * for clients that show one (mutual TLS); made once, then reused. Logins
   * still go through SASL: the certificate only has to be trusted.
   */
  async clientCertificate(name: string): Promise<CertificateFiles> {
    checkUserName(name);
    return ensureClientCertificate(secureLayout(this.listener.dir), name);
  }

  /** Revokes the ACLs it granted (unless `keep`) and disconnects. */
  async close(): Promise<void> {
    try {
      if (!this.keep && this.granted.size > 0) {
        const byUser = new Map<string, AclEntry[]>();
        for (const { user, entry } of this.granted.values()) byUser.set(user, [...(byUser.get(user) ?? []), entry]);
        for (const [user, entries] of byUser) await this.remove(user, entries);
      }
    } finally {
      await this.adminClient?.disconnect().catch(() => undefined);
      this.adminClient = undefined;
    }
  }

  private async remove(user: string, entries: readonly AclEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const admin = await this.admin();
    try {
      await admin.deleteAcls({ filters: entries.map((entry): AclFilter => ({ ...entry })) });
    } catch (error) {
      throw new KafkaLocalError('ACL_FAILED', `the broker refused to delete ACLs of "${user}": ${messageOf(error)}`, {
        cause: error,
      });
    }
    for (const entry of entries) this.granted.delete(aclKey(entry));
    const removed = new Set(entries.map(aclKey));
    await this.until(
      `the ACLs revoked from "${user}" are gone`,
      async () => !(await this.describe(user)).some((entry) => removed.has(aclKey(entry))),
    );
  }

  private async describe(user: string): Promise<AclEntry[]> {
    const admin = await this.admin();
    const answer = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      principal: principalOf(user),
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    return answer.resources.flatMap((resource) =>
      resource.acls.map((acl) => ({
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
        resourcePatternType: resource.resourcePatternType,
        ...acl,
      })),
    );
  }

  /** kafka-configs as the admin over SASL_SSL (the settings file names the password; the command line does not). */
  private toolTarget(): ToolTarget {
    return {
      version: this.listener.version,
      bootstrap: this.listener.bootstrap,
      commandConfig: this.listener.adminClientConfig,
    };
  }

  /** Null when `login` gets an answer from the listener, else the kafkajs error's message. */
  private async loginProblem(login: Login): Promise<string | null> {
    const { secureListenerProblem } = await import('./probe.js');
    return secureListenerProblem(secureKafkaConfig(this.listener, login));
  }

  private async admin(): Promise<Admin> {
    if (this.adminClient === undefined) {
      const kafka = new Kafka({
        clientId: 'kafka-local-secure-admin',
        logLevel: logLevel.NOTHING,
        ...secureKafkaConfig(this.listener, await this.adminLogin()),
      });
      const client = kafka.admin();
      await client.connect();
      this.adminClient = client;
    }
    return this.adminClient;
  }

  private async until(
    what: string,
    check: () => Promise<boolean>,
    code: 'ACL_FAILED' | 'USER_FAILED' = 'ACL_FAILED',
  ): Promise<void> {
    const deadline = Date.now() + APPLY_TIMEOUT_MS;
    while (!(await check())) {
      if (Date.now() >= deadline) throw new KafkaLocalError(code, `${what}: not within ${APPLY_TIMEOUT_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}

function principalOf(user: string): string {
  return `User:${user}`;
}

/** The kafkajs ACL entries of one rule: one per operation. */
export function aclEntries(user: string, rule: AclRule): AclEntry[] {
  const allowed = OPERATIONS_OF[rule.resource];
  if (allowed === undefined)
    throw new KafkaLocalError(
      'BAD_ACL',
      `"${String(rule.resource)}" is not a resource: use ${Object.keys(OPERATIONS_OF).join(', ')}`,
    );
  if (rule.operations.length === 0)
    throw new KafkaLocalError('BAD_ACL', `an ACL on ${rule.resource} ${rule.name ?? ''} names no operation`);
  for (const operation of rule.operations) {
    if (!allowed.includes(operation)) {
      throw new KafkaLocalError(
        'BAD_ACL',
        `"${operation}" is not an operation on a ${rule.resource}: use ${allowed.join(', ')}`,
      );
    }
  }
  let name: string;
  if (rule.resource === 'cluster') {
    if ((rule.name !== undefined && rule.name !== CLUSTER_NAME) || (rule.pattern ?? 'literal') !== 'literal') {
      throw new KafkaLocalError('BAD_ACL', `the cluster ACL takes no name (it is "${CLUSTER_NAME}") and no prefix`);
    }
    name = CLUSTER_NAME;
  } else {
    if (rule.name === undefined || rule.name === '')
      throw new KafkaLocalError('BAD_ACL', `an ACL on a ${rule.resource} needs its name ('*' for all)`);
    name = rule.name;
  }
  return rule.operations.map((operation) => ({
    resourceType: RESOURCE_CODES[rule.resource],
    resourceName: name,
    resourcePatternType: PATTERN_CODES[rule.pattern ?? 'literal'],
    principal: principalOf(user),
    host: '*',
    operation: OPERATION_CODES[operation],
    permissionType: PERMISSION_CODES[rule.permission ?? 'allow'],
  }));
}

function aclKey(entry: AclEntry): string {
  return [
    entry.principal,
    entry.host,
    entry.resourceType,
    entry.resourceName,
    entry.resourcePatternType,
    entry.operation,
    entry.permissionType,
  ].join('\u0000');
}

function nameOfCode<K extends string>(codes: Readonly<Record<K, number>>, code: number): K {
  const found = (Object.keys(codes) as K[]).find((key) => codes[key] === code);
  if (found === undefined)
    throw new KafkaLocalError('ACL_FAILED', `the broker answered with an unknown ACL code ${code}`);
  return found;
}

function bindingOf(entry: AclEntry): AclBinding {
  return {
    resource: nameOfCode(RESOURCE_CODES, entry.resourceType),
    name: entry.resourceName,
    pattern: nameOfCode(PATTERN_CODES, entry.resourcePatternType),
    operation: nameOfCode(OPERATION_CODES, entry.operation),
    permission: nameOfCode(PERMISSION_CODES, entry.permissionType),
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
