import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, scrapeMetrics } from '../src/service-run.js';

describe('scrapeMetrics', () => {
  const text = [
    '# HELP uniqstream_frames_in_total Frames read.',
    '# TYPE uniqstream_frames_in_total counter',
    'uniqstream_frames_in_total 100000',
    'uniqstream_partials_in_total 43',
    'uniqstream_consumer_lag_records{partition="0"} 12',
    'uniqstream_merge_lag_records NaN',
    '',
  ].join('\n');
  const server = createServer((_, response) => response.end(text));
  const listening = new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads every unlabelled series of one /metrics answer, and nothing labelled or commented', async () => {
    const metrics = await scrapeMetrics(await listening);
    expect([...metrics.keys()]).toEqual([
      'uniqstream_frames_in_total',
      'uniqstream_partials_in_total',
      'uniqstream_merge_lag_records',
    ]);
    expect(metrics.get('uniqstream_frames_in_total')).toBe(100_000);
    expect(metrics.get('uniqstream_merge_lag_records')).toBeNaN();
  });

  it('is empty while nothing answers', async () => {
    expect((await scrapeMetrics(await freePort())).size).toBe(0);
  });
});
