import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { closedPort, integrationTestConfig, setupForTests, setupSecureForTests } from '../src/testing.js';

describe('integrationTestConfig', () => {
  it('runs the integration suites one file at a time, with setupForTests as the last globalSetup', async () => {
    const config = integrationTestConfig({
      testTimeout: 1_000,
      hookTimeout: 2_000,
      globalSetup: ['test/support/build.ts'],
    });
    expect(config).toMatchObject({
      include: ['test/integration/**/*.test.ts'],
      testTimeout: 1_000,
      hookTimeout: 2_000,
      fileParallelism: false,
    });
    expect(config.globalSetup).toHaveLength(2);
    expect(config.globalSetup[0]).toBe('test/support/build.ts');
    const setupFile = config.globalSetup[1]!;
    expect(existsSync(setupFile)).toBe(true);
    // vitest calls the module's default export.
    const module = (await import(pathToFileURL(setupFile).href)) as { default: unknown };
    expect(module.default).toBe(setupForTests);
  });

  it('names setupSecureForTests instead for suites that need the SASL_SSL listener', async () => {
    const config = integrationTestConfig({ testTimeout: 1_000, hookTimeout: 2_000, secure: true });
    expect(config.globalSetup).toHaveLength(1);
    const module = (await import(pathToFileURL(config.globalSetup[0]!).href)) as { default: unknown };
    expect(module.default).toBe(setupSecureForTests);
  });
});

describe('closedPort', () => {
  it('gives a loopback port on which a connection is refused', async () => {
    const port = await closedPort();
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
