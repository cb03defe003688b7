import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface RunOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;
/** Lines of a failed command's output shown in the error: enough for npm's and tsc's reasons. */
const FAILURE_TAIL_LINES = 40;

/** Runs a command to its end; a failure says which command and ends with its output. */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { ...options, maxBuffer: MAX_OUTPUT_BYTES }, (error, stdout, stderr) => {
      if (error === null) {
        resolve(stdout);
        return;
      }
      const output = `${stdout}\n${stderr}`.trimEnd().split('\n').slice(-FAILURE_TAIL_LINES).join('\n');
      reject(new Error(`${command} ${args.join(' ')} (in ${options.cwd}) failed: ${error.message}\n${output}`));
    });
  });
}

/**
 * The environment of the test process without npm's and pnpm's settings:
 * vitest runs under `pnpm run`, which exports npm_config_* (registry, user
 * agent, ...) that would send installs and publishes elsewhere.
 */
export function cleanEnv(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|pnpm_|npm_config_|turbo_)/i.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

/**
 * Copies what `git` would put in a clone, plus files not yet committed and
 * not ignored: the checkout as it is, without node_modules, dist or caches.
 */
export async function copyWorkspace(from: string, to: string): Promise<number> {
  const listing = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: from,
    env: process.env,
  });
  const files = [...new Set(listing.split('\0').filter((file) => file !== ''))];
  let copied = 0;
  for (const file of files) {
    const source = join(from, file);
    // A tracked file deleted in the checkout is listed but gone.
    if (!existsSync(source)) continue;
    await mkdir(dirname(join(to, file)), { recursive: true });
    await copyFile(source, join(to, file));
    copied += 1;
  }
  return copied;
}

export interface WorkspacePackage {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
  readonly private: boolean;
}

/** The packages of the workspace's package folders, read from their package.json. */
export async function workspacePackages(root: string): Promise<readonly WorkspacePackage[]> {
  const found: WorkspacePackage[] = [];
  for (const folder of ['packages', 'apps', 'tools']) {
    for (const entry of await readdir(join(root, folder), { withFileTypes: true })) {
      const manifest = join(root, folder, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(manifest)) continue;
      const json = JSON.parse(await readFile(manifest, 'utf8')) as { name: string; version: string; private?: boolean };
      found.push({ name: json.name, version: json.version, dir: dirname(manifest), private: json.private === true });
    }
  }
  return found;
}

/** Packages that a pending changeset bumps as major, from the changesets' frontmatter. */
export async function majorBumps(changesetDir: string): Promise<ReadonlySet<string>> {
  const names = new Set<string>();
  for (const file of await readdir(changesetDir)) {
    if (!file.endsWith('.md') || file === 'README.md') continue;
    const text = await readFile(join(changesetDir, file), 'utf8');
    const frontmatter = /^---\n([\s\S]*?)\n---/.exec(text)?.[1] ?? '';
    for (const match of frontmatter.matchAll(/^["']?([^"':]+)["']?\s*:\s*major\s*$/gm)) {
      if (match[1] !== undefined) names.add(match[1]);
    }
  }
  return names;
}

/** The first ```ts block under a `## heading` of a Markdown file. */
export function codeBlockUnder(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`no "## ${heading}" section`);
  const nextSection = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, nextSection < 0 ? undefined : nextSection);
  const block = /\n```ts\n([\s\S]*?)\n```\n/.exec(section)?.[1];
  if (block === undefined) throw new Error(`no \`\`\`ts block under "## ${heading}"`);
  return `${block}\n`;
}
