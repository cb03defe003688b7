import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshPath, freshShellEnv, runAsWritten } from '../src/fresh-shell.js';

function binDir(...tools: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'fresh-shell-'));
  for (const tool of tools) {
    writeFileSync(join(dir, tool), '#!/bin/sh\necho fake\n');
    chmodSync(join(dir, tool), 0o755);
  }
  return dir;
}

describe('freshPath', () => {
  it('drops directories holding a pnpm and node_modules/.bin directories, and keeps the rest in order', () => {
    const withPnpm = binDir('pnpm');
    const plain = binDir('other');
    const nodeModules = join(mkdtempSync(join(tmpdir(), 'fresh-shell-')), 'node_modules', '.bin');
    mkdirSync(nodeModules, { recursive: true });
    const path = [withPnpm, nodeModules, plain, '/usr/bin', ''].join(delimiter);
    expect(freshPath(path)).toBe([plain, '/usr/bin'].join(delimiter));
  });
});

describe('freshShellEnv', () => {
  it("keeps the user's variables and leaves the running script's behind", () => {
    const env = freshShellEnv({
      HOME: '/home/u',
      PATH: `${binDir('pnpm')}${delimiter}/usr/bin`,
      npm_execpath: '/x/pnpm.cjs',
      TURBO_HASH: 'abc',
      NODE_OPTIONS: '--inspect',
    });
    expect(env).toEqual({ HOME: '/home/u', PATH: '/usr/bin' });
  });
});

describe('runAsWritten', () => {
  it('runs a shell line with its operators, in the given directory and environment', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'fresh-shell-'));
    const result = runAsWritten('echo "$GREETING" && pwd && false || echo after', {
      cwd,
      env: { PATH: '/usr/bin:/bin', GREETING: 'hi' },
      timeoutMs: 10_000,
    });
    expect(result).toEqual({ status: 0, stdout: `hi\n${cwd}\nafter\n`, stderr: '' });
  });
});
