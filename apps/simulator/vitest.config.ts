import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/integration/**'],
    // The shim runs dist/main.js, so the tests build it first.
    globalSetup: ['test/support/build.ts'],
    testTimeout: 30_000,
  },
});
