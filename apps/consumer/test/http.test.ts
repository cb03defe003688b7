import { afterEach, describe, expect, it } from 'vitest';
import { startHealthServer, type HealthServer, type Readiness } from '../src/http.js';
import { ServiceMetrics } from '../src/metrics.js';
import { parsePrometheus } from './prometheus-text.js';

/** CPU the test spends before it scrapes, so that the process CPU counter must show some (µs). */
const CPU_BEFORE_SCRAPE_MICROS = 20_000;

describe('the health and metrics server', () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(readiness: () => Readiness, metrics = new ServiceMetrics(() => 0)): Promise<string> {
    server = await startHealthServer({ host: '127.0.0.1', port: 0, registry: metrics.registry, readiness });
    return `http://127.0.0.1:${server.address.port}`;
  }

  it('answers /healthz while the process runs', async () => {
    const base = await start(() => ({ ready: false, reasons: ['starting'] }));
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok\n');
  });

  it('answers /readyz with 200 or 503 and the reasons', async () => {
    let readiness: Readiness = {
      ready: false,
      reasons: ['count: adopting checkpoints', 'merge: standing by (another instance merges)'],
    };
    const base = await start(() => readiness);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual(readiness);
    readiness = { ready: true, reasons: ['count: partitions 0,1 of frames'] };
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual(readiness);
  });

  it("serves /metrics in the Prometheus text format with the service's figures", async () => {
    let now = 10_000;
    const metrics = new ServiceMetrics(() => now);
    const base = await start(() => ({ ready: true, reasons: [] }), metrics);
    metrics.countingSince = 1_000;
    metrics.lastCheckpointAt = 7_500;
    metrics.framesIn.inc(1234);
    metrics.bytesIn.inc(2_500_000);
    metrics.malformed.inc({ kind: 'truncated' }, 3);
    metrics.watermark.set({ partition: '2' }, 1_468_244_400);
    metrics.live = {
      heldPartitions: () => [2],
      consumerLag: () => new Map([[2, 17]]),
      mergeLag: () => 3,
      kafkaConnected: () => true,
    };
    metrics.openWindows.set({ role: 'merge' }, 4);
    metrics.resultsEmitted.inc(9);
    metrics.partialsIn.inc(20);
    metrics.partialsOut.inc(21);
    now = 12_500;
    // prom-client reports the CPU used since the metrics were made, which a loaded machine may not have given yet.
    const cpuFrom = process.cpuUsage().user;
    while (process.cpuUsage().user - cpuFrom < CPU_BEFORE_SCRAPE_MICROS);
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const { families, value } = parsePrometheus(await response.text());
    expect(families.get('uniqstream_frames_in_total')?.type).toBe('counter');
    expect(families.get('uniqstream_consumer_lag_records')?.type).toBe('gauge');
    expect(value('uniqstream_frames_in_total')).toBe(1234);
    expect(value('uniqstream_input_bytes_total')).toBe(2_500_000);
    expect(value('uniqstream_frames_malformed_total', { kind: 'truncated' })).toBe(3);
    expect(value('uniqstream_watermark_timestamp_seconds', { partition: '2' })).toBe(1_468_244_400);
    expect(value('uniqstream_consumer_lag_records', { partition: '2' })).toBe(17);
    expect(value('uniqstream_merge_lag_records')).toBe(3);
    expect(value('uniqstream_assigned_partitions')).toBe(1);
    expect(value('uniqstream_open_windows', { role: 'merge' })).toBe(4);
    expect(value('uniqstream_results_emitted_total')).toBe(9);
    expect(value('uniqstream_partials_in_total')).toBe(20);
    expect(value('uniqstream_partials_out_total')).toBe(21);
    // 12.5 s on the injected clock, 7.5 s at the last checkpoint.
    expect(value('uniqstream_checkpoint_age_seconds')).toBe(5);
    // Node's process metrics come along, under their stock names.
    expect(value('process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(CPU_BEFORE_SCRAPE_MICROS / 1e6);
  });

  it('says what it serves for other paths and methods', async () => {
    const base = await start(() => ({ ready: true, reasons: [] }));
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('fails with HTTP_FAILED, in one line, when the port is taken', async () => {
    const base = await start(() => ({ ready: true, reasons: [] }));
    const port = Number(new URL(base).port);
    await expect(
      startHealthServer({
        host: '127.0.0.1',
        port,
        registry: new ServiceMetrics(() => 0).registry,
        readiness: () => ({ ready: true, reasons: [] }),
      }),
    ).rejects.toMatchObject({
      code: 'HTTP_FAILED',
      message: expect.stringMatching(/port is in use/),
    });
  });
});
