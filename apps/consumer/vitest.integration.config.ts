import { integrationTestConfig } from '@uniqstream/kafka-local';
import { defineConfig } from 'vitest/config';

// Several service processes against a real broker, on a shared 2-core machine; one suite at a time.
export default defineConfig({
  test: integrationTestConfig({ testTimeout: 600_000, hookTimeout: 300_000, secure: true }),
});
