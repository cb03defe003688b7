import { closedPort, startBroker, stopBroker, SuiteBroker, uniqueName } from '@uniqstream/kafka-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_STOP_TIMEOUT_MS } from '../../src/service.js';
import { pollUntil, readyz, scrape } from './http-probe.js';
import { serviceArgs, ServiceProcess, topicsOf, waitUntilDone } from './service-process.js';
import { expectMatchesReference, latestByKey, testStream } from './stream.js';

/**
 * A broker of this suite's own: stopping the shared one on 9092 would break
 * other packages' suites running meanwhile (tools/kafka/README.md). 19092,
 * 19192 and 19292 belong to kafka-local's, the CLI's and the sources' suites;
 * other work on this machine may hold ports near them (UNIQSTREAM_CONSUMER_OUTAGE_PORT picks another).
 */
const PORT = Number(process.env.UNIQSTREAM_CONSUMER_OUTAGE_PORT ?? 19792);
const PARTITIONS = 2;
const FRAMES = 6_000;
/** The outage of the report (issue 12); shorter than kafkajs's retries of a request, so its consumers reconnect
 * rather than restart. */
const OUTAGE_MS = 25_000;
/** Over the documented stop limit: for the process to exit and the test to see it on a loaded machine. */
const EXIT_SLACK_MS = 20_000;
const broker = new SuiteBroker(PORT);
const quiet = { port: PORT, log: (): void => undefined };

beforeAll(() => broker.start());
afterAll(() => broker.stop());

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('a broker outage', () => {
  it(
    'makes /readyz 503 naming the broker, uniqstream_kafka_connected 0 and lag unknown; ready again ' +
      'when it is back, nothing lost; SIGTERM without it is bounded',
    async () => {
      const kafka = broker.kafka;
      const stream = testStream({ seed: 31, frames: FRAMES, partitions: PARTITIONS });
      const group = uniqueName('outage');
      const run = { input: uniqueName('consumer-outage-in'), results: `${group}.results`, group };
      const { partials, checkpoints } = topicsOf(group);
      kafka.track({ groups: [group, `${group}.merge`], topics: [run.results, partials, checkpoints] });
      await kafka.createTopic(run.input, PARTITIONS);
      const half = FRAMES / 2;
      await kafka.produce(run.input, stream.frames.slice(0, half));
      const service = new ServiceProcess(
        serviceArgs(run, ['--http-port', String(await closedPort())], kafka.bootstrap),
        group,
      );
      const partitions = Array.from({ length: PARTITIONS }, (_, p) => String(p));
      let brokerUp = true;
      try {
        const base = await service.httpBase();
        await pollUntil(
          () => readyz(base),
          (r) => r.status === 200,
          120_000,
          'ready at start',
        );
        // The first half counted, checkpointed and merged: no write is in flight when the broker goes
        // (one that is would fail the service once kafkajs's retries of the connection run out, ~40 s).
        await waitUntilDone(kafka, run);
        const before = await scrape(base);
        expect(before.value('uniqstream_frames_in_total')).toBe(half);
        for (const partition of partitions)
          expect(before.value('uniqstream_consumer_lag_records', { partition })).toBe(0);

        await stopBroker(quiet);
        brokerUp = false;
        const downAt = performance.now();
        const down = await pollUntil(
          () => readyz(base),
          (r) => r.status === 503,
          30_000,
          '503 while the broker is away',
        );
        expect(down.ready).toBe(false);
        expect(
          down.reasons.some((reason) => reason.includes(`127.0.0.1:${PORT}`)),
          JSON.stringify(down.reasons),
        ).toBe(true);
        const away = await scrape(base);
        expect(away.value('uniqstream_kafka_connected')).toBe(0);
        // The last figures seen (0: caught up) are not known to hold any more.
        for (const partition of partitions)
          expect(away.value('uniqstream_consumer_lag_records', { partition })).toBeNaN();
        expect(away.value('uniqstream_merge_lag_records')).toBeNaN();
        expect(away.value('uniqstream_assigned_partitions')).toBe(PARTITIONS);
        // Not ready for as long as the broker stays away.
        while (performance.now() - downAt < OUTAGE_MS) {
          const answer = await readyz(base);
          expect(answer.status, JSON.stringify(answer)).toBe(503);
          await sleep(1_000);
        }

        await startBroker(quiet);
        brokerUp = true;
        const back = await pollUntil(
          () => readyz(base),
          (r) => r.status === 200,
          120_000,
          'ready again once the broker is back',
        );
        expect(back.reasons.some((reason) => reason.includes(`127.0.0.1:${PORT}`))).toBe(false);
        expect((await scrape(base)).value('uniqstream_kafka_connected')).toBe(1);

        // Nothing was lost or counted twice over the outage.
        await kafka.produce(run.input, [...stream.frames.slice(half), ...stream.closing]);
        await waitUntilDone(kafka, run);
        const done = await scrape(base);
        for (const partition of partitions)
          expect(done.value('uniqstream_consumer_lag_records', { partition })).toBe(0);
        expectMatchesReference(latestByKey(await kafka.read(run.results)), stream.reference);

        // Stopping while nothing it writes can be acknowledged ends within the documented limit.
        await stopBroker(quiet);
        brokerUp = false;
        await pollUntil(
          () => readyz(base),
          (r) => r.status === 503,
          30_000,
          '503 while the broker is away again',
        );
        const exit = await service.stop(DEFAULT_STOP_TIMEOUT_MS + EXIT_SLACK_MS);
        const said = service.stderr().slice(-3000);
        expect(exit.signal, said).toBeNull();
        expect([0, 1], said).toContain(exit.code);
        const fatal = service.logs().filter((l) => l.level >= 60);
        if (exit.code === 1) {
          expect(fatal.map((l) => l.msg)).toEqual([expect.stringMatching(/^did not stop within \d+ s/)]);
        } else {
          expect(fatal).toEqual([]);
        }
      } finally {
        service.kill('SIGKILL');
        if (!brokerUp) await startBroker(quiet);
      }
    },
  );
});
