/**
 * The Kafka broker a suite measures against, found the way tools/kafka's
 * test helpers find theirs: $UNIQSTREAM_KAFKA_BOOTSTRAP names a running
 * broker to use as it is; otherwise the local broker (tools/kafka) on
 * $UNIQSTREAM_KAFKA_PORT (default 9092) is started when none runs there.
 * Several people benchmark on one machine, each with a broker of their own.
 */
import { BOOTSTRAP_ENV, ensureBroker, type SecureListener } from '@uniqstream/kafka-local';
import { Kafka, logLevel, type Admin } from 'kafkajs';

export interface BenchBroker {
  /** host:port for clients. */
  readonly bootstrap: string;
  /** For the report: `Kafka 4.4.0 on 127.0.0.1:49092`, or the address given. */
  readonly description: string;
  /** Its SASL_SSL listener, when tools/kafka started it with --secure. */
  readonly secure?: SecureListener;
  /** Its process, when tools/kafka runs it on this machine: suites report its CPU beside the clients'. */
  readonly pid?: number;
}

export async function benchBroker(
  log: (line: string) => void,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<BenchBroker> {
  const given = env[BOOTSTRAP_ENV]?.trim();
  if (given !== undefined && given !== '')
    return { bootstrap: given, description: `the broker at ${given} ($${BOOTSTRAP_ENV})` };
  const info = await ensureBroker({ log: (line) => log(`kafka-local: ${line}`) });
  return {
    bootstrap: info.bootstrap,
    description: `Kafka ${info.version} on ${info.bootstrap}`,
    pid: info.pid,
    ...(info.secure === null ? {} : { secure: info.secure }),
  };
}

/** The bench's broker with a kafkajs client and a connected admin, as every Kafka suite starts. */
export interface BenchKafka {
  readonly broker: BenchBroker;
  readonly kafka: Kafka;
  readonly admin: Admin;
}

export async function connectBenchKafka(
  log: (line: string) => void,
  level: logLevel = logLevel.NOTHING,
): Promise<BenchKafka> {
  const broker = await benchBroker(log);
  const kafka = new Kafka({ clientId: 'uniqstream-bench', brokers: [broker.bootstrap], logLevel: level });
  const admin = kafka.admin();
  await admin.connect();
  return { broker, kafka, admin };
}
