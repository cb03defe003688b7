import { defineConfig } from 'vitest/config';

// Suites that run a real broker (on a port of their own, 19092 unless
// KAFKA_LOCAL_TEST_PORT says otherwise, so a shared broker on 9092 is never
// restarted under anyone). The Kafka version comes from UNIQSTREAM_KAFKA_VERSION.
export default defineConfig({
  test: {
    include: ['test/integration/**/*.test.ts'],
    globalSetup: ['test/integration/global-setup.ts'],
    // One broker, restarted by some suites: one file at a time.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 600_000,
  },
});
