import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateChunks, REALISTIC } from '@uniqstream/generator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_DIR } from '../../src/paths.js';
import { type RegistryInfo, startRegistry, stopRegistry } from '../../src/registry.js';
import {
  cleanEnv,
  codeBlockUnder,
  copyWorkspace,
  majorBumps,
  run,
  type WorkspacePackage,
  workspacePackages,
} from './workspace.js';

/*
 * Publishing, end to end: the workspace as checked out is versioned by its
 * pending changesets and published to a real registry (Verdaccio), and a
 * project that knows nothing of the workspace installs the packages with
 * plain npm, type-checks core's README example and runs it against the CLI.
 */

/** What a user of the library installs; the README example uses all four. */
const INSTALLED = ['@uniqstream/core', '@uniqstream/frames', '@uniqstream/sources', '@uniqstream/sinks'];
const EXAMPLE_README = 'packages/core/README.md';
const EXAMPLE_HEADING = 'Use it from code';
/**
 * The registry keeps what it proxied from npmjs (typescript, @types/node,
 * kafkajs) across runs; what the test publishes is removed before each.
 */
const REGISTRY_DIR = join(REPO_DIR, '.cache', 'registry', 'publish-test');
/** Enough event time for several minute windows, late frames and damage, in a few MB. */
const STREAM = {
  seed: 15,
  users: 2_000,
  rate: 40,
  start: 1_468_244_384,
  frames: 16_000,
  frameBytes: 512,
  ...REALISTIC,
};
const SCRATCH_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    // The packages' own declarations are checked too: a broken .d.ts fails here.
    skipLibCheck: false,
    types: ['node'],
    rootDir: 'src',
    outDir: 'dist',
  },
  include: ['src'],
};

const started = Date.now();
function progress(step: string): void {
  console.log(`[publish test ${((Date.now() - started) / 1000).toFixed(1)} s] ${step}`);
}

let temp: string;
let workspace: string;
let scratch: string;
let registry: RegistryInfo;
let pnpm: string;
let before: readonly WorkspacePackage[];

beforeAll(async () => {
  const version = (
    JSON.parse(await readFile(join(REPO_DIR, 'package.json'), 'utf8')) as { packageManager: string }
  ).packageManager.split('@')[1];
  pnpm = join(REPO_DIR, '.cache', `pnpm-${version}`, 'node_modules', '.bin', 'pnpm');
  if (!existsSync(pnpm)) throw new Error(`${pnpm} is missing: run \`npm run setup\` first`);
  temp = await mkdtemp(join(tmpdir(), 'uniqstream-publish-'));
  workspace = join(temp, 'workspace');
  scratch = join(temp, 'scratch');
  await stopRegistry({ dir: REGISTRY_DIR });
  await rm(join(REGISTRY_DIR, 'storage', '@uniqstream'), { recursive: true, force: true });
  registry = await startRegistry({ dir: REGISTRY_DIR, log: progress });
});

afterAll(async () => {
  await stopRegistry({ dir: REGISTRY_DIR });
  if (temp !== undefined) await rm(temp, { recursive: true, force: true });
});

/** pnpm, turbo and changesets in the copy: the pinned pnpm first on PATH, npm pointed at the registry. */
function workspaceEnv(): NodeJS.ProcessEnv {
  return cleanEnv({
    PATH: `${join(pnpm, '..')}:${process.env.PATH ?? ''}`,
    npm_config_registry: registry.url,
    NPM_CONFIG_USERCONFIG: registry.npmrc,
    TURBO_TELEMETRY_DISABLED: '1',
    DO_NOT_TRACK: '1',
  });
}

