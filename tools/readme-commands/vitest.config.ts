import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each command may build with turbo (cached) or start a JVM-free Node process: no speed is asserted, this only
    // stops a hang.
    testTimeout: 180_000,
  },
});
