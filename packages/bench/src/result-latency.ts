/**
 * What one counter's results topic says about its windows, read by the
 * bench's own reader: when each window's first result and final result
 * became readable, held against the moment each could have been known
 * (from the input, see watermark-history.ts), and whether every final
 * result equals the reference count of the input.
 *
 * The first result is revision 0 when the counter publishes as soon as its
 * engine emits; a counter that publishes at intervals (the service, at its
 * checkpoints) may first publish a later revision, which already holds the
 * late frames that came in meanwhile: it is the window's first result all
 * the same.
 */
import type { WindowResult } from '@uniqstream/core';

/** A window's result as written to the results topic (the fields the bench relies on; the window's name as read). */
export type ResultValue = Pick<WindowResult, 'start' | 'end' | 'users' | 'frames' | 'revision' | 'final'> & {
  readonly window: string;
};

/** A result record as the bench's reader received it. */
export type ReceivedResult = ResultValue & {
  /** Wall time the reader got it (ms). */
  readonly receivedMs: number;
  /** The record's timestamp on the results topic (its append time there, ms). */
  readonly appendedMs: number;
};

/**
 * When a result counts as readable: `appended`, its append time on the
 * results topic, for results written outside transactions (on a
 * single-replica topic a read_committed reader may fetch them from then
 * on); `received`, when the bench's reader got it, for results written in
 * transactions, which are appended before their commit makes them readable.
 */
export type Readable = 'appended' | 'received';

/** Users and frames of a window, as the reference counts them. */
export interface WindowCounts {
  readonly users: number;
  readonly frames: number;
}

/** A window with the moments its results could have been known; undefined where the input never got there. */
export interface WindowMoments {
  readonly start: number;
  readonly end: number;
  /** The arrival of the frame that moved the watermark to `end` (ms). */
  readonly knownMs: number | undefined;
  /** The same for `end + allowed lateness`: when the final result could be known. */
  readonly finalKnownMs: number | undefined;
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;

/** A result record's value, read with JSON.parse; null when it is not a result (a tombstone, other JSON). */
export function parseResult(value: Uint8Array | null): ResultValue | null {
  if (value === null || value.length === 0) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { window, start, end, users, frames, revision, final } = parsed as Partial<Record<keyof ResultValue, unknown>>;
  if (typeof window !== 'string' || typeof final !== 'boolean') return null;
  if (!isCount(start) || !isCount(end) || !isCount(users) || !isCount(frames) || !isCount(revision)) return null;
  return { window, start, end, users, frames, revision, final };
}

/** Every result one counter wrote, kept per window start: the first result and the first final result received. */
export class ResultLog {
  private readonly firsts = new Map<number, ReceivedResult>();
  private readonly finals = new Map<number, ReceivedResult>();
  private readonly clashes: string[] = [];
  private count = 0;

  add(result: ReceivedResult): void {
    this.count++;
    if (!this.firsts.has(result.start)) this.firsts.set(result.start, result);
    if (!result.final) return;
    const seen = this.finals.get(result.start);
    if (seen === undefined) this.finals.set(result.start, result);
    // A final result written again (a replay) must say the same.
    else if (seen.users !== result.users || seen.frames !== result.frames) {
      this.clashes.push(`window ${result.start}: two final results, ${describe(seen)} and ${describe(result)}`);
    }
  }

  /** Records received. */
  get records(): number {
    return this.count;
  }

  /** The window's first result received, whatever its revision. */
  first(start: number): ReceivedResult | undefined {
    return this.firsts.get(start);
  }

  final(start: number): ReceivedResult | undefined {
    return this.finals.get(start);
  }

  /** True when every one of these windows has a final result. */
  hasFinals(starts: Iterable<number>): boolean {
    for (const start of starts) if (!this.finals.has(start)) return false;
    return true;
  }

  /** Final results that disagreed with an earlier final result of the same window. */
  get contradictions(): readonly string[] {
    return this.clashes;
  }
}

function describe(counts: WindowCounts): string {
  return `${counts.users} users in ${counts.frames} frames`;
}

export interface LatencyFigures {
  /** Per window with a known moment: its first result received - known (ms). */
  readonly firstResultMs: readonly number[];
  /** The revision of each of those first results. */
  readonly firstRevisions: readonly number[];
  /** Per window with a known final moment: the final result received - that moment (ms). */
  readonly finalMs: readonly number[];
  /** Per first result measured: received - appended to the results topic (ms), how long after its append the
   * reader had it. */
  readonly readerDelayMs: readonly number[];
  /** Windows whose final result was held against the reference. */
  readonly checked: number;
  /** What makes the results wrong or the figures doubtful, one line each. */
  readonly problems: readonly string[];
}

/**
 * Latencies of `log`'s results over `windows`, and its final results held
 * against `reference` for the windows in `finalStarts` (the ones the input
 * made final). A result readable before its window could be known is a
 * problem: either the bench's watermarks or the counter are wrong.
 */
export function measureLatency(
  log: ResultLog,
  windows: readonly WindowMoments[],
  reference: ReadonlyMap<number, WindowCounts>,
  finalStarts: readonly number[],
  readable: Readable,
): LatencyFigures {
  const at = (result: ReceivedResult): number => (readable === 'appended' ? result.appendedMs : result.receivedMs);
  const firstResultMs: number[] = [];
  const firstRevisions: number[] = [];
  const finalMs: number[] = [];
  const readerDelayMs: number[] = [];
  const problems: string[] = [...log.contradictions];
  for (const w of windows) {
    if (w.knownMs !== undefined) {
      const first = log.first(w.start);
      if (first === undefined) problems.push(`window ${w.start}: no result read`);
      else {
        const latency = at(first) - w.knownMs;
        if (latency < 0)
          problems.push(
            `window ${w.start}: first result readable ${-latency} ms before the frame that let it be known arrived`,
          );
        firstResultMs.push(latency);
        firstRevisions.push(first.revision);
        readerDelayMs.push(first.receivedMs - first.appendedMs);
      }
    }
    if (w.finalKnownMs !== undefined) {
      const final = log.final(w.start);
      // A missing final result is reported by the count check below.
      if (final !== undefined) {
        const latency = at(final) - w.finalKnownMs;
        if (latency < 0)
          problems.push(
            `window ${w.start}: final result readable ${-latency} ms before the frame that made it final arrived`,
          );
        finalMs.push(latency);
      }
    }
  }
  for (const start of finalStarts) {
    const final = log.final(start);
    const truth = reference.get(start) ?? { users: 0, frames: 0 };
    if (final === undefined) problems.push(`window ${start}: no final result read (reference: ${describe(truth)})`);
    else if (final.users !== truth.users || final.frames !== truth.frames)
      problems.push(`window ${start}: final result ${describe(final)}, reference ${describe(truth)}`);
  }
  return { firstResultMs, firstRevisions, finalMs, readerDelayMs, checked: finalStarts.length, problems };
}
