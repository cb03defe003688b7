/**
 * When a window's result could be known, worked out from the input alone
 * (the README's rules in "When results come out", none of the counter's
 * code): a partition's watermark is the highest ts it has delivered minus
 * the max delay, and the watermark of a topic is the minimum over its
 * partitions that have had frames. A window [start, end) can be emitted
 * once that watermark reaches `end`, and is final once it reaches
 * `end + allowed lateness`; the moment is the arrival of the frame that
 * moved the last partition there.
 */

/** One partition's watermark over time, fed its frames in offset order. */
export class WatermarkHistory {
  /** The watermark after each rise, increasing. */
  private readonly levels: number[] = [];
  /** When each rise happened: the arrival of the frame that made it (ms). */
  private readonly moments: number[] = [];
  private highest = Number.NEGATIVE_INFINITY;

  constructor(private readonly maxDelaySeconds: number) {}

  /** A frame that counts, with its ts (unix seconds) and arrival (ms); frames that do not count move nothing. */
  observe(ts: number, arrivedMs: number): void {
    if (ts <= this.highest) return;
    this.highest = ts;
    this.levels.push(ts - this.maxDelaySeconds);
    this.moments.push(arrivedMs);
  }

  /** True once a frame that counts was observed. */
  get started(): boolean {
    return this.levels.length > 0;
  }

  /**
   * When the watermark first stood at `level` or above (ms); undefined
   * if it never did. A level the first frame already passed gives that
   * frame's arrival.
   */
  reachedAt(level: number): number | undefined {
    const levels = this.levels;
    let low = 0;
    let high = levels.length;
    // First rise whose level is >= `level`: levels only grow, so a binary search.
    while (low < high) {
      const mid = (low + high) >> 1;
      if (levels[mid]! >= level) high = mid;
      else low = mid + 1;
    }
    return low < levels.length ? this.moments[low] : undefined;
  }
}

/**
 * When the watermark of the whole topic (the minimum over the partitions
 * that have had frames) first stood at `level` or above: the latest of the
 * partitions' moments. Undefined while one of them has not got there, or
 * when no partition has had a frame.
 */
export function topicReachedAt(partitions: Iterable<WatermarkHistory>, level: number): number | undefined {
  let latest: number | undefined;
  for (const history of partitions) {
    if (!history.started) continue;
    const at = history.reachedAt(level);
    if (at === undefined) return undefined;
    if (latest === undefined || at > latest) latest = at;
  }
  return latest;
}
