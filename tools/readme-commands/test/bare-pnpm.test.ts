import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { barePnpmCommands, findReadmes } from '../src/bare-pnpm.js';
import { REPO_ROOT } from '../src/commands.js';

describe('barePnpmCommands', () => {
  it('finds pnpm commands in fenced blocks, after cd and in comments, and in inline code', () => {
    const markdown = [
      'Run `pnpm bench --quick` or `npm run bench`.',
      '```sh',
      'pnpm kafka:start',
      'cd packages/core && pnpm exec vitest run    # or: pnpm turbo run test --filter=@uniqstream/core',
      '```',
    ].join('\n');
    expect(barePnpmCommands(markdown)).toEqual([
      'pnpm bench --quick',
      'pnpm kafka:start',
      'pnpm exec vitest run',
      'pnpm turbo run test --filter=@uniqstream/core',
    ]);
  });

  it('leaves the pinned pnpm, npm scripts and prose alone', () => {
    const markdown = [
      'pnpm is pinned by setup; run pnpm through `sh tools/pnpm`.',
      '```sh',
      'sh tools/pnpm turbo run build --filter=@uniqstream/cli   # the pinned pnpm runs turbo',
      'npm run bench -- --suite e2e',
      'ls .cache/pnpm-12.4.2',
      '```',
      '`@uniqstream/pnpm-free` and `pnpm` alone name things, they run nothing.',
    ].join('\n');
    expect(barePnpmCommands(markdown)).toEqual([]);
  });
});

describe("the repository's READMEs", () => {
  const readmes = findReadmes(REPO_ROOT);

  it('are found, the root one and those of the packages', () => {
    expect(readmes).toContain('README.md');
    expect(readmes).toContain('packages/bench/README.md');
    expect(readmes).toContain('apps/simulator/README.md');
    expect(readmes.some((path) => path.includes('node_modules'))).toBe(false);
  });

  it('ask for no global pnpm: every command runs after npm run setup as written', () => {
    const bare = readmes.flatMap((path) =>
      barePnpmCommands(readFileSync(join(REPO_ROOT, path), 'utf8')).map((command) => `${path}: ${command}`),
    );
    expect(bare).toEqual([]);
  });
});
