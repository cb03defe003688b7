import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { generateChunks } from '@uniqstream/generator';
import { BIN, sim } from './support/bin.js';

describe('uniqstream-sim --help', () => {
  const help = sim(['--help']);

  it('exits 0 and prints help on stdout', () => {
    expect(help.status).toBe(0);
    expect(help.stdout.toString()).toContain('Usage: uniqstream-sim');
  });

  it('documents every option, with its default where it has one', () => {
    const text = help.stdout.toString().replace(/\s+/g, ' ');
    const flags = [
      '--seed',
      '--users',
      '--zipf',
      '--rate',
      '--start',
      '--frames',
      '--duration',
      '--frame-bytes',
      '--realtime',
      '--late-fraction',
      '--max-delay',
      '--tail-fraction',
      '--tail-delay',
      '--bitflip-fraction',
      '--malformed-fraction',
      '--ts-string-fraction',
      '--crlf',
      '--tz',
      '--truth',
      '--to',
      '--partitions',
      '--key',
      '--compression',
      '--progress',
      '--kafka-wait',
      '--kafka-outage',
      '-q, --quiet',
      '-V, --version',
    ];
    for (const flag of flags) expect(text).toContain(flag);
    for (const shown of [
      '(default: 1)',
      '(default: 100000)',
      '(default: 1000)',
      '(default: 2048)',
      '(default: "stdout")',
      'default 100000',
      '(default: 60',
      'as long as it takes (default: 300)',
    ]) {
      expect(text).toContain(shown);
    }
  });

  it('documents the Kafka connection settings, the password in the environment only', () => {
    const text = help.stdout.toString();
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
    const refused = sim(['--frames', '1', '--to', 'kafka://127.0.0.1:1/t', '--kafka-user', 'sim']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe(
      'uniqstream-sim: --kafka-user sim needs a password: set UNIQSTREAM_KAFKA_PASSWORD or --kafka-password-file\n',
    );
  });

  it('documents replay', () => {
    const replay = sim(['replay', '--help']);
    expect(replay.status).toBe(0);
    expect(replay.stdout.toString()).toContain('--rate');
  });
});

describe('uniqstream-sim --version', () => {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

  it.each([['--version'], ['-V']])('%s prints the version of package.json on stdout and exits 0', (flag) => {
    const result = sim([flag]);
    expect(result.status).toBe(0);
    expect(result.stdout.toString()).toBe(`${manifest.version}\n`);
    expect(result.stderr).toBe('');
  });
});

describe('uniqstream-sim -q', () => {
  it('prints neither progress nor the summary, even with --progress', () => {
    const loud = sim(['--frames', '50', '--frame-bytes', '100', '--progress']);
    const quiet = sim(['--frames', '50', '--frame-bytes', '100', '--progress', '-q']);
    expect(loud.stderr).toMatch(/^uniqstream-sim: 50 frames /);
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout.equals(loud.stdout)).toBe(true);
  });

  it('quiets replay too, and still reports an error in one line', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sim-quiet-')), 'frames.jsonl');
    writeFileSync(path, sim(['--frames', '5', '--frame-bytes', '100', '-q']).stdout);
    const replayed = sim(['replay', path, '-q']);
    expect(replayed.status).toBe(0);
    expect(replayed.stderr).toBe('');
    const missing = sim(['replay', `${path}.missing`, '-q']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^uniqstream-sim: cannot read .*\n$/);
  });
});

describe('bad options', () => {
  it.each([
    [['--rate', 'abc']],
    [['--users', '0']],
    [['--late-fraction', '2']],
    [['--to', 'ftp://example.com/x']],
    [['--tz', 'Nowhere/Atlantis']],
    [['--key', 'user']],
    [['--start', 'tomorrow']],
    [['--frames', '10', '--duration', '5']],
    [['--tail-fraction', '0.1', '--max-delay', '10', '--tail-delay', '8']],
    [['--unknown-option']],
  ])('%j: one line on stderr, exit 2, no stack trace, nothing on stdout', (args) => {
    const result = sim(args);
    expect(result.status).toBe(2);
    expect(result.stdout.length).toBe(0);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^uniqstream-sim: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the shim', () => {
  it('follows symlinks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-link-'));
    const link = join(dir, 'uniqstream-sim');
    symlinkSync(BIN, link);
    const result = spawnSync(link, ['--frames', '2', '--frame-bytes', '10', '--quiet']);
    expect(result.status).toBe(0);
    expect(result.stdout.toString().split('\n')).toHaveLength(3);
  });

  it('says to run setup when dist is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-nodist-'));
    cpSync(BIN, join(dir, 'bin', 'uniqstream-sim'));
    const result = spawnSync(join(dir, 'bin', 'uniqstream-sim'), ['--help']);
    expect(result.status).toBe(1);
    const stderr = result.stderr.toString();
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toContain('npm run setup');
  });
});

describe('determinism through the binary', () => {
  const args = ['--seed', '42', '--frames', '3000', '--frame-bytes', '600', '--realistic', '--quiet'];
  const first = sim(args);

  it('gives the same bytes for the same seed and options', () => {
    expect(first.status).toBe(0);
    expect(sim(args).stdout.equals(first.stdout)).toBe(true);
  });

  it('gives other bytes for another seed', () => {
    expect(sim(['--seed', '43', ...args.slice(2)]).stdout.equals(first.stdout)).toBe(false);
  });

  it('writes what the library makes for the same options', () => {
    const library = Buffer.concat([
      ...generateChunks({
        seed: 42,
        users: 100_000,
        rate: 1000,
        start: Date.UTC(2016, 6, 11, 13, 39, 44) / 1000,
        frames: 3000,
        frameBytes: 600,
        lateFraction: 0.05,
        maxDelay: 5,
        tailFraction: 0.001,
        tailDelay: 60,
        bitflipFraction: 0.0001,
        malformedFraction: 0.001,
        tsStringFraction: 0.01,
      }),
    ]);
    expect(first.stdout.equals(library)).toBe(true);
  });

  it('prints only frames on stdout and a summary line on stderr', () => {
    const loud = sim(['--seed', '42', '--frames', '3000', '--frame-bytes', '600', '--realistic']);
    expect(loud.stdout.equals(first.stdout)).toBe(true);
    expect(loud.stderr).toMatch(/^uniqstream-sim: 3000 frames .*MB\/s\) to stdout\n$/);
  });
});

describe('a reader of stdout that goes away early', () => {
  it('ends --help quietly', () => {
    const result = spawnSync('sh', ['-c', `${BIN} --help | head -1`], { encoding: 'utf8' });
    expect(result.stdout).toMatch(/^Usage: uniqstream-sim/);
    expect(result.stderr).toBe('');
    // A reader gone before the first write: every write fails.
    const gone = spawnSync('sh', ['-c', `${BIN} --help | true`], { encoding: 'utf8' });
    expect(gone.stderr).toBe('');
  });
});
