import type { TestKafka, TestRecord } from '@uniqstream/kafka-local';

const STEPS_PER_SECOND = 4;

/** Produces `records` in even steps over about `seconds`, so that a service reads them while they come. */
export async function produceOver(
  kafka: TestKafka,
  topic: string,
  records: readonly TestRecord[],
  seconds: number,
): Promise<void> {
  const steps = Math.max(1, Math.round(seconds * STEPS_PER_SECOND));
  const size = Math.ceil(records.length / steps);
  for (let i = 0; i < records.length; i += size) {
    const started = performance.now();
    await kafka.produce(topic, records.slice(i, i + size));
    const left = 1000 / STEPS_PER_SECOND - (performance.now() - started);
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  }
}
