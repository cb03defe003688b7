import { afterEach, describe, expect, it } from 'vitest';
import { startHealthServer, type HealthServer, type Readiness } from '../src/http.js';
import { ServiceMetrics } from '../src/metrics.js';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const SUFFIXES = ['_bucket', '_sum', '_count', '_created'];

/**
 * The Prometheus text exposition format, strictly: HELP and TYPE lines,
 * then samples `name{label="value",...} number`; every sample belongs to a
 * family declared by a TYPE line before it.
 */
function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(type);
      types.set(name!, type!);
      continue;
    }
    const match = SAMPLE.exec(line);
    expect(match, `not a sample line: ${line}`).not.toBeNull();
    const [, name, labelText, valueText] = match!;
    const family = SUFFIXES.reduce((n, s) => (n.endsWith(s) && types.has(n.slice(0, -s.length)) ? n.slice(0, -s.length) : n), name!);
    expect(types.has(family), `sample ${name} without a TYPE line`).toBe(true);
    // Prometheus reads values with Go's ParseFloat: NaN and Inf in any case.
    const value = /^nan$/i.test(valueText!) ? Number.NaN : /^\+?inf$/i.test(valueText!) ? Infinity : /^-inf$/i.test(valueText!) ? -Infinity : Number(valueText);
    expect(Number.isNaN(value) && !/^nan$/i.test(valueText!), `bad value in ${line}`).toBe(false);
    const labels: Record<string, string> = {};
    for (const [, key, v] of (labelText ?? '').matchAll(LABEL)) labels[key!] = v!;
    samples.push({ name: name!, labels, value });
  }
  return { types, samples };
}

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
    let readiness: Readiness = { ready: false, reasons: ['count: adopting checkpoints', 'merge: standing by (another instance merges)'] };
    const base = await start(() => readiness);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual(readiness);
    readiness = { ready: true, reasons: ['count: partitions 0,1 of frames'] };
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual(readiness);
  });

  it('serves /metrics in the Prometheus text format with the service\'s figures', async () => {
    let now = 10_000;
    const metrics = new ServiceMetrics(() => now);
    const base = await start(() => ({ ready: true, reasons: [] }), metrics);
    metrics.countingSince = 1_000;
    metrics.lastCheckpointAt = 7_500;
    metrics.framesIn.inc(1234);
    metrics.bytesIn.inc(2_500_000);
    metrics.malformed.inc({ kind: 'truncated' }, 3);
    metrics.watermark.set({ partition: '2' }, 1_468_244_400);
    metrics.lag.set({ partition: '2' }, 17);
    metrics.openWindows.set({ role: 'merge' }, 4);
    metrics.resultsEmitted.inc(9);
    metrics.partialsIn.inc(20);
    metrics.partialsOut.inc(21);
    now = 12_500;
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const { types, samples } = parsePrometheus(await response.text());
    const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(types.get('uniqstream_frames_in_total')).toBe('counter');
    expect(types.get('uniqstream_consumer_lag')).toBe('gauge');
    expect(value('uniqstream_frames_in_total')).toBe(1234);
    expect(value('uniqstream_bytes_in_total')).toBe(2_500_000);
    expect(value('uniqstream_frames_malformed_total', { kind: 'truncated' })).toBe(3);
    expect(value('uniqstream_watermark_seconds', { partition: '2' })).toBe(1_468_244_400);
    expect(value('uniqstream_consumer_lag', { partition: '2' })).toBe(17);
    expect(value('uniqstream_open_windows', { role: 'merge' })).toBe(4);
    expect(value('uniqstream_results_emitted_total')).toBe(9);
    expect(value('uniqstream_partials_in_total')).toBe(20);
    expect(value('uniqstream_partials_out_total')).toBe(21);
    // 12.5 s on the injected clock, 7.5 s at the last checkpoint.
    expect(value('uniqstream_checkpoint_age_seconds')).toBe(5);
    // The process metrics come along (prefixed).
    expect(samples.some((s) => s.name === 'uniqstream_process_cpu_user_seconds_total')).toBe(true);
  });

  it('says what it serves for other paths and methods', async () => {
    const base = await start(() => ({ ready: true, reasons: [] }));
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('fails with HTTP_FAILED, in one line, when the port is taken', async () => {
    const base = await start(() => ({ ready: true, reasons: [] }));
    const port = Number(new URL(base).port);
    await expect(startHealthServer({ host: '127.0.0.1', port, registry: new ServiceMetrics(() => 0).registry, readiness: () => ({ ready: true, reasons: [] }) })).rejects.toMatchObject({
      code: 'HTTP_FAILED',
      message: expect.stringMatching(/port is in use/),
    });
  });
});
