import { closedPort } from '@uniqstream/kafka-local';
import { describe, expect, it } from 'vitest';
import { createKafka, PROBE_RETRY } from '../src/client.js';
import { KafkaError } from '../src/errors.js';
import { quietened, type KafkaLog } from '../src/log.js';
import {
  brokerAnswers,
  GaveUp,
  isCoordinatorNotFound,
  retryUntil,
  waitForBroker,
  waitUntilBrokerAnswers,
} from '../src/retry.js';
import { KafkaSecurityError } from '../src/security-errors.js';
import type { KafkaSecurity } from '../src/security.js';
import { SocketTracker } from '../src/sockets.js';
import { fixture, plaintextKafkaPort, tlsKafkaPort, tlsServer, type FakeServer } from './support/tls.js';

describe('retryUntil', () => {
  it('retries with backoff until the attempt succeeds, reporting the first failure once', async () => {
    let tries = 0;
    const reasons: string[] = [];
    await retryUntil(
      async () => {
        if (++tries < 3) throw new Error(`refused ${tries}`);
      },
      { timeoutMs: 10_000, now: () => performance.now(), onFirstFailure: (r) => reasons.push(r) },
    );
    expect(tries).toBe(3);
    expect(reasons).toEqual(['refused 1']);
  });

  it('gives up with the last reason once the time is up, having tried at the deadline', async () => {
    let tries = 0;
    const started = performance.now();
    const failure = await retryUntil(
      async () => {
        tries++;
        throw new Error(`refused ${tries}`);
      },
      { timeoutMs: 600, now: () => performance.now() },
    ).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(failure).toBeInstanceOf(GaveUp);
    expect((failure as GaveUp).reason).toBe(`refused ${tries}`);
    expect(tries).toBeGreaterThanOrEqual(3);
    expect(elapsed).toBeGreaterThanOrEqual(550);
  });

  it('gives up at once on a failure retryIf does not retry', async () => {
    let tries = 0;
    const failure = await retryUntil(
      async () => {
        tries++;
        throw new Error(tries === 1 ? 'away' : 'refused for good');
      },
      { timeoutMs: 60_000, now: () => performance.now(), retryIf: (error) => (error as Error).message === 'away' },
    ).catch((e: unknown) => e);
    expect(tries).toBe(2);
    expect(failure).toBeInstanceOf(GaveUp);
    expect((failure as GaveUp).reason).toBe('refused for good');
  });

  it('makes no attempt after the signal aborted its wait', async () => {
    const controller = new AbortController();
    let tries = 0;
    setTimeout(() => controller.abort(), 30);
    const failure = await retryUntil(
      async () => {
        tries++;
        throw new Error('refused');
      },
      { timeoutMs: 60_000, now: () => performance.now(), signal: controller.signal },
    ).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(GaveUp);
    expect(tries).toBe(1);
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const failure = await retryUntil(
      async () => {
        throw new Error('refused');
      },
      { timeoutMs: 60_000, now: () => performance.now(), signal: controller.signal },
    ).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(GaveUp);
  });
});

function probeOf(
  port: number,
  log: KafkaLog,
  security?: KafkaSecurity,
): { probe: ReturnType<typeof createKafka>; sockets: SocketTracker } {
  const sockets = new SocketTracker();
  const probe = createKafka({
    brokers: [`127.0.0.1:${port}`],
    clientId: 'probe',
    log: quietened(log),
    verbose: false,
    retry: PROBE_RETRY,
    now: () => performance.now(),
    sockets,
    security,
  });
  return { probe, sockets };
}

