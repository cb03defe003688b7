import type { WindowResult } from '@uniqstream/core';
import { SinkError, type KafkaResultSink } from '@uniqstream/sinks';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { ServiceMetrics } from '../src/metrics.js';
import { ResultWriter } from '../src/result-writer.js';
import { parsePrometheus } from './prometheus-text.js';

const RESULT: WindowResult = {
  window: 'minute',
  start: 1_468_244_340,
  end: 1_468_244_400,
  users: 5,
  frames: 7,
  revision: 0,
  final: false,
  method: 'exact',
};
const OUTPUT = { brokers: ['127.0.0.1:9092'], topic: 'counts' };

interface FakeSink extends KafkaResultSink {
  readonly written: WindowResult[];
  closed: boolean;
}

/** A sink whose ready() and flush() do what the test says. */
function fakeSink(behaviour: { ready?: () => Promise<void>; flush?: () => Promise<void> } = {}): FakeSink {
  const sink: FakeSink = {
    name: 'kafka:counts',
    written: [],
    closed: false,
    ready: behaviour.ready ?? (() => Promise.resolve()),
    write: (results) => {
      sink.written.push(...results);
      return Promise.resolve();
    },
    flush: behaviour.flush ?? (() => Promise.resolve()),
    close: () => {
      sink.closed = true;
      return Promise.resolve();
    },
  };
  return sink;
}

function setUp(sinks: FakeSink[]): {
  writer: ResultWriter;
  metrics: ServiceMetrics;
  lines: Record<string, unknown>[];
  clock: { now: number };
  made: FakeSink[];
} {
  const clock = { now: 0 };
  const metrics = new ServiceMetrics(() => clock.now, { processMetrics: false });
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('debug', {
    write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  const made: FakeSink[] = [];
  const writer = new ResultWriter({
    output: OUTPUT,
    clientId: 'test',
    log,
    metrics,
    now: () => clock.now,
    createSink: () => {
      const sink = sinks.shift() ?? fakeSink();
      made.push(sink);
      return sink;
    },
  });
  return { writer, metrics, lines, clock, made };
}

async function value(metrics: ServiceMetrics, name: string): Promise<number | undefined> {
  return parsePrometheus(await metrics.registry.metrics()).value(name);
}

const unacknowledged = (): Promise<void> =>
  Promise.reject(
    new SinkError('KAFKA_UNAVAILABLE', 'cannot write results to Kafka at 127.0.0.1:9092: no acknowledgement for 10 s'),
  );

describe('ResultWriter', () => {
  it('counts acknowledged results as emitted, with the time since their partials arrived', async () => {
    const { writer, metrics, clock } = setUp([]);
    clock.now = 2_000;
    expect(await writer.write([RESULT, { ...RESULT, revision: 1 }], 1_750)).toBe('written');
    expect(await value(metrics, 'uniqstream_results_emitted_total')).toBe(2);
    expect(await value(metrics, 'uniqstream_result_emit_latency_seconds_count')).toBe(2);
    expect(await value(metrics, 'uniqstream_result_emit_latency_seconds_sum')).toBeCloseTo(0.5);
    // Written again by a rebuild: counted, not timed.
    expect(await writer.write([RESULT])).toBe('written');
    expect(await value(metrics, 'uniqstream_results_emitted_total')).toBe(3);
    expect(writer.fault()).toBeNull();
  });

  it('counts the results of a failed write as failed, not emitted, and stays failed until recovered', async () => {
    const { writer, metrics, lines } = setUp([fakeSink({ flush: unacknowledged })]);
    expect(await writer.write([RESULT, RESULT])).toBe('failed');
    expect(await value(metrics, 'uniqstream_result_write_failures_total')).toBe(2);
    expect(await value(metrics, 'uniqstream_results_emitted_total')).toBe(0);
    expect(writer.fault()).toBe('merge: cannot write results to counts: no acknowledgement within 10 s');
    expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([
      expect.stringMatching(/^could not write 2 results to counts \(no acknowledgement within 10 s\)/),
    ]);
    // The failed sink is not written to again.
    expect(await writer.write([RESULT])).toBe('failed');
    expect(await value(metrics, 'uniqstream_result_write_failures_total')).toBe(3);
  });

  it('is not ready while a write waits long for its acknowledgement', async () => {
    let acknowledge: () => void = () => undefined;
    const { writer, clock } = setUp([
      fakeSink({ flush: () => new Promise<void>((resolve) => (acknowledge = resolve)) }),
    ]);
    const writing = writer.write([RESULT], 0);
    // Until the write reaches flush().
    await new Promise((resolve) => setImmediate(resolve));
    clock.now = 4_000;
    expect(writer.fault()).toBeNull();
    clock.now = 6_200;
    expect(writer.fault()).toBe('merge: results to counts not acknowledged for 6 s');
    acknowledge();
    expect(await writing).toBe('written');
    expect(writer.fault()).toBeNull();
  });

  it(
    'recovers with a fresh sink (whose set-up creates the topic), trying again until one is ready; ' +
      'ready once a write succeeds',
    async () => {
      const first = fakeSink({ flush: unacknowledged });
      const refused = fakeSink({
        ready: () =>
          Promise.reject(
            new SinkError(
              'KAFKA_FAILED',
              'cannot set up topic counts on Kafka at 127.0.0.1:9092: topic is marked for deletion',
            ),
          ),
      });
      const good = fakeSink();
      const { writer, made } = setUp([first, refused, good]);
      expect(await writer.write([RESULT])).toBe('failed');
      expect(await writer.recover(new AbortController().signal)).toBe(true);
      expect(made).toEqual([first, refused, good]);
      expect(first.closed && refused.closed).toBe(true);
      // Not ready until results are written again.
      expect(writer.fault()).toMatch(/^merge: cannot write results to counts: cannot set up topic counts/);
      expect(await writer.write([RESULT])).toBe('written');
      expect(good.written).toEqual([RESULT]);
      expect(writer.fault()).toBeNull();
    },
  );

  it('gives up recovering when stopped', async () => {
    const { writer, made } = setUp([
      fakeSink({ flush: unacknowledged }),
      fakeSink({ ready: () => new Promise<void>(() => undefined) }),
    ]);
    expect(await writer.write([RESULT])).toBe('failed');
    const stop = new AbortController();
    const recovering = writer.recover(stop.signal);
    stop.abort();
    expect(await recovering).toBe(false);
    expect(made[1]?.closed).toBe(true);
  });
});
