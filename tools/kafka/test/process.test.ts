import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandLine, isOurBroker, isProcessAlive, waitForExit } from '../src/process.js';

describe('process checks', () => {
  it('sees this process alive, with its own arguments', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(commandLine(process.pid)?.join(' ')).toContain(process.argv[1] ?? 'node');
  });

  it('sees an exited process as gone', () => {
    const pid = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout,
    );
    expect(isProcessAlive(pid)).toBe(false);
    expect(commandLine(pid)).toBeNull();
  });

  it('recognises a broker only by both kafka.Kafka and its own config file', async () => {
    // A stand-in whose arguments look like a broker's; nothing checks it is java.
    const child = spawn(process.execPath, [
      '-e',
      'setTimeout(() => {}, 10000)',
      'kafka.Kafka',
      '/data/4.4.0/9092/server.properties',
    ]);
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      const pid = child.pid ?? -1;
      expect(isOurBroker(pid, '/data/4.4.0/9092/server.properties')).toBe(true);
      expect(isOurBroker(pid, '/data/3.9.1/9092/server.properties')).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
    expect(await waitForExit(child.pid ?? -1, 5000)).toBe(true);
  });

  it('gives up waiting for a process that keeps running', async () => {
    expect(await waitForExit(process.pid, 150)).toBe(false);
  });
});
