import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EngineStats } from '@uniqstream/core';
import { afterEach, describe, expect, it } from 'vitest';
import { startHealthServer, type HealthServer } from '../src/http.js';
import { ServiceMetrics } from '../src/metrics.js';
import { parsePrometheus, type Exposition, type Family } from './prometheus-text.js';

function stats(values: {
  late?: number;
  lateDropped?: number;
  corruptTs?: number;
  malformed?: Record<string, number>;
}): EngineStats {
  const s = new EngineStats();
  s.late = values.late ?? 0;
  s.lateDropped = values.lateDropped ?? 0;
  s.corruptTs = values.corruptTs ?? 0;
  for (const [kind, n] of Object.entries(values.malformed ?? {})) s.malformed.set(kind, n);
  return s;
}

async function value(
  metrics: ServiceMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
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

  it("drops a lost partition's series and counts it afresh when it comes back", async () => {
    const metrics = new ServiceMetrics(() => 0, { processMetrics: false });
    metrics.baseline(3, undefined);
    metrics.observe(3, stats({ late: 10 }));
    metrics.watermark.set({ partition: '3' }, 100);
    metrics.forget(3);
    expect(await value(metrics, 'uniqstream_watermark_timestamp_seconds', { partition: '3' })).toBeUndefined();
    // Back from a checkpoint with 12 late frames: 2 of them are news only if counted after the baseline.
    metrics.baseline(3, stats({ late: 12 }));
    metrics.observe(3, stats({ late: 15 }));
    expect(await value(metrics, 'uniqstream_frames_late_total')).toBe(10 + 3);
  });

  it('reads the partitions held, the lag and the connection when scraped; lag is NaN while unknown', async () => {
    const metrics = new ServiceMetrics(() => 0, { processMetrics: false });
    // Before the roles run: nothing held, not connected, no merge.
    expect(await value(metrics, 'uniqstream_assigned_partitions')).toBe(0);
    expect(await value(metrics, 'uniqstream_kafka_connected')).toBe(0);
    expect(await value(metrics, 'uniqstream_merge_lag_records')).toBeNaN();
    let held = [0, 2];
    let connected = true;
    metrics.live = {
      heldPartitions: () => held,
      consumerLag: () => new Map([[0, 5]]),
      mergeLag: () => 7,
      kafkaConnected: () => connected,
    };
    expect(await value(metrics, 'uniqstream_assigned_partitions')).toBe(2);
    expect(await value(metrics, 'uniqstream_consumer_lag_records', { partition: '0' })).toBe(5);
    // Held, not fetched yet: unknown, not 0.
    expect(await value(metrics, 'uniqstream_consumer_lag_records', { partition: '2' })).toBeNaN();
    expect(await value(metrics, 'uniqstream_merge_lag_records')).toBe(7);
    expect(await value(metrics, 'uniqstream_kafka_connected')).toBe(1);
    // The broker stops answering: the last figures seen are no longer known to be true.
    connected = false;
    expect(await value(metrics, 'uniqstream_kafka_connected')).toBe(0);
    expect(await value(metrics, 'uniqstream_consumer_lag_records', { partition: '0' })).toBeNaN();
    expect(await value(metrics, 'uniqstream_merge_lag_records')).toBeNaN();
    expect(await value(metrics, 'uniqstream_assigned_partitions')).toBe(2);
    // A partition given away has no series any more.
    held = [2];
    connected = true;
    expect(await value(metrics, 'uniqstream_consumer_lag_records', { partition: '0' })).toBeUndefined();
    expect(await value(metrics, 'uniqstream_assigned_partitions')).toBe(1);
  });

  it('reports the checkpoint age on its clock, only with a counting role', async () => {
    expect(
      new ServiceMetrics(() => 0, { processMetrics: false, counting: false }).registry.getSingleMetric(
        'uniqstream_checkpoint_age_seconds',
      ),
    ).toBeUndefined();
    let now = 0;
    const metrics = new ServiceMetrics(() => now, { processMetrics: false });
    metrics.countingSince = 1_000;
    now = 4_000;
    expect(await value(metrics, 'uniqstream_checkpoint_age_seconds')).toBe(3);
    metrics.lastCheckpointAt = 3_500;
    expect(await value(metrics, 'uniqstream_checkpoint_age_seconds')).toBe(0.5);
  });
});

