import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE_DIR, DATA_DIR, dataLayout, jarLayout, PACKAGE_DIR, portLockFile } from '../src/paths.js';
import { parseKafkaVersion } from '../src/version.js';

describe('layout', () => {
  it('finds the package from src/ or dist/', () => {
    expect(existsSync(join(PACKAGE_DIR, 'package.json'))).toBe(true);
    expect(existsSync(join(PACKAGE_DIR, 'pom', 'kafka-4.x.xml'))).toBe(true);
    expect(existsSync(join(PACKAGE_DIR, 'pom', 'kafka-3.x.xml'))).toBe(true);
  });

  it('keeps jars in .cache and state in .data, both ignored by git', () => {
    expect(relative(PACKAGE_DIR, CACHE_DIR)).toBe('.cache');
    expect(relative(PACKAGE_DIR, DATA_DIR)).toBe('.data');
  });

  it('gives each version and port its own data, and each port one lock whatever the version', () => {
    const v4 = parseKafkaVersion('4.4.0');
    const v3 = parseKafkaVersion('3.9.1');
    const dirs = new Set([dataLayout(v4, 9092).root, dataLayout(v4, 19092).root, dataLayout(v3, 9092).root]);
    expect(dirs.size).toBe(3);
    expect(relative(DATA_DIR, dataLayout(v4, 9092).root)).toBe(join('4.4.0', '9092'));
    expect(portLockFile(9092)).not.toBe(portLockFile(19092));
    expect(jarLayout(v4).pom).toMatch(/kafka-4\.x\.xml$/);
    expect(jarLayout(v3).pom).toMatch(/kafka-3\.x\.xml$/);
  });
});
