import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/integration/**/*.test.ts'],
    // Starts the shared broker on 127.0.0.1:9092 when none runs (and leaves it running).
    globalSetup: ['test/integration/kafka-setup.ts'],
    // The real binary against a real broker, on a shared 2-core machine.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // One suite at a time: they share the broker (and the walkthrough uses fixed topic names).
    fileParallelism: false,
  },
});
