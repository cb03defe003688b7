import { closedPort } from '@uniqstream/kafka-local';
import { describe, expect, it } from 'vitest';
import { parseCommandLine, type ServiceConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { runService } from '../src/service.js';

function configFor(kafkaPort: number, httpPort: number): ServiceConfig {
  const parsed = parseCommandLine(
    [
      '--from',
      `kafka://127.0.0.1:${kafkaPort}/frames`,
      '--to',
      `kafka://127.0.0.1:${kafkaPort}/counts`,
      '--http-port',
      String(httpPort),
    ],
    {},
    { readFile: () => '' },
  );
  if (parsed.kind !== 'run') throw new Error('expected a run');
  return parsed.config;
}

function capture(): { lines: Record<string, unknown>[]; log: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    log: createLogger('debug', {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    }),
  };
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('runService', () => {
  it('stops at once and cleanly when asked to while it waits for Kafka, serving health meanwhile', async () => {
    const [kafkaPort, httpPort] = [await closedPort(), await closedPort()];
    const { lines, log } = capture();
    const stop = new AbortController();
    const running = runService(configFor(kafkaPort, httpPort), { log, signal: stop.signal, connectTimeoutMs: 120_000 });
    await until(() => lines.some((l) => String(l.msg).startsWith('waiting for Kafka')));
    const base = `http://127.0.0.1:${httpPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ready: false, reasons: ['starting: not connected to Kafka yet'] });

    const asked = performance.now();
    stop.abort('SIGTERM');
    await expect(running).resolves.toBeUndefined();
    // No waiting out the connect timeout: the stop is honoured within the current backoff step.
    expect(performance.now() - asked).toBeLessThan(5_000);
    expect(lines.some((l) => l.msg === 'stopped before Kafka answered')).toBe(true);
    // The HTTP server is gone with it.
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it('fails with KAFKA_FAILED, one line, when no broker answers in time', async () => {
    const { log } = capture();
    await expect(
      runService(configFor(await closedPort(), 0), {
        log,
        signal: new AbortController().signal,
        connectTimeoutMs: 1_000,
      }),
    ).rejects.toMatchObject({
      code: 'KAFKA_FAILED',
      message: expect.stringMatching(/^cannot reach Kafka at 127\.0\.0\.1:\d+: [^\n]+$/),
    });
  });

  it('logs the configuration it starts with as one JSON line', async () => {
    const { lines, log } = capture();
    const stop = new AbortController();
    stop.abort();
    await runService(configFor(await closedPort(), 0), { log, signal: stop.signal });
    const start = lines.find((l) => String(l.msg).startsWith('starting:'));
    expect(start).toMatchObject({
      level: 30,
      role: 'all',
      from: expect.stringMatching(/^kafka:\/\//),
      group: 'uniqstream',
      windows: ['minute'],
      http: 'off',
    });
  });
});
