/**
 * The Kafka broker a suite measures against, found the way tools/kafka's
 * test helpers find theirs: $UNIQSTREAM_KAFKA_BOOTSTRAP names a running
 * broker to use as it is; otherwise the local broker (tools/kafka) on
 * $UNIQSTREAM_KAFKA_PORT (default 9092) is started when none runs there.
 * Several people benchmark on one machine, each with a broker of their own.
 */
import { BOOTSTRAP_ENV, ensureBroker } from '@uniqstream/kafka-local';

export interface BenchBroker {
  /** host:port for clients. */
  readonly bootstrap: string;
  /** For the report: `Kafka 4.4.0 on 127.0.0.1:49092`, or the address given. */
  readonly description: string;
}

export async function benchBroker(log: (line: string) => void, env: Readonly<Record<string, string | undefined>> = process.env): Promise<BenchBroker> {
  const given = env[BOOTSTRAP_ENV]?.trim();
  if (given !== undefined && given !== '') return { bootstrap: given, description: `the broker at ${given} ($${BOOTSTRAP_ENV})` };
  const info = await ensureBroker({ log: (line) => log(`kafka-local: ${line}`) });
  return { bootstrap: info.bootstrap, description: `Kafka ${info.version} on ${info.bootstrap}` };
}
