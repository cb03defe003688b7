import { integrationTestConfig } from '@uniqstream/kafka-local';
import { defineConfig } from 'vitest/config';

// The real binary against a real broker, on a shared 2-core machine; one suite at a time
// (they share the broker, and the walkthrough uses fixed topic names).
export default defineConfig({
  test: integrationTestConfig({ testTimeout: 300_000, hookTimeout: 300_000, secure: true }),
});
