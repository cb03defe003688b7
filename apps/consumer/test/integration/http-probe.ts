import { parsePrometheus, type Exposition } from '../prometheus-text.js';

export interface ReadyAnswer {
  readonly status: number;
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

/** One GET of /readyz. */
export async function readyz(base: string): Promise<ReadyAnswer> {
  const response = await fetch(`${base}/readyz`);
  const body = (await response.json()) as { ready: boolean; reasons: string[] };
  return { status: response.status, ...body };
}

/** One scrape of /metrics, parsed. */
export async function scrape(base: string): Promise<Exposition> {
  const response = await fetch(`${base}/metrics`);
  return parsePrometheus(await response.text());
}

/** Polls `probe` until `done` says yes, failing after `timeoutMs` with the last answer. */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (answer: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (done(last)) return last;
    if (performance.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms; last answer ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
