import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { brokerStatus, PORT_ENV } from '../../src/index.js';
import { testPort, testVersion } from './helpers.js';

const cli = fileURLToPath(new URL('../../bin/kafka-local', import.meta.url));
const env = { ...process.env, [PORT_ENV]: String(testPort()) };

function run(args: string[], viaSh = false): { code: number | null; stdout: string; stderr: string } {
  const result = viaSh
    ? spawnSync('sh', [cli, ...args], { env, encoding: 'utf8' })
    : spawnSync(cli, args, { env, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe(`bin/kafka-local (Kafka ${testVersion()})`, () => {
  it('reports the running broker, run through sh as the root scripts do', async () => {
    const info = await brokerStatus({ port: testPort() });
    const out = run(['status'], true);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`Kafka ${info?.version} is running on ${info?.bootstrap} (pid ${info?.pid})`);
    expect(out.stdout).toContain(info?.logFile);
  });

  it('prints the same broker as JSON', async () => {
    const out = run(['status', '--json']);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual(await brokerStatus({ port: testPort() }));
  });

  it('start on a running broker says so and where its log is', async () => {
    const info = await brokerStatus({ port: testPort() });
    const out = run(['start']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('already running');
    expect(out.stdout).toContain(info?.logFile);
  });

  it('logs prints the end of the broker log', async () => {
    const info = await brokerStatus({ port: testPort() });
    const out = run(['logs', '-n', '5']);
    expect(out.code).toBe(0);
    const printed = out.stdout.split('\n').filter((line) => line !== '');
    expect(printed).toHaveLength(5);
    // The broker keeps logging; the printed lines must be a run of the file's lines.
    const file = readFileSync(info?.logFile ?? '', 'utf8');
    expect(file).toContain(printed.join('\n'));
  });

  it('fails with one line on stderr and no stack trace', () => {
    for (const [args, code] of [
      [['bogus'], 2],
      [['status', '--port', '99999'], 1],
      [['start', '--kafka-version', '2.0.0'], 1],
      [['status', '--no-such-flag'], 2],
    ] as const) {
      const out = run([...args]);
      expect(out.code, args.join(' ')).toBe(code);
      const lines = out.stderr.split('\n').filter((line) => line !== '');
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(/^kafka-local: /);
      expect(out.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
