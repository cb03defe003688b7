import { integrationTestConfig } from '@uniqstream/kafka-local';
import { defineConfig } from 'vitest/config';

// The simulator is built first (test/support/build.ts), then the shared broker is ensured.
export default defineConfig({
  test: integrationTestConfig({
    testTimeout: 300_000,
    hookTimeout: 300_000,
    globalSetup: ['test/support/build.ts'],
    secure: true,
  }),
});
