import { defineConfig } from 'vitest/config';

// Runs every package's unit tests from the root. Apps import built packages,
// so build first (`pnpm build`), or run through turbo (`pnpm test`).
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'tools/kafka'],
  },
});
