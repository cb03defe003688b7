/**
 * Rewrites the performance sections of the root README and the bench README
 * (between `<!-- bench:start -->` and `<!-- bench:end -->`) from a report's
 * JSON, by default results/latest.json. `npm run bench` does this itself after
 * a complete run; this is for doing it again, e.g. after editing the text
 * around the markers.
 *
 *   node packages/bench/dist/readme.js [packages/bench/results/2025-11-26-1405.json]
 */
import { join, relative } from 'node:path';
import { REPO_ROOT, RESULTS_DIR } from './paths.js';
import { LATEST, readRun, updateReadmes } from './results.js';

const EXIT_FAILURE = 1;

try {
  const path = process.argv[2] ?? join(RESULTS_DIR, `${LATEST}.json`);
  const run = readRun(path);
  const written = updateReadmes(run);
  process.stderr.write(written.length === 0 ? 'the READMEs are up to date\n' : `rewrote ${written.map((f) => relative(REPO_ROOT, f)).join(' and ')} from ${relative(REPO_ROOT, path)}\n`);
} catch (error) {
  process.stderr.write(`bench readme: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = EXIT_FAILURE;
}
