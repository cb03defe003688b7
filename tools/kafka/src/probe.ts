import { Kafka, logLevel, type Admin, type KafkaConfig } from 'kafkajs';

/** Short timeouts: the caller polls, and a broker still starting refuses fast. */
const CONNECTION_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 5_000;
/** Topics asked about at once when checking partitions after a restart. */
const TOPICS_PER_ROUND = 16;

export type Readiness = 'answers' | 'serves-partitions';

/**
 * True when the broker at `bootstrap` answers a kafkajs admin request with
 * itself in the cluster: the same path every client of it will take. With
 * 'serves-partitions' it must also lead every partition it holds: a broker
 * restarted on old data answers before it has loaded them, and meanwhile
 * refuses requests for them with NOT_LEADER_OR_FOLLOWER.
 */
export async function brokerReady(bootstrap: string, readiness: Readiness = 'answers'): Promise<boolean> {
  return (await probe({ brokers: [bootstrap] }, readiness)) === null;
}

/**
 * Null when a client with these settings (TLS and a login) gets an answer
 * listing the broker, else why not: a SASL_SSL listener is ready when its
 * admin can log in.
 */
export async function secureListenerProblem(
  connection: Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>,
): Promise<string | null> {
  return probe(connection, 'answers');
}

async function probe(
  connection: Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>,
  readiness: Readiness,
): Promise<string | null> {
  const kafka = new Kafka({
    ...connection,
    clientId: 'kafka-local-probe',
    logLevel: logLevel.NOTHING,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) return 'no broker in the cluster yet';
    return readiness === 'answers' || (await servesAllPartitions(admin)) ? null : 'not every partition is served yet';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function servesAllPartitions(admin: Admin): Promise<boolean> {
  const topics = await admin.listTopics();
  for (let i = 0; i < topics.length; i += TOPICS_PER_ROUND) {
    const round = topics.slice(i, i + TOPICS_PER_ROUND);
    const answers = await Promise.all(
      round.map((topic) =>
        admin.fetchTopicOffsets(topic).then(
          () => true,
          // Deleted since it was listed (another test cleaning up): not a reason to wait.
          (error: { type?: string }) => error.type === 'UNKNOWN_TOPIC_OR_PARTITION',
        ),
      ),
    );
    if (answers.includes(false)) return false;
  }
  return true;
}
