/**
 * Rewrites the performance sections of the root README, the bench README
 * and the consumer service's README (between `<!-- bench:start -->` and
 * `<!-- bench:end -->`) from a report's JSON, by default results/latest.json. `npm run bench` does this itself after
 * a complete run; this is for doing it again, e.g. after editing the text
 * around the markers. Partial reports named after it replace (or join) the
 * complete run's suites they measured, each quoted with its report.
 *
 * node packages/bench/dist/readme.js [packages/bench/results/2025-11-26-1405.json
 * [results/2025-11-28-1012-partial.json ...]]
 */
import { join, relative, resolve } from 'node:path';
import { REPO_ROOT, RESULTS_DIR } from './paths.js';
import { LATEST, readRun, updateReadmes, withPartial } from './results.js';

const EXIT_FAILURE = 1;

try {
  const [path = join(RESULTS_DIR, `${LATEST}.json`), ...partials] = process.argv.slice(2);
  const run = partials.reduce((base, partial) => withPartial(base, readRun(partial)), readRun(path));
  const written = updateReadmes(run);
  const from = [path, ...partials].map((p) => relative(REPO_ROOT, resolve(p))).join(' + ');
  process.stderr.write(
    written.length === 0
      ? 'the READMEs are up to date\n'
      : `rewrote ${written.map((f) => relative(REPO_ROOT, f)).join(', ')} from ${from}\n`,
  );
} catch (error) {
  process.stderr.write(`bench readme: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = EXIT_FAILURE;
}