describe('publishing', () => {
  it('copies the workspace and installs it offline from the pnpm store', async () => {
    const copied = await copyWorkspace(REPO_DIR, workspace);
    progress(`copied ${copied} files to ${workspace}`);
    before = await workspacePackages(workspace);
    // The token reaches pnpm publish through the project's .npmrc, which pnpm reads for auth.
    await writeFile(join(workspace, '.npmrc'), await readFile(registry.npmrc, 'utf8'));
    // Scripts are not needed to build or publish (simdjson is optional and compiles for minutes).
    const args = ['install', '--offline', '--frozen-lockfile', '--ignore-scripts', '--reporter=silent'];
    await run(pnpm, args, { cwd: workspace, env: workspaceEnv() });
    progress('installed');
  });

  it('builds the public packages', async () => {
    const filters = before.filter((pkg) => !pkg.private).map((pkg) => `--filter=${pkg.name}`);
    const turbo = ['exec', 'turbo', 'run', 'build', ...filters, '--concurrency=2', '--output-logs=errors-only'];
    await run(pnpm, [...turbo, '--cache-dir=.turbo/cache'], { cwd: workspace, env: workspaceEnv() });
    progress('built');
  });

  it('versions every package from the pending changesets, each bumped package with a CHANGELOG.md', async () => {
    await run(pnpm, ['exec', 'changeset', 'version'], { cwd: workspace, env: workspaceEnv() });
    const after = await workspacePackages(workspace);
    const majors = await majorBumps(join(REPO_DIR, '.changeset'));
    for (const pkg of after.filter((each) => !each.private)) {
      const old = before.find((each) => each.name === pkg.name);
      expect(old, pkg.name).toBeDefined();
      if (old === undefined || old.version === pkg.version) continue;
      expect(existsSync(join(pkg.dir, 'CHANGELOG.md')), `${pkg.name}'s CHANGELOG.md`).toBe(true);
      // A peer dependency's minor release must not make its dependents major (see .changeset/config.json).
      if (!majors.has(pkg.name)) {
        expect(pkg.version.split('.')[0], `${pkg.name} ${old.version} -> ${pkg.version}`).toBe(
          old.version.split('.')[0],
        );
      }
    }
    progress(`versioned: ${after.map((pkg) => `${pkg.name}@${pkg.version}`).join(', ')}`);
  });

  it('publishes every public package to the registry', async () => {
    const args = ['exec', 'changeset', 'publish', '--no-git-tag'];
    await run(pnpm, args, { cwd: workspace, env: workspaceEnv() });
    for (const pkg of (await workspacePackages(workspace)).filter((each) => !each.private)) {
      const response = await fetch(new URL(pkg.name.replace('/', '%2f'), registry.url));
      expect(response.status, pkg.name).toBe(200);
      const packument = (await response.json()) as { versions: Record<string, unknown> };
      expect(Object.keys(packument.versions), pkg.name).toContain(pkg.version);
    }
    progress('published');
  });

  it('installs core, frames, sources and sinks with plain npm, and type-checks the README example', async () => {
    const versions = new Map((await workspacePackages(workspace)).map((pkg) => [pkg.name, pkg.version]));
    await mkdir(join(scratch, 'src'), { recursive: true });
    await writeFile(
      join(scratch, 'package.json'),
      `${JSON.stringify({ name: 'scratch', private: true, type: 'module' })}\n`,
    );
    await writeFile(join(scratch, 'tsconfig.json'), `${JSON.stringify(SCRATCH_TSCONFIG, null, 2)}\n`);
    const readme = await readFile(join(workspace, EXAMPLE_README), 'utf8');
    await writeFile(join(scratch, 'src', 'count.ts'), codeBlockUnder(readme, EXAMPLE_HEADING));
    const wanted = [
      ...INSTALLED.map((name) => `${name}@${versions.get(name)}`),
      'typescript@~5.9.3',
      '@types/node@^20',
    ];
    const npmEnv = cleanEnv({ NPM_CONFIG_USERCONFIG: join(scratch, '.npmrc-none') });
    // --ignore-scripts: simdjson, frames' optional addon, would compile for minutes; the example does not use it.
    const npmFlags = [
      '--registry',
      registry.url,
      '--no-audit',
      '--no-fund',
      '--no-update-notifier',
      '--ignore-scripts',
    ];
    await run('npm', ['install', ...npmFlags, ...wanted], { cwd: scratch, env: npmEnv });
    progress(`installed ${wanted.join(' ')} with npm`);
    for (const name of INSTALLED) {
      // Real files from the registry's tarballs, not links into the workspace.
      const manifest = JSON.parse(await readFile(join(scratch, 'node_modules', name, 'package.json'), 'utf8'));
      expect(manifest.version, name).toBe(versions.get(name));
    }
    await run(join(scratch, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: scratch, env: npmEnv });
    progress('type-checked and compiled the example');
  });

  it("counts a file of frames with the example, with the same results as the CLI's", async () => {
    const frames = join(temp, 'frames.jsonl');
    const file = await open(frames, 'w');
    try {
      // Written as generated: the generator may reuse a chunk's buffer for the next one.
      for (const chunk of generateChunks(STREAM)) await file.write(chunk);
    } finally {
      await file.close();
    }
    const env = cleanEnv({});
    const cli = join(REPO_DIR, 'apps', 'cli', 'bin', 'uniqstream');
    const expected = await run(cli, ['count', '--quiet', frames], { cwd: temp, env });
    const actual = await run(process.execPath, [join(scratch, 'dist', 'count.js'), frames], { cwd: scratch, env });
    const lines = expected.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(5);
    expect(actual).toBe(expected);
    progress(`the example's ${lines.length} results equal the CLI's`);
  });
});
