import { defineConfig } from 'vitest/config';

// The publish test: a copy of the workspace built, versioned and published to a
// real registry, then installed with plain npm. No Kafka broker; minutes, not seconds.
export default defineConfig({
  test: {
    include: ['test/integration/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
