import { EngineStats } from '@uniqstream/core';
import { describe, expect, it } from 'vitest';
import { ServiceMetrics } from '../src/metrics.js';

function stats(values: { late?: number; lateDropped?: number; corruptTs?: number; malformed?: Record<string, number> }): EngineStats {
  const s = new EngineStats();
  s.late = values.late ?? 0;
  s.lateDropped = values.lateDropped ?? 0;
  s.corruptTs = values.corruptTs ?? 0;
  for (const [kind, n] of Object.entries(values.malformed ?? {})) s.malformed.set(kind, n);
  return s;
}

async function value(metrics: ServiceMetrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = metrics.registry.getSingleMetric(name);
  const data = await metric?.get();
  return data?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

describe('ServiceMetrics', () => {
  it('counts what engines counted since the last look, not what their checkpoints brought along', async () => {
    const metrics = new ServiceMetrics(() => 0, { processMetrics: false });
    // Partition 1 arrives from a checkpoint that already counted 40 late frames and 5 truncated ones.
    metrics.baseline(1, stats({ late: 40, malformed: { truncated: 5 } }));
    metrics.observe(1, stats({ late: 43, lateDropped: 1, malformed: { truncated: 5, empty: 2 } }));
    // Partition 2 starts fresh.
    metrics.baseline(2, undefined);
    metrics.observe(2, stats({ late: 4, corruptTs: 2 }));
    metrics.observe(2, stats({ late: 6, corruptTs: 2 }));
    expect(await value(metrics, 'uniqstream_frames_late_total')).toBe(3 + 6);
    expect(await value(metrics, 'uniqstream_frames_late_dropped_total')).toBe(1);
    expect(await value(metrics, 'uniqstream_frames_corrupt_ts_total')).toBe(2);
    expect(await value(metrics, 'uniqstream_frames_malformed_total', { kind: 'empty' })).toBe(2);
    expect(await value(metrics, 'uniqstream_frames_malformed_total', { kind: 'truncated' })).toBeUndefined();
  });

  it('drops a lost partition\'s series and counts it afresh when it comes back', async () => {
    const metrics = new ServiceMetrics(() => 0, { processMetrics: false });
    metrics.baseline(3, undefined);
    metrics.observe(3, stats({ late: 10 }));
    metrics.watermark.set({ partition: '3' }, 100);
    metrics.forget(3);
    expect(await value(metrics, 'uniqstream_watermark_seconds', { partition: '3' })).toBeUndefined();
    // Back from a checkpoint with 12 late frames: 2 of them are news only if counted after the baseline.
    metrics.baseline(3, stats({ late: 12 }));
    metrics.observe(3, stats({ late: 15 }));
    expect(await value(metrics, 'uniqstream_frames_late_total')).toBe(10 + 3);
  });

  it('reports the checkpoint age on its clock, only with a counting role', async () => {
    expect(new ServiceMetrics(() => 0, { processMetrics: false, counting: false }).registry.getSingleMetric('uniqstream_checkpoint_age_seconds')).toBeUndefined();
    let now = 0;
    const metrics = new ServiceMetrics(() => now, { processMetrics: false });
    metrics.countingSince = 1_000;
    now = 4_000;
    expect(await value(metrics, 'uniqstream_checkpoint_age_seconds')).toBe(3);
    metrics.lastCheckpointAt = 3_500;
    expect(await value(metrics, 'uniqstream_checkpoint_age_seconds')).toBe(0.5);
  });
});
