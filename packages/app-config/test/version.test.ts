import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readPackageVersion } from '../src/version.js';

function manifest(content: unknown): URL {
  const file = join(mkdtempSync(join(tmpdir(), 'uniqstream-version-')), 'package.json');
  writeFileSync(file, JSON.stringify(content));
  return pathToFileURL(file);
}

describe('readPackageVersion', () => {
  it("reads this package's version, and says unknown when there is none", () => {
    expect(readPackageVersion(new URL('../package.json', import.meta.url))).toMatch(/^\d+\.\d+\.\d+/);
    expect(readPackageVersion(manifest({ version: '2.3.4' }))).toBe('2.3.4');
    expect(readPackageVersion(manifest({ name: 'x' }))).toBe('unknown');
  });
});
