import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { KafkaLocalError } from './errors.js';
import { minimumJava, type KafkaVersion } from './version.js';

/** $JAVA_HOME/bin/java when JAVA_HOME is set (as Kafka's scripts do), else java from PATH. */
export function javaCommand(env: Readonly<Record<string, string | undefined>>): string {
  const home = env.JAVA_HOME;
  return home !== undefined && home !== '' ? join(home, 'bin', 'java') : 'java';
}

/**
 * The feature release in `java -version` output: 17 for `openjdk version "17.0.15"`,
 * 21 for `"21"`, 8 for the old `"1.8.0_292"` scheme; null when there is none.
 */
export function parseJavaMajor(versionOutput: string): number | null {
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (match === null) return null;
  const first = Number(match[1]);
  // Before Java 9 the feature release was the second number: 1.8 is Java 8.
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

const checked = new Map<string, number>();

/** Finds java and checks it can run `version`; returns the command to run and its feature release. */
export function requireJava(
  version: KafkaVersion,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { command: string; major: number } {
  const command = javaCommand(env);
  let major = checked.get(command);
  if (major === undefined) {
    const result = spawnSync(command, ['-version'], { encoding: 'utf8' });
    if (result.error !== undefined) {
      throw new KafkaLocalError(
        'JAVA_MISSING',
        `cannot run ${command} ` +
          `(${(result.error as NodeJS.ErrnoException).code ?? result.error.message}): install a JDK ` +
          `${minimumJava(version)}+ or set JAVA_HOME`,
        { cause: result.error },
      );
    }
    const parsed = parseJavaMajor(`${result.stderr}${result.stdout}`);
    if (parsed === null) {
      throw new KafkaLocalError('JAVA_MISSING', `${command} -version did not say which Java it is`);
    }
    major = parsed;
    checked.set(command, major);
  }
  if (major < minimumJava(version)) {
    throw new KafkaLocalError(
      'JAVA_TOO_OLD',
      `Kafka ${version.text} needs Java ${minimumJava(version)} or newer, ${command} is Java ` +
        `${major}: install a newer JDK or set JAVA_HOME`,
    );
  }
  return { command, major };
}

/**
 * The broker's JVM flags: about 1 GB of heap and the G1 settings Kafka's own
 * kafka-run-class.sh uses.
 */
export const BROKER_JVM_OPTIONS: readonly string[] = [
  '-Xmx1g',
  '-Xms256m',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-Djava.awt.headless=true',
];

/**
 * The command-line tools' JVM flags: a small heap; the serial collector, which
 * starts fewer threads on a 2-core machine; and the JVM's own warnings sent to
 * stderr at error level only, since its default (warnings on stdout) would mix
 * them into the records a console consumer prints.
 */
export const TOOL_JVM_OPTIONS: readonly string[] = [
  '-Xmx256m',
  '-XX:+UseSerialGC',
  '-Djava.awt.headless=true',
  '-Xlog:disable',
  '-Xlog:all=error:stderr',
];

/**
 * kafka-topics, kafka-configs and kafka-acls live for a second or two:
 * compiling only with C1 halves their start. The console producer and
 * consumer may stream gigabytes, so they keep the optimising compiler.
 */
export const SHORT_LIVED_JVM_OPTIONS: readonly string[] = ['-XX:TieredStopAtLevel=1'];
