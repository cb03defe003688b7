import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/integration/**/*.test.ts'],
    // Starts the shared broker on 127.0.0.1:9092 when none runs (and leaves it running).
    globalSetup: ['test/integration/kafka-setup.ts'],
    // Several service processes against a real broker, on a shared 2-core machine.
    testTimeout: 600_000,
    hookTimeout: 300_000,
    // One suite at a time: each runs several service processes.
    fileParallelism: false,
  },
});
