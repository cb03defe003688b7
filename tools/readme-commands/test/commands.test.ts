import { describe, expect, it } from 'vitest';
import { MAIN_COMMANDS, REPO_ROOT } from '../src/commands.js';
import { freshShellEnv, runAsWritten } from '../src/fresh-shell.js';

/** Stops a command that hangs; commands are not timed. */
const HANG_MS = 150_000;

/**
 * The READMEs' main commands, run as written from the repository root in a
 * fresh shell: the state of a clone after `npm run setup`, where pnpm is
 * pinned under .cache and not on PATH. These tests run after every package
 * is built (this package depends on the apps and the bench), so the builds
 * the commands start are turbo's cache hits.
 */
describe('the README commands, in a fresh shell without pnpm on PATH', () => {
  const env = freshShellEnv();
  const options = { cwd: REPO_ROOT, env, timeoutMs: HANG_MS };

  it('has node and npm, and no pnpm', () => {
    expect(runAsWritten('command -v node && command -v npm', options).status).toBe(0);
    expect(runAsWritten('command -v pnpm', options).status).not.toBe(0);
  });

  for (const { command, stdout } of MAIN_COMMANDS) {
    it(command, () => {
      const result = runAsWritten(command, options);
      const said = `${result.stderr.slice(-2000)}\n${result.stdout.slice(-1000)}`;
      expect(result.status, said).toBe(0);
      expect(result.stdout, said).toMatch(stdout);
    });
  }
});
