import { rm } from 'node:fs/promises';
import { dataLayout } from '../../src/paths.js';
import { parseKafkaVersion } from '../../src/version.js';
import { PORT_ENV, setupForTests, stopBroker } from '../../src/index.js';
import { testPort, testVersion } from './helpers.js';

/**
 * Starts this package's own test broker through setupForTests, exactly as other
 * packages' globalSetup will, then stops it: unlike theirs, it is private. Each
 * run starts from empty storage, so that the first start formats it and earlier
 * runs' topics do not pile up and slow every restart.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const port = testPort();
  await stopBroker({ port, log: () => {} });
  await rm(dataLayout(parseKafkaVersion(testVersion()), port).root, { recursive: true, force: true });
  process.env[PORT_ENV] = String(port);
  const keepRunning = await setupForTests();
  return async () => {
    await keepRunning();
    await stopBroker({ port });
  };
}
