import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/integration/**'],
    // These tests run the real binary on generated streams; the machine is shared.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
