import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { END_MARKER, START_MARKER } from '../src/readme-block.js';
import { readRun, updateReadmes, writeRun } from '../src/results.js';
import { run } from './support/fixtures.js';

describe('writeRun and updateReadmes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-results-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the report, its data and its charts, and latest copies only for a complete run', () => {
    const partial = writeRun({ ...run, name: `${run.stamp}-partial` }, false, dir);
    expect(partial.latest).toBeNull();
    expect(existsSync(join(dir, 'latest.md'))).toBe(false);
    const complete = writeRun(run, true, dir);
    expect(readFileSync(complete.latest!, 'utf8')).toBe(readFileSync(complete.markdown, 'utf8'));
    expect(readFileSync(join(dir, '2025-01-02-0304-e2e-speed.svg'), 'utf8')).toMatch(/^<svg/);
    expect(readRun(join(dir, 'latest.json'))).toEqual(run);
  });

  it('rewrites both READMEs, or neither when one lacks its markers', () => {
    const root = join(dir, 'ROOT.md');
    const bench = join(dir, 'BENCH.md');
    const original = `# x\n\n${START_MARKER}\nold\n${END_MARKER}\n`;
    writeFileSync(root, original);
    writeFileSync(bench, '# no markers\n');
    expect(() => updateReadmes(run, { root, bench })).toThrow(/markers/);
    expect(readFileSync(root, 'utf8')).toBe(original);

    writeFileSync(bench, original);
    expect(updateReadmes(run, { root, bench })).toEqual([root, bench]);
    expect(readFileSync(root, 'utf8')).toContain('(packages/bench/results/2025-01-02-0304.md)');
    expect(readFileSync(bench, 'utf8')).toContain('(results/2025-01-02-0304.md)');
    expect(updateReadmes(run, { root, bench })).toEqual([]);
  });
});
