import { rm } from 'node:fs/promises';
import { dataLayout } from '../../src/paths.js';
import { parseKafkaVersion } from '../../src/version.js';
import { PORT_ENV, setupSecureForTests, stopBroker } from '../../src/index.js';
import { testPort, testVersion } from './helpers.js';

/**
 * Starts this package's own test broker through setupSecureForTests, exactly as
 * other packages' globalSetup will, then stops it: unlike theirs, it is private.
 * With the SASL_SSL listener, so every plaintext suite also runs against a
 * broker that enforces ACLs. Each run starts from empty storage, so that the
 * first start formats it (and makes the certificates) and earlier runs' topics
 * do not pile up and slow every restart.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const port = testPort();
  await stopBroker({ port, log: () => {} });
  await rm(dataLayout(parseKafkaVersion(testVersion()), port).root, { recursive: true, force: true });
  process.env[PORT_ENV] = String(port);
  const keepRunning = await setupSecureForTests();
  return async () => {
    await keepRunning();
    await stopBroker({ port });
  };
}
