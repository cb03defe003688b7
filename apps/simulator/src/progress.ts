import type { SimIo } from './io.js';

const REPORT_EVERY_MS = 1000;
const BYTES_PER_MB = 1e6;
const MS_PER_SECOND = 1000;
const CLEAR_LINE = '\r\x1b[K';

/**
 * Counts frames and bytes, reports progress on stderr (rewriting one line on
 * a terminal, one line per second otherwise), and prints a summary line at
 * the end. Reports are driven by tick(), not timers, because a busy write
 * loop may not give timers a chance to run.
 */
export class Progress {
  frames = 0;
  bytes = 0;
  private readonly started: number;
  private lastReport: number;

  constructor(
    private readonly io: SimIo,
    private readonly show: boolean,
    private readonly quiet: boolean,
    private readonly total: number | null,
  ) {
    this.started = io.monotonic();
    this.lastReport = this.started;
  }

  add(frames: number, bytes: number): void {
    this.frames += frames;
    this.bytes += bytes;
  }

  tick(): void {
    if (!this.show) return;
    const now = this.io.monotonic();
    if (now - this.lastReport < REPORT_EVERY_MS) return;
    this.lastReport = now;
    const line = this.line(now);
    this.io.stderr.write(this.io.stderrIsTTY ? `${CLEAR_LINE}${line}` : `${line}\n`);
  }

  private line(now: number): string {
    const seconds = (now - this.started) / MS_PER_SECOND;
    const mb = this.bytes / BYTES_PER_MB;
    const share = this.total === null || this.total === 0 ? '' : ` (${((100 * this.frames) / this.total).toFixed(1)}%)`;
    return (
      `uniqstream-sim: ${this.frames} frames${share}, ${mb.toFixed(1)} MB in ${seconds.toFixed(1)} ` +
      `s (${(mb / Math.max(seconds, 1e-9)).toFixed(1)} MB/s)`
    );
  }

  /** The summary line, unless quiet. */
  finish(target: string, note = ''): void {
    if (this.show && this.io.stderrIsTTY) this.io.stderr.write(CLEAR_LINE);
    if (this.quiet) return;
    this.io.stderr.write(`${this.line(this.io.monotonic())} to ${target}${note}\n`);
  }
}