describe('waitForBroker', () => {
  it(
    'fails with one UNAVAILABLE line naming the brokers when none answers in time, having said once ' + 'that it waits',
    async () => {
      const port = await closedPort();
      const lines: string[] = [];
      const log: KafkaLog = (level, line) => lines.push(`${level} ${line}`);
      const { probe, sockets } = probeOf(port, log);
      const started = performance.now();
      const failure = await waitForBroker(probe, [`127.0.0.1:${port}`], {
        timeoutMs: 800,
        now: () => performance.now(),
        log,
      }).catch((e: unknown) => e);
      const elapsed = performance.now() - started;
      sockets.destroyAll();
      expect(failure).toBeInstanceOf(KafkaError);
      expect((failure as KafkaError).code).toBe('UNAVAILABLE');
      expect((failure as KafkaError).message).toMatch(
        new RegExp(`^cannot reach Kafka at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
      );
      expect((failure as KafkaError).message).not.toContain('\n');
      expect(elapsed).toBeGreaterThanOrEqual(700);
      expect(lines.filter((l) => l.startsWith('warn waiting for Kafka'))).toHaveLength(1);
      // kafkajs's own complaints about the probe stay at debug.
      expect(lines.filter((l) => l.startsWith('error'))).toEqual([]);
    },
  );

  it('gives up at once when the signal aborts, leaving the caller to tell it from a timeout', async () => {
    const port = await closedPort();
    const { probe, sockets } = probeOf(port, () => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = performance.now();
    const failure = await waitForBroker(probe, [`127.0.0.1:${port}`], {
      timeoutMs: 60_000,
      now: () => performance.now(),
      signal: controller.signal,
      log: () => undefined,
    }).catch((e: unknown) => e);
    sockets.destroyAll();
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(failure).toBeInstanceOf(KafkaError);
    expect(controller.signal.aborted).toBe(true);
  });
});

describe('waitForBroker with TLS that cannot work', () => {
  const PASSWORD = 'pw-0b1c-never-shown';
  const sasl = { mechanism: 'scram-sha-512', username: 'alice', password: PASSWORD } as const;

  async function attempt(
    server: FakeServer,
    security: KafkaSecurity,
    host = '127.0.0.1',
  ): Promise<{ error: KafkaSecurityError; elapsed: number; lines: string[] }> {
    const lines: string[] = [];
    const log: KafkaLog = (level, line) => lines.push(`${level} ${line}`);
    const sockets = new SocketTracker();
    const where = `${host}:${server.port}`;
    const probe = createKafka({
      brokers: [where],
      clientId: 'probe',
      log: quietened(log),
      verbose: true,
      retry: PROBE_RETRY,
      now: () => performance.now(),
      sockets,
      security,
    });
    const started = performance.now();
    const error = await waitForBroker(probe, [where], { timeoutMs: 20_000, now: () => performance.now(), log }).catch(
      (e: unknown) => e,
    );
    const elapsed = performance.now() - started;
    sockets.destroyAll();
    await server.close();
    expect(error).toBeInstanceOf(KafkaSecurityError);
    const failure = error as KafkaSecurityError;
    expect(failure.code).toBe('SECURITY');
    expect(failure.message).not.toContain('\n');
    expect(failure.message).not.toContain(PASSWORD);
    for (const line of lines) expect(line).not.toContain(PASSWORD);
    return { error: failure, elapsed, lines };
  }

  it('gives up at once, with one line for each way, instead of waiting out its time', async () => {
    const untrusted = await attempt(await tlsServer(), { tls: {}, sasl });
    expect(untrusted.error.failure).toBe('TLS_UNTRUSTED');
    expect(untrusted.error.message).toMatch(
      new RegExp(
        '^cannot connect to Kafka at 127\\.0\\.0\\.1:\\d+: ' +
          'the TLS certificate of 127\\.0\\.0\\.1:\\d+ is not trusted \\(unable to verify the first certificate\\): ' +
          'give the CA certificate that signed it$',
      ),
    );
    expect(untrusted.elapsed).toBeLessThan(10_000);
    expect(untrusted.lines.filter((l) => l.startsWith('warn'))).toEqual([]);

    const otherCa = await attempt(await tlsServer(), { tls: { ca: fixture('other-ca.pem') }, sasl });
    expect(otherCa.error.failure).toBe('TLS_UNTRUSTED');

    const mismatch = await attempt(await tlsServer(), {
      tls: { ca: fixture('ca.pem'), servername: 'kafka.example' },
      sasl,
    });
    expect(mismatch.error.failure).toBe('TLS_HOSTNAME_MISMATCH');
    expect(mismatch.error.message).toContain(
      "is not for the name connected to (Hostname/IP does not match certificate's altnames: Host: " +
        "kafka.example. is not in the cert's altnames: DNS:localhost, IP Address:127.0.0.1)",
    );

    const toPlaintext = await attempt(await plaintextKafkaPort(), { tls: { ca: fixture('ca.pem') }, sasl });
    expect(toPlaintext.error.failure).toBe('TLS_TO_PLAINTEXT_PORT');
    expect(toPlaintext.error.message).toMatch(
      new RegExp(
        'does not speak TLS \\(it closed the connection during the TLS handshake\\): ' +
          "a plaintext port\\? Turn TLS off for it, or use the broker's TLS port$",
      ),
    );

    const toTls = await attempt(await tlsKafkaPort(), { sasl });
    expect(toTls.error.failure).toBe('PLAINTEXT_TO_TLS_PORT');
    expect(toTls.error.message).toMatch(
      new RegExp(
        '^cannot connect to Kafka at 127\\.0\\.0\\.1:(\\d+): 127\\.0\\.0\\.1:\\1 answered in TLS: ' +
          "turn TLS on for it, or use the broker's plaintext port$",
      ),
    );
  });

  it(
    'connects with a client certificate when the broker asks for one, ' + 'and names the failure when it is missing',
    async () => {
      const ca = fixture('ca.pem');
      const requireCert = { requestCert: true, rejectUnauthorized: true, ca };
      const missing = await attempt(await tlsServer(undefined, requireCert), { tls: { ca } });
      expect(missing.error.failure).toBe('TLS_FAILED');
      expect(missing.error.message).toMatch(
        new RegExp(
          ': TLS with 127\\.0\\.0\\.1:\\d+ failed: ' +
            'tlsv13 alert certificate required: the broker wants a client certificate \\(and its key\\)$',
        ),
      );
      // With the certificate the handshake passes: what fails then is the fake broker hanging up, not TLS.
      let handshakes = 0;
      const server = await tlsServer((socket) => {
        handshakes++;
        socket.end();
      }, requireCert);
      const { probe, sockets } = probeOf(server.port, () => undefined, {
        tls: { ca, cert: fixture('client.pem'), key: fixture('client-key.pem') },
      });
      const error = await waitForBroker(probe, [`127.0.0.1:${server.port}`], {
        timeoutMs: 500,
        now: () => performance.now(),
        log: () => undefined,
      }).catch((e: unknown) => e);
      sockets.destroyAll();
      await server.close();
      expect((error as KafkaError).code).toBe('UNAVAILABLE');
      expect(handshakes).toBeGreaterThan(0);
    },
  );
});

describe('isCoordinatorNotFound', () => {
  it("is kafkajs's error by name, or kafkajs's retrier giving up on it; other wrappers are not", () => {
    const notFound = Object.assign(new Error('Failed to find group coordinator'), {
      name: 'KafkaJSGroupCoordinatorNotFound',
    });
    expect(isCoordinatorNotFound(notFound)).toBe(true);
    expect(isCoordinatorNotFound(new Error('x', { cause: notFound }))).toBe(false);
    // As the consumer's crash event carries it: kafkajs's retrier wraps it (retry/index.js), keeping it as the cause.
    const givenUp = Object.assign(new Error('Failed to find group coordinator', { cause: notFound }), {
      name: 'KafkaJSNonRetriableError',
    });
    expect(isCoordinatorNotFound(givenUp)).toBe(true);
    const otherGivenUp = Object.assign(new Error('x', { cause: new Error('y') }), { name: 'KafkaJSNonRetriableError' });
    expect(isCoordinatorNotFound(otherGivenUp)).toBe(false);
    expect(isCoordinatorNotFound(Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' }))).toBe(false);
    expect(isCoordinatorNotFound(null)).toBe(false);
  });
});

describe('brokerAnswers', () => {
  const answering = { describeCluster: () => Promise.resolve({ brokers: [], controller: 1, clusterId: 'c' }) };
  const refusing = { describeCluster: () => Promise.reject(new Error('ECONNREFUSED')) };
  const hanging = { describeCluster: () => new Promise<never>(() => undefined) };

  it('is true for an answer, false for a failure and for no answer within the timeout', async () => {
    expect(await brokerAnswers(answering, 1_000)).toBe(true);
    expect(await brokerAnswers(refusing, 1_000)).toBe(false);
    const started = performance.now();
    expect(await brokerAnswers(hanging, 50)).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('waits until the broker answers, probing again after each failure', async () => {
    let probes = 0;
    const comesBack = {
      describeCluster: () => (++probes < 3 ? Promise.reject(new Error('ECONNREFUSED')) : answering.describeCluster()),
    };
    expect(await waitUntilBrokerAnswers(comesBack, { stopped: () => false, intervalMs: 1 })).toBe(true);
    expect(probes).toBe(3);
  });

  it('stops waiting, false, once stopped', async () => {
    let probes = 0;
    const away = {
      describeCluster: () => {
        probes++;
        return refusing.describeCluster();
      },
    };
    expect(await waitUntilBrokerAnswers(away, { stopped: () => probes >= 2, intervalMs: 1 })).toBe(false);
    expect(probes).toBe(2);
    // Stopped while the answering probe was under way: the caller is closing, so not "back".
    let stop = false;
    const answersAsItStops = {
      describeCluster: () => {
        stop = true;
        return answering.describeCluster();
      },
    };
    expect(await waitUntilBrokerAnswers(answersAsItStops, { stopped: () => stop, intervalMs: 1 })).toBe(false);
  });
});
