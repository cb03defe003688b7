import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/integration/**/*.test.ts'],
    // Starts the shared broker on 127.0.0.1:9092 when none runs (and leaves it running).
    globalSetup: ['test/integration/kafka-setup.ts'],
    // Real broker, real group joins: seconds each, more on a loaded machine.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // One suite at a time: they share the broker and the machine has 2 cores.
    fileParallelism: false,
  },
});
