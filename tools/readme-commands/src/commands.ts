import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file (src/ and test/ are both two levels below it). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A command the READMEs show, and what its stdout holds when it works. */
export interface ReadmeCommand {
  /** Exactly as a README writes it, run from the repository root. */
  readonly command: string;
  readonly stdout: RegExp;
}

function versionOf(packageDir: string): string {
  const manifest = JSON.parse(readFileSync(new URL(`${packageDir}/package.json`, `file://${REPO_ROOT}`), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The main commands of the READMEs, each of which must work on a fresh
 * clone after `npm run setup`, with nothing but Node and npm on PATH.
 */
export const MAIN_COMMANDS: readonly ReadmeCommand[] = [
  { command: 'npm run demo', stdout: /^\{"window":"minute","start":\d+/m },
  { command: 'npm run bench -- --help', stdout: /Usage: bench \[options\][\s\S]*--quick/ },
  { command: './apps/cli/bin/uniqstream count --help', stdout: /^Usage: uniqstream count/m },
  { command: './apps/simulator/bin/uniqstream-sim --help', stdout: /^Usage: uniqstream-sim/m },
  {
    command: './apps/simulator/bin/uniqstream-sim --version',
    stdout: new RegExp(`^${escaped(versionOf('apps/simulator'))}\\n$`),
  },
];
