import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const FENCE = /^\s*```/;
const INLINE_CODE = /`([^`\n]+)`/g;
/**
 * `pnpm` running one of its commands (or a script or binary, as `pnpm
 * bench` does), up to the end of that command; not as part of a path
 * (`sh tools/pnpm ...`), and not in prose ("the pinned pnpm runs turbo").
 */
const BARE_PNPM = new RegExp(
  '(?<![\\w/.@-])pnpm[ \\t]+(?:exec|run|dlx|install|i|add|turbo|vitest|tsc|bench|build|test|typecheck|' +
    'changeset|kafka:[\\w-]+|--filter|-F|-r|--recursive)(?![\\w:-])(?:[ \\t]+[^\\s;&|`#]+)*',
  'g',
);
/** Folders that hold no README of ours: dependencies, caches, build outputs, the local broker's data. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', '.cache', '.turbo', 'dist', '.data', '.work']);

/**
 * Commands in a markdown text's code (fenced blocks, comments in them
 * included, and inline code) that run a bare `pnpm`, which a new user does
 * not have: `npm run setup` pins pnpm under .cache, and it runs as
 * `sh tools/pnpm`.
 */
export function barePnpmCommands(markdown: string): string[] {
  const found: string[] = [];
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (FENCE.test(line)) {
      inFence = !inFence;
      continue;
    }
    const code = inFence ? [line] : [...line.matchAll(INLINE_CODE)].map((match) => match[1] ?? '');
    for (const text of code) for (const match of text.matchAll(BARE_PNPM)) found.push(match[0]);
  }
  return found;
}

/** Every README.md under `root`, relative to it, sorted. */
export function findReadmes(root: string, under = ''): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(root, under), { withFileTypes: true })) {
    const path = under === '' ? entry.name : `${under}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) found.push(...findReadmes(root, path));
    } else if (entry.name === 'README.md') {
      found.push(path);
    }
  }
  return found.sort();
}
