import { readFileSync } from 'node:fs';
import { COUNT_OPTION_SPECS, DEFAULT_COUNT_CONFIG, envName } from '@uniqstream/app-config';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_PORT, parseCommandLine, SERVICE_OPTION_SPECS, type ServiceConfig } from '../src/config.js';

const FROM = 'kafka://127.0.0.1:9092/frames';
const TO = 'kafka://127.0.0.1:9092/counts';
const BASE = ['--from', FROM, '--to', TO];

/** Config files by path, for the injected reader. */
function files(contents: Record<string, string>): { readFile: (path: string) => string } {
  return {
    readFile: (path) => {
      const text = contents[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return text;
    },
  };
}

function load(
  argv: readonly string[],
  env: Record<string, string> = {},
  contents: Record<string, string> = {},
): ServiceConfig {
  const parsed = parseCommandLine(argv, env, files(contents));
  if (parsed.kind !== 'run') throw new Error('expected a run');
  return parsed.config;
}

function failure(
  argv: readonly string[],
  env: Record<string, string> = {},
  contents: Record<string, string> = {},
): { code: string; message: string } {
  try {
    parseCommandLine(argv, env, files(contents));
  } catch (error) {
    const e = error as { code: string; message: string };
    return { code: e.code, message: e.message };
  }
  throw new Error('expected a failure');
}

describe('parseCommandLine', () => {
  it('fills the defaults of core and of the service', () => {
    const config = load(BASE);
    expect(config.input).toEqual({ brokers: ['127.0.0.1:9092'], topic: 'frames' });
    expect(config.output).toEqual({ brokers: ['127.0.0.1:9092'], topic: 'counts' });
    expect(config.count.windows).toEqual(DEFAULT_COUNT_CONFIG.windows);
    expect(config.count.maxDelay).toBe(DEFAULT_COUNT_CONFIG.maxDelay);
    expect(config.count.group).toBe(DEFAULT_COUNT_CONFIG.group);
    expect(config.count.checkpointInterval).toBe(DEFAULT_COUNT_CONFIG.checkpointInterval);
    expect(config).toMatchObject({
      role: 'all',
      combine: 'union',
      partialsTopic: `${DEFAULT_COUNT_CONFIG.group}.partials`,
      checkpointTopic: `${DEFAULT_COUNT_CONFIG.group}.checkpoints`,
      httpHost: '127.0.0.1',
      httpPort: DEFAULT_HTTP_PORT,
      logLevel: 'info',
      sessionTimeoutMs: 30_000,
      missingCheckpoint: 'rebuild',
      guarantee: 'at-least-once',
    });
  });

  it(
    'exactly-once checkpoints (and so publishes) every second unless told otherwise, and needs --to ' +
      'on the --from cluster',
    () => {
      expect(load([...BASE, '--guarantee', 'exactly-once'])).toMatchObject({
        guarantee: 'exactly-once',
        count: { checkpointInterval: 1 },
      });
      expect(load([...BASE, '--guarantee', 'exactly-once', '--checkpoint-interval', '5'])).toMatchObject({
        count: { checkpointInterval: 5 },
      });
      expect(load(BASE)).toMatchObject({ count: { checkpointInterval: DEFAULT_COUNT_CONFIG.checkpointInterval } });
      expect(() =>
        load(['--from', 'kafka://a:9092/frames', '--to', 'kafka://b:9092/counts', '--guarantee', 'exactly-once']),
      ).toThrow(/--guarantee exactly-once needs --to on the cluster of --from/);
      expect(() => load([...BASE, '--guarantee', 'twice'])).toThrow(expect.objectContaining({ code: 'BAD_CONFIG' }));
    },
  );

  it('takes every shared count option as a flag, except the CLI-only ones', () => {
    const parsed = parseCommandLine(['--help'], {}, files({}));
    expect(parsed.kind).toBe('print');
    const help = parsed.kind === 'print' ? parsed.text : '';
    for (const spec of COUNT_OPTION_SPECS) {
      const shown = help.includes(`--${spec.name} `) || help.includes(`--${spec.name}\n`);
      expect({ option: spec.name, shown }).toEqual({
        option: spec.name,
        shown: !['checkpoint', 'until-idle', 'format'].includes(spec.name),
      });
    }
    for (const spec of SERVICE_OPTION_SPECS) expect(help).toContain(`--${spec.name} `);
    // What --combine sum requires is said where it is chosen.
    expect(help).toMatch(/sum[\s\S]*keyed by uid/);
  });

  it('derives the state topics from the group unless they are given', () => {
    expect(load([...BASE, '--group', 'g1'])).toMatchObject({
      partialsTopic: 'g1.partials',
      checkpointTopic: 'g1.checkpoints',
    });
    expect(load([...BASE, '--group', 'g1', '--partials-topic', 'p', '--checkpoint-topic', 'c'])).toMatchObject({
      partialsTopic: 'p',
      checkpointTopic: 'c',
    });
  });

  it('applies defaults < config file < environment < flags', () => {
    const file = JSON.stringify({
      'max-delay': 7,
      'allowed-lateness': 30,
      windows: ['minute', 'hour'],
      role: 'count',
      'http-port': 9000,
      'log-level': 'debug',
      group: 'from-file',
    });
    const env = { UNIQSTREAM_ALLOWED_LATENESS: '40', UNIQSTREAM_HTTP_PORT: '9001', UNIQSTREAM_GROUP: 'from-env' };
    const fromFile = load(['--config', 'c.json', '--from', FROM], {}, { 'c.json': file });
    expect(fromFile.count).toMatchObject({
      maxDelay: 7,
      allowedLateness: 30,
      windows: ['minute', 'hour'],
      group: 'from-file',
    });
    expect(fromFile).toMatchObject({ role: 'count', httpPort: 9000, logLevel: 'debug' });

    const withEnv = load(['--config', 'c.json', '--from', FROM], env, { 'c.json': file });
    expect(withEnv.count).toMatchObject({ maxDelay: 7, allowedLateness: 40, group: 'from-env' });
    expect(withEnv).toMatchObject({ httpPort: 9001, logLevel: 'debug', partialsTopic: 'from-env.partials' });

    const withFlags = load(
      [
        '--config',
        'c.json',
        '--from',
        FROM,
        '--allowed-lateness',
        '50',
        '--http-port',
        '9002',
        '--role',
        'all',
        '--to',
        TO,
      ],
      env,
      { 'c.json': file },
    );
    expect(withFlags.count).toMatchObject({ maxDelay: 7, allowedLateness: 50 });
    expect(withFlags).toMatchObject({ httpPort: 9002, role: 'all' });
  });

  it('finds the config file in UNIQSTREAM_CONFIG too, and names every setting UNIQSTREAM_<NAME>', () => {
    expect(load(BASE, { UNIQSTREAM_CONFIG: 'x.json' }, { 'x.json': '{"method":"hll"}' }).count.method).toBe('hll');
    expect(envName('session-timeout')).toBe('UNIQSTREAM_SESSION_TIMEOUT');
    expect(
      load(BASE, { UNIQSTREAM_SESSION_TIMEOUT: '6', UNIQSTREAM_COMBINE: 'sum', UNIQSTREAM_FROM_BEGINNING: 'true' }),
    ).toMatchObject({ sessionTimeoutMs: 6000, combine: 'sum', count: { fromBeginning: true } });
    expect(load(BASE, { UNIQSTREAM_MISSING_CHECKPOINT: 'continue', UNIQSTREAM_WALL_CLOCK_AFTER: '30' })).toMatchObject({
      missingCheckpoint: 'continue',
      count: { wallClockAfter: 30 },
    });
  });

  it.each([
    [
      'an unknown setting in the config file',
      ['--config', 'c.json', ...BASE],
      {},
      { 'c.json': '{"max-dealy": 3}' },
      /unknown setting "max-dealy" in the config file c\.json/,
    ],
    [
      'a config file that is missing',
      ['--config', 'nope.json', ...BASE],
      {},
      {},
      /cannot read the config file nope\.json: no such file/,
    ],
    [
      'a config file that is not JSON',
      ['--config', 'c.json', ...BASE],
      {},
      { 'c.json': '{max-delay: 3' },
      /config file c\.json is not valid JSON/,
    ],
    [
      'a config file that is not an object',
      ['--config', 'c.json', ...BASE],
      {},
      { 'c.json': '[1]' },
      /must hold a JSON object/,
    ],
    [
      'a bad value in the config file',
      ['--config', 'c.json', ...BASE],
      {},
      { 'c.json': '{"max-delay": -1}' },
      /max-delay must be a number of seconds >= 0.*config file c\.json/,
    ],
    [
      'a bad value in the environment',
      BASE,
      { UNIQSTREAM_HTTP_PORT: '70000' },
      {},
      /http-port must be a whole number from 0 to 65535.*UNIQSTREAM_HTTP_PORT/,
    ],
    ['a bad flag value', [...BASE, '--max-delay', 'soon'], {}, {}, /max-delay must be a number of seconds/],
    ['a bad choice', [...BASE, '--role', 'leader'], {}, {}, /--role.*Allowed choices are all, count, merge/],
    ['an unknown flag', [...BASE, '--partitons', '4'], {}, {}, /unknown option '--partitons'/],
    ['no --from', ['--to', TO], {}, {}, /--from is required/],
    ['a --from that is a file', ['--from', 'frames.jsonl', '--to', TO], {}, {}, /--from must be a Kafka topic/],
    ['no --to for the merge', ['--from', FROM, '--role', 'merge'], {}, {}, /--to is required with --role merge/],
    ['a --to that is stdout', ['--from', FROM, '--to', 'stdout'], {}, {}, /--to must be a Kafka topic/],
    ['a CLI checkpoint directory', BASE, { UNIQSTREAM_CHECKPOINT: '/tmp/ck' }, {}, /keeps its checkpoints in Kafka/],
    [
      'a bounded run',
      ['--config', 'c.json', ...BASE],
      {},
      { 'c.json': '{"until-idle": 5}' },
      /runs until it is stopped/,
    ],
    ['table output', BASE, { UNIQSTREAM_FORMAT: 'table' }, {}, /results go to Kafka as JSON/],
    [
      'a partials topic that is the input',
      [...BASE, '--partials-topic', 'frames'],
      {},
      {},
      /also the input or result topic/,
    ],
    [
      'a session timeout the broker refuses',
      [...BASE, '--session-timeout', '2'],
      {},
      {},
      /session-timeout must be a whole number from 6/,
    ],
    ['engine options core refuses', [...BASE, '--windows', 'fortnight'], {}, {}, /unknown window fortnight/],
  ])('refuses %s with one line, BAD_CONFIG', (_what, argv, env, contents, pattern) => {
    const error = failure(argv, env, contents);
    expect(error.code).toBe('BAD_CONFIG');
    expect(error.message).toMatch(pattern);
    expect(error.message).not.toContain('\n');
  });

  it('needs no --to for the counting role alone', () => {
    const config = load(['--from', FROM, '--role', 'count']);
    expect(config.output).toBeUndefined();
    expect(config.role).toBe('count');
  });

  it('accepts CLI-only settings that change nothing (a config file shared with the CLI)', () => {
    const config = load(['--config', 'c.json', ...BASE], {}, { 'c.json': '{"format": "json", "until-idle": 0}' });
    expect(config.count.format).toBe('json');
    expect(config.count.untilIdle).toBe(0);
  });

  it('prints the version and the help instead of running', () => {
    const version = parseCommandLine(['--version'], {}, files({}));
    const { version: packaged } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(version).toEqual({ kind: 'print', text: `${packaged}\n` });
  });

  it(
    'takes the Kafka connection settings from flags, the environment and the config file, the ' +
      'password from the environment or a file',
    () => {
      const secret = 'Unl1kely-Passw0rd-5e3b';
      expect(load(BASE).security).toBeUndefined();
      const flagged = load([...BASE, '--kafka-tls', '--kafka-user', 'counter'], { UNIQSTREAM_KAFKA_PASSWORD: secret });
      expect(flagged.security).toEqual({
        tls: {},
        sasl: { mechanism: 'scram-sha-512', username: 'counter', password: secret },
      });
      const fromFile = load(
        [...BASE, '--config', 'c.json'],
        { UNIQSTREAM_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256' },
        {
          'c.json': JSON.stringify({
            'kafka-user': 'counter',
            'kafka-password-file': 'pw',
            'kafka-tls-servername': 'kafka.example',
          }),
          pw: `${secret}\n`,
        },
      );
      expect(fromFile.security).toEqual({
        tls: { servername: 'kafka.example' },
        sasl: { mechanism: 'scram-sha-256', username: 'counter', password: secret },
      });
      const help = parseCommandLine(['--help'], { UNIQSTREAM_KAFKA_PASSWORD: secret }, files({}));
      const text = help.kind === 'print' ? help.text : '';
      for (const flag of [
        '--kafka-tls',
        '--kafka-ca',
        '--kafka-cert',
        '--kafka-key',
        '--kafka-tls-servername',
        '--kafka-sasl-mechanism',
        '--kafka-user',
        '--kafka-password-file',
        'UNIQSTREAM_KAFKA_PASSWORD',
      ]) {
        expect(text).toContain(flag);
      }
      expect(text).not.toContain(secret);
    },
  );

  it('refuses Kafka connection settings that cannot work as BAD_CONFIG (exit 2), never quoting the password', () => {
    const secret = 'Unl1kely-Passw0rd-5e3b';
    const cases: [readonly string[], Record<string, string>, Record<string, string>, RegExp][] = [
      [['--kafka-user', 'counter'], {}, {}, /^--kafka-user counter needs a password/],
      [
        [],
        { UNIQSTREAM_KAFKA_PASSWORD: secret },
        {},
        /^a Kafka password is given \(UNIQSTREAM_KAFKA_PASSWORD\) but no --kafka-user/,
      ],
      [
        ['--kafka-user', 'counter'],
        { UNIQSTREAM_KAFKA_PASSWORD: secret, UNIQSTREAM_KAFKA_SASL_MECHANISM: 'OAUTHBEARER' },
        {},
        /unknown SASL mechanism "OAUTHBEARER"/,
      ],
      [['--kafka-ca', 'missing.pem'], {}, {}, /^cannot read the TLS CA file missing\.pem: no such file/],
      [
        ['--config', 'c.json'],
        {},
        { 'c.json': JSON.stringify({ 'kafka-password': secret }) },
        /^kafka-password does not go in the config file/,
      ],
    ];
    for (const [argv, env, contents, message] of cases) {
      const refused = failure([...BASE, ...argv], env, contents);
      expect(refused.code).toBe('BAD_CONFIG');
      expect(refused.message).toMatch(message);
      expect(refused.message).not.toContain(secret);
    }
  });
});
