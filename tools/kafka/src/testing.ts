import { ensureBroker } from './broker.js';

/** Set by setupForTests for the test workers vitest starts afterwards. */
export const BOOTSTRAP_ENV = 'UNIQSTREAM_KAFKA_BOOTSTRAP';

/**
 * A vitest globalSetup: ensures a broker (see ensureBroker; the version and
 * port come from $UNIQSTREAM_KAFKA_VERSION and $UNIQSTREAM_KAFKA_PORT), puts its address
 * in $UNIQSTREAM_KAFKA_BOOTSTRAP for the workers, and returns a teardown that
 * leaves it running for the next package's tests.
 *
 *   // vitest.integration.config.ts
 *   test: { globalSetup: ['test/integration/kafka-setup.ts'] }
 *   // test/integration/kafka-setup.ts
 *   export { setupForTests as default } from '@uniqstream/kafka-local';
 */
export async function setupForTests(): Promise<() => Promise<void>> {
  // Takes no options on purpose: vitest passes its project object to a globalSetup.
  const info = await ensureBroker();
  process.env[BOOTSTRAP_ENV] = info.bootstrap;
  return async () => {};
}
