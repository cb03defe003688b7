import { generateChunks } from '@uniqstream/generator';
import { roundRobin, startBroker, stopBroker, SuiteBroker, uniqueName } from '@uniqstream/kafka-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, framesInProgress, hasStackTrace, start } from './cli-process.js';
import { expectFinalsMatch, latestByKey, linesOf, referenceCounts } from './reference.js';

/**
 * A broker of this suite's own: restarting the shared one on 9092 would
 * break other packages' suites running meanwhile (see tools/kafka/README.md).
 */
const PORT = Number(process.env.UNIQSTREAM_KAFKA_RESTART_PORT ?? 19192);
const T0 = 1468244340;
const PARTITIONS = 4;
const HALF = 20_000;
/** Longer than --until-idle (20 s) and --idle-timeout (10 s): an outage is not idleness. */
const OUTAGE_MS = 25_000;
/** Many of the source's idle ticks (every 0.5 s), well within --until-idle. */
const QUIET_AFTER_OUTAGE_MS = 8_000;
const broker = new SuiteBroker(PORT);

beforeAll(() => broker.start());
afterAll(() => broker.stop());

async function until(condition: () => boolean, what: () => string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function within<T>(promise: Promise<T>, timeoutMs: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what()}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('uniqstream count across a broker restart', () => {
  it('reconnects after the broker restarts mid-run and still counts every window exactly', async () => {
    const { kafka } = broker;
    const frames = linesOf(
      generateChunks({
        seed: 5,
        users: 3000,
        rate: 200,
        start: T0 + 9,
        frames: 2 * HALF,
        frameBytes: 1000,
        lateFraction: 0.3,
        maxDelay: 5,
        malformedFraction: 0.005,
        tsStringFraction: 0.05,
      }),
    );
    const input = uniqueName('restart-in');
    const output = uniqueName('restart-out');
    await kafka.createTopic(input, PARTITIONS);
    kafka.track({ topics: [output] });
    await kafka.produce(input, roundRobin(frames.slice(0, HALF), PARTITIONS));

    const cli = start(BIN, [
      'count',
      '--from',
      `kafka://${kafka.bootstrap}/${input}`,
      '--to',
      `kafka://${kafka.bootstrap}/${output}`,
      '--group',
      uniqueName('restart-group'),
      '--from-beginning',
      // The broker's absence is not idleness: both idle clocks (this one and
      // --idle-timeout, 10 s) start again when the counter is back in its group.
      '--until-idle',
      '20',
      '--progress',
    ]);
    const tail = (): string => cli.stderr().replace(/\r/g, '\n').slice(-500);
    // The counter has read the first half (and is waiting for more) ...
    await until(
      () => framesInProgress(cli.stderr()) >= HALF,
      () => `the first half to be read: ${tail()}`,
      120_000,
    );
    // ... when the broker goes away for longer than both idle limits, and comes back on the same data.
    await within(stopBroker({ port: PORT, log: () => undefined }), 120_000, () => 'the broker to stop');
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    await within(startBroker({ port: PORT, log: () => undefined }), 120_000, () => 'the broker to start again');
    // The counter is back and finds nothing new for a while before the second half comes.
    await new Promise((resolve) => setTimeout(resolve, QUIET_AFTER_OUTAGE_MS));
    await within(
      kafka.produce(input, roundRobin(frames.slice(HALF), PARTITIONS, HALF)),
      60_000,
      () => 'the second half to be produced',
    );
    const result = await within(cli.done, 120_000, () => `the counter to end: ${tail()}`);

    const said = result.stderr.replace(/\r/g, '\n').slice(-2000);
    expect(hasStackTrace(result.stderr), said).toBe(false);
    expect(result.code, said).toBe(0);
    expect(result.stderr).toMatch(/read 40,000 frames/);
    expectFinalsMatch(latestByKey(await kafka.read(output)), referenceCounts(frames));
  });
});
