import { describe, expect, it } from 'vitest';
import { KafkaLocalError } from '../src/errors.js';
import {
  currentToolArgs,
  DEFAULT_KAFKA_VERSION,
  KAFKA_3_VERSION,
  loggingFlavour,
  mainClass,
  minimumJava,
  parseKafkaVersion,
  resolveVersion,
  VERSION_ENV,
} from '../src/version.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof KafkaLocalError ? error.code : 'not a KafkaLocalError';
  }
  return undefined;
}

describe('parseKafkaVersion', () => {
  it('reads major.minor.patch', () => {
    expect(parseKafkaVersion('4.4.0')).toEqual({ text: '4.4.0', major: 4, minor: 4, patch: 0 });
    expect(parseKafkaVersion(' 3.9.1\n')).toEqual({ text: '3.9.1', major: 3, minor: 9, patch: 1 });
  });

  it('refuses what is not a release number', () => {
    for (const text of ['', '4', '4.4', '4.4.0-rc1', 'v4.4.0', 'latest', '4.4.0.1', '../4.4.0']) {
      expect(
        codeOf(() => parseKafkaVersion(text)),
        text,
      ).toBe('BAD_VERSION');
    }
  });

  it('refuses lines whose jars it cannot assemble', () => {
    for (const text of ['2.8.2', '3.8.1', '5.0.0']) {
      expect(
        codeOf(() => parseKafkaVersion(text)),
        text,
      ).toBe('BAD_VERSION');
    }
  });

  it('accepts its own defaults', () => {
    expect(parseKafkaVersion(DEFAULT_KAFKA_VERSION).major).toBe(4);
    expect(parseKafkaVersion(KAFKA_3_VERSION).major).toBe(3);
  });
});

describe('resolveVersion', () => {
  it('prefers the caller, then the environment, then the default', () => {
    expect(resolveVersion('3.9.1', { [VERSION_ENV]: '4.0.0' })).toEqual({
      version: parseKafkaVersion('3.9.1'),
      explicit: true,
    });
    expect(resolveVersion(undefined, { [VERSION_ENV]: '4.0.0' })).toEqual({
      version: parseKafkaVersion('4.0.0'),
      explicit: true,
    });
    expect(resolveVersion(undefined, {})).toEqual({
      version: parseKafkaVersion(DEFAULT_KAFKA_VERSION),
      explicit: false,
    });
    expect(resolveVersion(undefined, { [VERSION_ENV]: '  ' }).explicit).toBe(false);
  });

  it('reports a bad environment value as a bad version', () => {
    expect(codeOf(() => resolveVersion(undefined, { [VERSION_ENV]: 'newest' }))).toBe('BAD_VERSION');
  });
});

describe('per-line differences', () => {
  const v3 = parseKafkaVersion('3.9.1');
  const v4 = parseKafkaVersion('4.0.0');

  it('finds the console producer where each line keeps it', () => {
    expect(mainClass(v3, 'console-producer')).toBe('kafka.tools.ConsoleProducer');
    expect(mainClass(v4, 'console-producer')).toBe('org.apache.kafka.tools.ConsoleProducer');
    expect(mainClass(v3, 'topics')).toBe(mainClass(v4, 'topics'));
    expect(mainClass(v3, 'console-consumer')).toBe(mainClass(v4, 'console-consumer'));
    expect(mainClass(v3, 'configs')).toBe('kafka.admin.ConfigCommand');
    expect(mainClass(v4, 'configs')).toBe('org.apache.kafka.tools.ConfigCommand');
    expect(mainClass(v3, 'acls')).toBe('kafka.admin.AclCommand');
    expect(mainClass(v4, 'acls')).toBe('org.apache.kafka.tools.AclCommand');
  });

  it('logs through log4j 1 on 3.x and log4j2 on 4.x', () => {
    expect(loggingFlavour(v3)).toBe('log4j1');
    expect(loggingFlavour(v4)).toBe('log4j2');
  });

  it('needs Java 17 for 4.x', () => {
    expect(minimumJava(v4)).toBe(17);
    expect(minimumJava(v3)).toBeLessThan(17);
  });
});

describe('currentToolArgs', () => {
  const args = [
    '--bootstrap-server',
    '127.0.0.1:9092',
    '--property',
    'print.key=true',
    '--property=key.separator=,',
    '--topic',
    'property',
  ];

  it('renames the options KIP-1147 deprecated, from 4.2 on, for the console tools', () => {
    expect(currentToolArgs(parseKafkaVersion('4.4.0'), 'console-consumer', args)).toEqual([
      '--bootstrap-server',
      '127.0.0.1:9092',
      '--formatter-property',
      'print.key=true',
      '--formatter-property=key.separator=,',
      '--topic',
      'property',
    ]);
    expect(
      currentToolArgs(parseKafkaVersion('4.2.0'), 'console-producer', [
        '--property',
        'parse.key=true',
        '--producer-property',
        'acks=all',
        '--producer.config',
        'p.properties',
      ]),
    ).toEqual([
      '--reader-property',
      'parse.key=true',
      '--command-property',
      'acks=all',
      '--command-config',
      'p.properties',
    ]);
  });

  it('leaves older versions and other tools alone', () => {
    expect(currentToolArgs(parseKafkaVersion('4.1.1'), 'console-consumer', args)).toEqual(args);
    expect(currentToolArgs(parseKafkaVersion('3.9.1'), 'console-producer', args)).toEqual(args);
    expect(currentToolArgs(parseKafkaVersion('4.4.0'), 'topics', args)).toEqual(args);
  });

  it('changes nothing but the renamed option names', () => {
    const out = currentToolArgs(parseKafkaVersion('4.4.0'), 'console-consumer', args);
    expect(out).toHaveLength(args.length);
    out.forEach((arg, i) => {
      if (arg !== args[i]) expect(args[i]?.startsWith('--property')).toBe(true);
    });
  });
});
