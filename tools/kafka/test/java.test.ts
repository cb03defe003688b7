import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { KafkaLocalError } from '../src/errors.js';
import { javaCommand, parseJavaMajor, requireJava } from '../src/java.js';
import { parseKafkaVersion } from '../src/version.js';

const java = spawnSync('java', ['-XshowSettings:properties', '-version'], { encoding: 'utf8' });
const hasJava = java.error === undefined && java.status === 0;

describe('parseJavaMajor', () => {
  it('reads the scheme of Java 9 and later, and the 1.x scheme before it', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment')).toBe(17);
    expect(parseJavaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(parseJavaMajor('java version "1.8.0_292"\nJava(TM) SE Runtime Environment')).toBe(8);
    expect(parseJavaMajor('openjdk version "11.0.2-ea" 2019-01-15')).toBe(11);
    expect(parseJavaMajor('command not found')).toBeNull();
  });

  it.skipIf(!hasJava)("agrees with the java.specification.version this machine's java reports", () => {
    const spec = /java\.specification\.version = (\S+)/.exec(java.stderr)?.[1];
    expect(spec).toBeDefined();
    const specMajor = Number(spec?.startsWith('1.') ? spec.slice(2) : spec);
    const plain = spawnSync('java', ['-version'], { encoding: 'utf8' });
    expect(parseJavaMajor(plain.stderr)).toBe(specMajor);
  });
});

describe('requireJava', () => {
  it('uses JAVA_HOME when set', () => {
    expect(javaCommand({ JAVA_HOME: '/opt/jdk' })).toBe('/opt/jdk/bin/java');
    expect(javaCommand({})).toBe('java');
  });

  it('says JAVA_MISSING when there is no java to run', () => {
    const error = (() => {
      try {
        requireJava(parseKafkaVersion('4.4.0'), { JAVA_HOME: '/nonexistent/jdk' });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(KafkaLocalError);
    expect((error as KafkaLocalError).code).toBe('JAVA_MISSING');
  });
});
