import { securityFailureOf } from './security-errors.js';

/**
 * One line for a kafkajs error: its message and, when different, that of
 * its root cause (kafkajs wraps a refused connection in retry errors); for
 * a secured connection that cannot work as set up, securityFailureOf's line.
 */
export function describeKafkaError(error: unknown): string {
  // A secured connection failing for good: one line that says which way, and what to change.
  const security = securityFailureOf(error);
  if (security !== undefined) return firstLine(security.message);
  const top = messageOf(error);
  let root: unknown = error;
  const seen = new Set<unknown>();
  while (root instanceof Error && root.cause !== undefined && !seen.has(root.cause)) {
    seen.add(root.cause);
    root = root.cause;
  }
  const deepest = messageOf(root);
  return firstLine(deepest !== '' && !top.includes(deepest) ? `${top}: ${deepest}` : top);
}

/**
 * True for the heartbeat answer that means "the group is rebalancing, rejoin":
 * the member still holds its partitions, and the group waits for it.
 */
export function isRebalanceInProgress(error: unknown): boolean {
  return (error as { type?: unknown } | null)?.type === 'REBALANCE_IN_PROGRESS';
}

/** kafkajs errors that mean no broker answered: refused, closed or timed-out connections, no metadata. */
const BROKER_AWAY_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  // A request still waiting for a broker that went away holds the broker's lock.
  'KafkaJSLockTimeout',
]);
/** Broker answers that mean it is (re)starting: its partitions have no leader or replicas yet. */
const BROKER_STARTING_ANSWERS = new Set([
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
]);

/**
 * True when `error`, or an error it wraps, says the broker is away or
 * still starting (what waiting can fix), as opposed to Kafka refusing the
 * request (a record too large, a topic that does not exist).
 */
export function isBrokerAway(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e: unknown = error; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    if (BROKER_AWAY_ERRORS.has(e.name)) return true;
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && BROKER_STARTING_ANSWERS.has(type)) return true;
  }
  return false;
}

/** Chains longer than this are not followed (a cause that refers back to itself). */
const MAX_CAUSES = 8;

/** The broker's answers for a request an ACL does not allow. */
export const AUTHORIZATION_FAILURES = [
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
] as const;
export type AuthorizationFailure = (typeof AUTHORIZATION_FAILURES)[number];

/**
 * Which authorization answer `error` carries, also inside kafkajs's
 * wrappers (retries given up, a topic creation's aggregate of errors);
 * undefined for any other error.
 */
export function authorizationFailureOf(error: unknown): AuthorizationFailure | undefined {
  const pending: unknown[] = [error];
  for (let seen = 0; pending.length > 0 && seen < MAX_CAUSES * 2; seen++) {
    const current = pending.shift();
    if (typeof current !== 'object' || current === null) continue;
    const record = current as { type?: unknown; errors?: unknown; originalError?: unknown; cause?: unknown };
    const found = AUTHORIZATION_FAILURES.find((type) => type === record.type);
    if (found !== undefined) return found;
    if (Array.isArray(record.errors)) pending.push(...(record.errors as unknown[]));
    pending.push(record.originalError, record.cause);
  }
  return undefined;
}

/**
 * A failure the broker may not give again in a moment: kafkajs marks its
 * retriable answers (a leader being elected, a topic another client has just
 * created and this broker does not know yet, a coordinator loading), also
 * inside the error it gives up with after its own retries. Wider than
 * isBrokerAway: "unknown topic" counts, which is right while a topic is being
 * created, and wrong for a topic that should already exist.
 */
export function isTransient(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSES && typeof current === 'object' && current !== null; depth++) {
    const record = current as { retriable?: unknown; originalError?: unknown; cause?: unknown };
    if (record.retriable === true) return true;
    current = record.originalError ?? record.cause;
  }
  return false;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return (end === -1 ? text : text.slice(0, end)).trim();
}
