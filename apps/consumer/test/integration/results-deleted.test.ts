import { closedPort, uniqueName } from '@uniqstream/kafka-local';
import { afterAll, describe, expect, it } from 'vitest';
import { readyz, scrape, type ReadyAnswer } from './http-probe.js';
import { produceOver } from './produce.js';
import { serviceArgs, ServiceProcess, testKafka, topicsOf, waitUntilDone } from './service-process.js';
import { expectMatchesReference, latestByKey, testStream } from './stream.js';

const PARTITIONS = 2;
const FRAMES = 12_000;
/**
 * Frames before the deletion: 40 s of event time (50 frames/s), so the
 * first window has a result and no window is final yet. A final window
 * whose shares the merge already deleted from the partials topic cannot be
 * written again once the results topic is gone (README, Results topic
 * trouble); the test is about what can.
 */
const HEAD = 2_000;
const PRODUCE_SECONDS = 8;
const READY_POLL_MS = 200;

/**
 * The results topic deleted under a running instance (issue 12): the merge
 * notices that its writes are not acknowledged, counts them as failed, is
 * not ready meanwhile, recreates the topic and writes the latest result of
 * every window again (a rebuild from the partials topic), so the topic ends
 * as an uninterrupted run's.
 */
describe('the results topic deleted while the service runs', () => {
  const kafka = testKafka();
  const stream = testStream({ seed: 41, frames: FRAMES, partitions: PARTITIONS });

  afterAll(async () => {
    await kafka.close();
  });

  it('is recreated with the latest result of every window; failed writes counted, /readyz 503 meanwhile', async () => {
    const group = uniqueName('results-deleted');
    const run = { input: uniqueName('consumer-deleted-in'), results: `${group}.results`, group };
    const { partials, checkpoints } = topicsOf(group);
    kafka.track({ groups: [group, `${group}.merge`], topics: [run.results, partials, checkpoints] });
    await kafka.createTopic(run.input, PARTITIONS);
    await kafka.produce(run.input, stream.frames.slice(0, HEAD));
    const service = new ServiceProcess(serviceArgs(run, ['--http-port', String(await closedPort())]), group);
    const answers: ReadyAnswer[] = [];
    let polling = true;
    try {
      const base = await service.httpBase();
      await service.waitForLog((l) => l.msg.startsWith('merge rebuilt'));
      // The first result is in the results topic.
      for (let at = performance.now(); ((await kafka.endOffsets(run.results)).get(0) ?? 0) === 0; ) {
        if (performance.now() - at > 120_000) throw new Error('no result written within 120 s');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const watching = (async () => {
        while (polling) {
          answers.push(await readyz(base));
          await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
        }
      })();

      await kafka.deleteTopics([run.results]);
      await produceOver(kafka, run.input, stream.frames.slice(HEAD), PRODUCE_SECONDS);
      await kafka.produce(run.input, stream.closing);
      await waitUntilDone(kafka, run);
      polling = false;
      await watching;

      const metrics = await scrape(base);
      expect(metrics.value('uniqstream_result_write_failures_total')).toBeGreaterThan(0);
      expect(metrics.value('uniqstream_results_emitted_total')).toBeGreaterThan(0);
      // Not ready while results could not be written, saying so; ready again after.
      const failing = answers.filter((a) => a.status === 503 && a.reasons.some((r) => r.includes(run.results)));
      expect(failing.length, JSON.stringify(answers.filter((a) => a.status !== 200).slice(0, 5))).toBeGreaterThan(0);
      expect(answers[answers.length - 1]).toMatchObject({ status: 200, ready: true });
      expect(service.logs().filter((l) => l.msg.startsWith('merge rebuilt')).length).toBeGreaterThanOrEqual(2);

      expectMatchesReference(latestByKey(await kafka.read(run.results)), stream.reference);
      const exit = await service.stop();
      expect(exit, service.stderr().slice(-2000)).toEqual({ code: 0, signal: null });
    } finally {
      polling = false;
      service.kill('SIGKILL');
    }
  });
});
