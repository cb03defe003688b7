/**
 * Where the consumer service's first result of a window waits: in its
 * counting role, or in its merge. The service's partials topic says when
 * the merge could publish a window: every partial and progress record
 * carries its partition's watermark, and a window comes out once every
 * input partition's watermark has passed its end. Fed the topic's records
 * in offset order with their append times (the suite creates the topic
 * with LogAppendTime), this gives the moment the record that let the
 * window out was appended; the count role's part is from when the window
 * could be known to then, the merge's from then to the result readable.
 *
 * Records are read with core's snapshot container (their format), none of
 * the service's code.
 */
import { decodeSnapshot } from '@uniqstream/core';
import { topicReachedAt, WatermarkHistory } from './watermark-history.js';

const KEY_SEPARATOR = ':';

/** The input partition a partials-topic key names: its last field (`minute:1468244340:3`, `progress:3`). */
function partitionOf(key: string): number | undefined {
  const field = key.slice(key.lastIndexOf(KEY_SEPARATOR) + 1);
  return /^(0|[1-9][0-9]*)$/.test(field) ? Number(field) : undefined;
}

function watermarkOf(value: Uint8Array): number | undefined {
  let body: unknown;
  try {
    body = decodeSnapshot(value);
  } catch {
    return undefined;
  }
  const watermark = typeof body === 'object' && body !== null ? (body as { watermark?: unknown }).watermark : undefined;
  return typeof watermark === 'number' && Number.isFinite(watermark) ? watermark : undefined;
}

export class PartialsTimeline {
  /** Per input partition, its reported watermark over append time: a history with no max delay. */
  private readonly histories: WatermarkHistory[];

  constructor(partitions: number) {
    this.histories = Array.from({ length: partitions }, () => new WatermarkHistory(0));
  }

  /** One record of the partials topic, in offset order; tombstones and records without a watermark move nothing. */
  add(key: string | null, value: Uint8Array | null, appendedMs: number): void {
    if (key === null || value === null || value.length === 0) return;
    const partition = partitionOf(key);
    const history = partition === undefined ? undefined : this.histories[partition];
    const watermark = history === undefined ? undefined : watermarkOf(value);
    if (watermark !== undefined) history!.observe(watermark, appendedMs);
  }

  /** The append time of the record after which every partition had reported a watermark at `end` or past it;
   * undefined before. */
  reachedAt(end: number): number | undefined {
    // A partition that reported nothing holds every window back in the merge.
    if (this.histories.some((h) => !h.started)) return undefined;
    return topicReachedAt(this.histories, end);
  }
}

/** A window measured, with when it could be known and when its first result was readable (ms). */
export interface FirstResultMoment {
  readonly end: number;
  readonly knownMs: number;
  readonly readableMs: number;
}

/** Per window: could be known -> let out by the partials topic (count role), and from there -> readable (merge). */
export interface WaitSteps {
  readonly countMs: readonly number[];
  readonly mergeMs: readonly number[];
}

export function waitSteps(timeline: PartialsTimeline, windows: readonly FirstResultMoment[]): WaitSteps {
  const countMs: number[] = [];
  const mergeMs: number[] = [];
  for (const w of windows) {
    const letOut = timeline.reachedAt(w.end);
    if (letOut === undefined) continue;
    countMs.push(letOut - w.knownMs);
    mergeMs.push(w.readableMs - letOut);
  }
  return { countMs, mergeMs };
}