/** Units a gauge or histogram name may end in: the base units, the things counted, and `info`. */
const UNITS = ['seconds', 'bytes', 'records', 'windows', 'partitions', 'ratio', 'info'];
/** Prometheus wants base units: seconds, not milliseconds; bytes, not kilobytes; ratios, not percent. */
const NOT_BASE_UNITS = /_(milliseconds|millis|ms|minutes|hours|days|kilobytes|megabytes|kb|mb|percent)(_|$)/;
const BASE_UNIT = /(?:^|_)(seconds|bytes)(?:_|$)/;
/** A 0/1 state gauge says what 1 means first. */
const STATE_HELP = /^1 (when|while) /;
/** Node's process metrics under prom-client's stock names, as stock dashboards query them. */
const STOCK_PROCESS_METRICS = [
  'process_cpu_user_seconds_total',
  'process_resident_memory_bytes',
  'process_start_time_seconds',
  'nodejs_eventloop_lag_seconds',
  'nodejs_heap_size_used_bytes',
];
const README = fileURLToPath(new URL('../README.md', import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL('../package.json', import.meta.url));

/**
 * What a metric family's name breaks of the Prometheus naming conventions
 * (https://prometheus.io/docs/practices/naming/).
 */
function namingProblems(family: Family): string[] {
  const { name, type, help } = family;
  const problems: string[] = [];
  const stem = name.endsWith('_total') ? name.slice(0, -'_total'.length) : name;
  if (help.trim() === '') problems.push('has no HELP text');
  if (type === 'counter' && !name.endsWith('_total')) problems.push('is a counter not ending in _total');
  if (type !== 'counter' && name.endsWith('_total')) problems.push(`is a ${type} ending in _total (only counters do)`);
  if (NOT_BASE_UNITS.test(name)) problems.push('has a unit that is not a base unit (seconds, bytes)');
  const unit = BASE_UNIT.exec(stem)?.[1];
  if (unit !== undefined && !stem.endsWith(`_${unit}`))
    problems.push(`has its unit ${unit} elsewhere than at the end${type === 'counter' ? ' (before _total)' : ''}`);
  const timestamp = /\bunix\b|timestamp/i.test(help) || name.includes('timestamp');
  if (timestamp && !name.endsWith('_timestamp_seconds'))
    problems.push('holds a timestamp but does not end in _timestamp_seconds');
  if (type === 'histogram' && unit === undefined) problems.push('is a histogram without a base unit (seconds, bytes)');
  if (type === 'gauge' && !UNITS.some((u) => name.endsWith(`_${u}`)) && !STATE_HELP.test(help)) {
    problems.push(
      `is a gauge without a unit suffix (${UNITS.join(', ')}) and not a 0/1 state whose HELP starts ` +
        `"1 when" or "1 while"`,
    );
  }
  return problems;
}

/** The metrics table of the README: name (without labels) -> type. */
function readmeTable(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readFileSync(README, 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !cells[1]!.startsWith('`uniqstream_')) continue;
    for (const [, name] of cells[1]!.matchAll(/`(uniqstream_[a-z_]+)(?:\{[^}]*\})?`/g)) rows.set(name!, cells[2]!);
  }
  return rows;
}

describe('the /metrics exposition', () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function scrape(metrics: ServiceMetrics): Promise<Exposition> {
    server ??= await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      registry: metrics.registry,
      readiness: () => ({ ready: true, reasons: [] }),
    });
    const response = await fetch(`http://127.0.0.1:${server.address.port}/metrics`);
    expect(response.status).toBe(200);
    return parsePrometheus(await response.text());
  }

  it(
    'names every metric by the Prometheus conventions: counters end in _total and nothing else does, ' +
      'units are base units at the end, timestamps are _timestamp_seconds',
    async () => {
      const { families } = await scrape(new ServiceMetrics(() => 0));
      const own = [...families.values()].filter((f) => f.name.startsWith('uniqstream_'));
      expect(own.length).toBeGreaterThan(10);
      expect(
        own.map((f) => ({ name: f.name, problems: namingProblems(f) })).filter((f) => f.problems.length > 0),
      ).toEqual([]);
    },
  );

  it("serves Node's process metrics under prom-client's stock names, and nothing else besides its own", async () => {
    const { families } = await scrape(new ServiceMetrics(() => 0));
    for (const name of STOCK_PROCESS_METRICS) expect(families.has(name), name).toBe(true);
    const foreign = [...families.keys()].filter((n) => !n.startsWith('uniqstream_') && !/^(process|nodejs)_/.test(n));
    expect(foreign).toEqual([]);
    expect([...families.keys()].filter((n) => /^uniqstream_(process|nodejs)_/.test(n))).toEqual([]);
  });

  it('serves exactly the metrics of the README table, with their types', async () => {
    const { families } = await scrape(new ServiceMetrics(() => 0));
    const served = new Map(
      [...families.values()].filter((f) => f.name.startsWith('uniqstream_')).map((f) => [f.name, f.type]),
    );
    expect(Object.fromEntries([...served].sort())).toEqual(Object.fromEntries([...readmeTable()].sort()));
  });

  it('says which build runs: uniqstream_build_info{version,node} 1, the version from the package', async () => {
    const exposition = await scrape(new ServiceMetrics(() => 0));
    const version = (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version;
    expect(exposition.value('uniqstream_build_info', { version, node: process.version })).toBe(1);
  });
});
