import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // A guard against a hang, not a speed limit: the exhaustive tests take seconds, several times more
    // on a loaded machine or while a newer Node tiers its code up.
    testTimeout: 60_000,
    include: ['test/**/*.test.ts'],
    exclude: ['test/integration/**'],
  },
});
