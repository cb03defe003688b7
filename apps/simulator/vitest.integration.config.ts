import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/integration/**/*.test.ts'],
    globalSetup: ['test/support/build.ts', 'test/integration/kafka-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
