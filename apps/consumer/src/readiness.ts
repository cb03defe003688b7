import type { Readiness } from './http.js';

const MS_PER_SECOND = 1000;

/** What /readyz asks of a role. */
export interface RoleStatus {
  /** Null when the role does its job, else why not (standing by for another instance is one such reason). */
  notReady(): string | null;
  /** What it does, for the reasons of a ready instance. */
  describe(): string;
}

/** The merge role can also be broken, not only idle: then the instance is not ready even when it counts. */
export interface MergeStatus extends RoleStatus {
  /** Why results cannot be written now (its notReady() says the same), or null. */
  fault(): string | null;
}

export interface ReadinessInputs {
  readonly counting: RoleStatus | undefined;
  readonly merging: MergeStatus | undefined;
  /** The brokers the roles read from, named in the reason when they stop answering. */
  readonly brokers: readonly string[];
  /** How long the broker has left the roles' fetches unanswered (0 while it answers). */
  readonly fetchesUnansweredForMs: number;
}

/**
 * /readyz: ready when nothing is broken (the broker answers, results can
 * be written) and at least one role does its job (partitions held with
 * their state adopted, or the group's merge caught up), so an instance
 * whose merge stands by while it counts is ready. Broken things come first
 * in the reasons, then one line per role.
 */
export function readinessOf(inputs: ReadinessInputs): Readiness {
  const { counting, merging } = inputs;
  if (counting === undefined && merging === undefined)
    return { ready: false, reasons: ['starting: not connected to Kafka yet'] };
  const silent = inputs.fetchesUnansweredForMs;
  const kafka =
    silent > 0
      ? `kafka: no fetch answered by ${inputs.brokers.join(',')} for ${Math.round(silent / MS_PER_SECOND)} s`
      : undefined;
  const roles = [counting, merging].filter((r): r is RoleStatus => r !== undefined);
  const reasons = [kafka, ...roles.map((r) => r.notReady() ?? r.describe())].filter(
    (r): r is string => r !== undefined,
  );
  const broken = kafka !== undefined || (merging?.fault() ?? null) !== null;
  return { ready: !broken && roles.some((r) => r.notReady() === null), reasons };
}
