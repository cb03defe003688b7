/**
 * One line for a kafkajs error: its message and, when different, that of
 * its root cause (kafkajs wraps a refused connection in retry errors).
 */
export function describeKafkaError(error: unknown): string {
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

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return (end === -1 ? text : text.slice(0, end)).trim();
}
