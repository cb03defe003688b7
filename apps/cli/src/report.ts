import type { PipelineProgress, PipelineSummary } from '@uniqstream/core';

/** Progress and summary lines for people, on stderr. */

const MS_PER_SECOND = 1000;
const BYTES_PER_MB = 1e6;

function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** The noun for `n` of it: `1 frame`, `2 frames`, `0 frames`. */
function noun(n: number, singular: string, plural = `${singular}s`): string {
  return Math.round(n) === 1 ? singular : plural;
}

function compact(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

function formatWatermark(watermark: number): string {
  if (!Number.isFinite(watermark)) return '-';
  return new Date(watermark * MS_PER_SECOND).toISOString().replace('.000Z', 'Z');
}

/** One line, rewritten in place on a terminal. */
export function progressLine(progress: PipelineProgress, totalBytes?: number, bytesRead?: number): string {
  const seconds = Math.max(progress.elapsedMs / MS_PER_SECOND, 1e-3);
  const parts = [
    `${compact(progress.frames)} ${noun(progress.frames, 'frame')}`,
    `${compact(progress.frames / seconds)} frames/s`,
    `${(progress.bytes / BYTES_PER_MB / seconds).toFixed(0)} MB/s`,
    `watermark ${formatWatermark(progress.watermark)}`,
    `open windows ${progress.openWindows}`,
  ];
  if (totalBytes !== undefined && bytesRead !== undefined && totalBytes > 0) {
    parts.unshift(`${Math.min(100, (100 * bytesRead) / totalBytes).toFixed(0)}%`);
  }
  return parts.join('  ');
}

/** The summary at the end of a run. */
export function summaryLines(summary: PipelineSummary): string[] {
  const seconds = Math.max(summary.elapsedMs / MS_PER_SECOND, 1e-3);
  const stats = summary.stats;
  const malformed = [...stats.malformed.entries()].sort((a, b) => b[1] - a[1]);
  const lines = [
    `read ${formatCount(summary.frames)} ${noun(summary.frames, 'frame')} ` +
      `(${formatBytes(summary.bytes)}) in ${seconds.toFixed(2)} s: ${formatCount(summary.frames / seconds)} ` +
      `frames/s, ${(summary.bytes / BYTES_PER_MB / seconds).toFixed(0)} MB/s`,
    `counted ${formatCount(stats.counted)}, late ${formatCount(stats.late)} (of which dropped ` +
      `${formatCount(stats.lateDropped)}), corrupt ts ${formatCount(stats.corruptTs)}, ` +
      `malformed ${formatCount(stats.malformedTotal)}` +
      (malformed.length > 0 ? ` (${malformed.map(([kind, n]) => `${kind} ${formatCount(n)}`).join(', ')})` : ''),
    `results ${formatCount(stats.resultsEmitted)}, watermark ${formatWatermark(summary.watermark)}` +
      (summary.stopReason === 'end-of-input' ? '' : `, stopped: ${summary.stopReason}`),
  ];
  return lines;
}

/**
 * A warning when input was read but not one frame of it was valid: most
 * likely it is not JSON lines at all (binary, pretty-printed JSON, a
 * compressed format other than gzip). Undefined otherwise.
 */
export function noValidFrameLine(summary: PipelineSummary): string | undefined {
  const stats = summary.stats;
  const valid = stats.counted + stats.lateDropped + stats.corruptTs;
  if (summary.frames === 0 || valid > 0 || stats.malformedTotal < summary.frames) return undefined;
  return (
    `warning: no valid frame in ${formatCount(summary.bytes)} ${noun(summary.bytes, 'byte')}: is ` +
    `this JSON lines (one object per line, with "uid" and "ts")?`
  );
}
