/**
 * Where things are, found from this file so the runner works from any
 * current directory: src/ and dist/ are both one level below the package.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Generated inputs, kept between runs (ignored by git). */
export const WORK_DIR = join(BENCH_DIR, '.work');
/** Reports and charts (committed). */
export const RESULTS_DIR = join(BENCH_DIR, 'results');
/** The real command, as a user runs it. */
export const CLI_BIN = join(REPO_ROOT, 'apps', 'cli', 'bin', 'uniqstream');
/** What the command runs; used directly where node itself needs flags (--cpu-prof). */
export const CLI_MAIN = join(REPO_ROOT, 'apps', 'cli', 'dist', 'main.js');
export const CONSUMER_DIST = join(REPO_ROOT, 'apps', 'consumer', 'dist');
/** The simulator, as a user runs it. */
export const SIM_BIN = join(REPO_ROOT, 'apps', 'simulator', 'bin', 'uniqstream-sim');
export const ROOT_README = join(REPO_ROOT, 'README.md');
export const BENCH_README = join(BENCH_DIR, 'README.md');
export const CONSUMER_README = join(REPO_ROOT, 'apps', 'consumer', 'README.md');
/** GNU time, for the peak RSS of a child process. */
export const GNU_TIME = '/usr/bin/time';
/** Prints the directory of a `node` binary of a major version (fetched once into .cache/node). */
export const NODE_FETCH = join(REPO_ROOT, 'tools', 'node', 'fetch.sh');
