import * as kafkaLocal from '@uniqstream/kafka-local';

/*
 * The SASL_SSL listener of @uniqstream/kafka-local's test broker, and its
 * SecureAdmin (SCRAM users, ACLs), as the secured-broker work of issue 14
 * gives them: testSecureListener() (from $UNIQSTREAM_KAFKA_SECURE_LISTENER,
 * which integrationTestConfig({ secure: true }) sets) and new
 * SecureAdmin(listener) with createUser, grant and close. They are looked
 * up when the suite runs, typed here with the little the suite uses, so
 * that it compiles before that API is there and is skipped while it is not
 * or while the broker runs without the listener. Once it is in, import
 * them directly.
 */

type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface SecureListener {
  /** host:port of the SASL_SSL listener. */
  readonly bootstrap: string;
  /** The CA certificate (PEM file) the broker's certificate chains to. */
  readonly caFile: string;
}

export interface Login {
  readonly user: string;
  readonly password: string;
  readonly mechanism: ScramMechanism | 'PLAIN';
}

interface AclRule {
  readonly resource: 'topic' | 'group';
  readonly name: string;
  readonly operations: readonly ('read' | 'describe' | 'write')[];
}

export interface SecureAdmin {
  createUser(user: string, password: string, mechanism?: ScramMechanism): Promise<Login>;
  grant(user: string, rules: readonly AclRule[]): Promise<void>;
  close(): Promise<void>;
}

interface SecureBrokerApi {
  testSecureListener(): SecureListener;
  readonly SecureAdmin: new (listener: SecureListener) => SecureAdmin;
}

/** The secured test broker's listener and an admin for it, or why there is none (then the suite is skipped). */
export function secureTestBroker(): { readonly listener: SecureListener; readonly admin: SecureAdmin } | string {
  const api = kafkaLocal as unknown as Partial<SecureBrokerApi>;
  if (api.testSecureListener === undefined || api.SecureAdmin === undefined)
    return '@uniqstream/kafka-local has no secured broker API (testSecureListener, SecureAdmin) yet';
  let listener: SecureListener;
  try {
    listener = api.testSecureListener();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return { listener, admin: new api.SecureAdmin(listener) };
}
