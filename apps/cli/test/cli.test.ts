import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateChunks } from '@uniqstream/generator';
import { linesOf, referenceCounts, type Counts } from '@uniqstream/reference';
import { beforeAll, describe, expect, it } from 'vitest';

const BIN = new URL('../bin/uniqstream', import.meta.url).pathname;
const T0 = 1468244340;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real binary; `input` is written to stdin in pieces of random sizes. */
function run(args: readonly string[], input?: Buffer, seed = 1, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
    child.stdin.on('error', () => undefined);
    if (input) {
      let state = seed;
      let at = 0;
      const next = (): void => {
        while (at < input.length) {
          state = (Math.imul(state, 1103515245) + 12345) >>> 0;
          const size = 1 + (state % 9000);
          const ok = child.stdin.write(input.subarray(at, at + size));
          at += size;
          if (!ok) {
            child.stdin.once('drain', next);
            return;
          }
        }
        child.stdin.end();
      };
      next();
    } else child.stdin.end();
  });
}

/** The docs/frames.md definition, with JSON.parse and Sets: distinct root uids of valid frames per window. */
function reference(bytes: Buffer, windowSeconds = 60): Map<number, Counts> {
  return referenceCounts(linesOf(bytes), windowSeconds);
}

interface Result {
  window: string;
  start: number;
  end: number;
  users: number;
  frames: number;
  revision: number;
  final: boolean;
  method: string;
}

function finals(stdout: string): Map<string, Result> {
  const out = new Map<string, Result>();
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const r = JSON.parse(line) as Result;
    if (r.final) {
      expect(out.has(`${r.window}:${r.start}`)).toBe(false);
      out.set(`${r.window}:${r.start}`, r);
    }
  }
  return out;
}

let dir: string;
let stream: Buffer;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'uniqstream-cli-'));
  const chunks = [
    ...generateChunks({
      seed: 7,
      users: 3000,
      rate: 100,
      start: T0 + 17,
      duration: 400,
      frameBytes: 600,
      lateFraction: 0.3,
      maxDelay: 5,
      malformedFraction: 0.01,
      tsStringFraction: 0.05,
    }),
  ];
  stream = Buffer.concat(chunks);
  writeFileSync(join(dir, 'stream.jsonl'), stream);
  writeFileSync(join(dir, 'stream.jsonl.gz'), gzipSync(stream));
});

describe('uniqstream count', () => {
  it('counts a file exactly: the final result of every minute matches a JSON.parse + Set reference', async () => {
    const result = await run(['count', join(dir, 'stream.jsonl')]);
    expect(result.code).toBe(0);
    const expected = reference(stream);
    const got = finals(result.stdout);
    expect(got.size).toBe(expected.size);
    for (const [start, ref] of expected) {
      expect(got.get(`minute:${start}`)).toMatchObject({ ...ref, end: start + 60, method: 'exact' });
    }
    // Disorder stays within the maximum delay: nothing is late, so the first
    // result of a window already has its final counts.
    for (const line of result.stdout.trim().split('\n')) {
      const r = JSON.parse(line) as Result;
      expect({ users: r.users, frames: r.frames }).toEqual(expected.get(r.start));
    }
    expect(result.stderr).toMatch(/read 40,000 frames/);
    expect(result.stderr).toMatch(/malformed \d+ \(/);
  });

  it('gives the same output for gzip, for stdin in random pieces, and through - ', async () => {
    const plain = await run(['count', join(dir, 'stream.jsonl')]);
    const gz = await run(['count', join(dir, 'stream.jsonl.gz')]);
    const stdin = await run(['count'], stream, 3);
    const dash = await run(['count', '-', '--windows', 'minute'], gzipSync(stream), 11);
    expect(gz.stdout).toBe(plain.stdout);
    expect(stdin.stdout).toBe(plain.stdout);
    expect(dash.stdout).toBe(plain.stdout);
  });

  it('computes several granularities in one pass', async () => {
    const result = await run(['count', join(dir, 'stream.jsonl'), '--windows', 'minute,hour,day']);
    expect(result.code).toBe(0);
    const got = finals(result.stdout);
    for (const [g, size] of [
      ['minute', 60],
      ['hour', 3600],
      ['day', 86400],
    ] as const) {
      for (const [start, ref] of reference(stream, size)) expect(got.get(`${g}:${start}`)).toMatchObject(ref);
    }
  });

  it('agrees across --parser fast, json and simdjson', async () => {
    const fast = await run(['count', join(dir, 'stream.jsonl'), '--parser', 'fast']);
    const json = await run(['count', join(dir, 'stream.jsonl'), '--parser', 'json']);
    const simd = await run(['count', join(dir, 'stream.jsonl'), '--parser', 'simdjson']);
    expect(json.stdout).toBe(fast.stdout);
    expect(simd.stdout).toBe(fast.stdout);
  });

  it('prints a table with --format table', async () => {
    const result = await run(['count', join(dir, 'stream.jsonl'), '--format', 'table']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/window\s+start\s+end\s+users\s+frames/);
    expect(lines.some((l) => l.includes('2016-07-11T13:40:00Z'))).toBe(true);
  });

  it('prints the table in the --tz time zone, named in the header', async () => {
    const result = await run([
      'count',
      join(dir, 'stream.jsonl'),
      '--format',
      'table',
      '--tz',
      'Europe/Zurich',
      '--windows',
      'minute,day',
    ]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^window\s+start \(Europe\/Zurich\)\s+end \(Europe\/Zurich\)\s+users/);
    expect(lines.some((l) => /^minute\s+2016-07-11T15:40:00\+02:00\s+2016-07-11T15:41:00\+02:00\s/.test(l))).toBe(true);
    // The day is Zurich's, from local midnight.
    expect(lines.some((l) => /^day\s+2016-07-11T00:00:00\+02:00\s+2016-07-12T00:00:00\+02:00\s/.test(l))).toBe(true);
    expect(result.stdout).not.toMatch(/\d{2}Z\s/);
  });

  it('says "1 frame", not "1 frames"', async () => {
    const result = await run(['count'], Buffer.from(`{"uid":"a","ts":${T0}}\n`));
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/read 1 frame \(/);
  });

  it('counts every byte read in the summary, the cut-off rest of a too-long frame included', async () => {
    const path = join(dir, 'long-frame.jsonl');
    const content = Buffer.from(
      `{"uid":"a","ts":${T0}}\n{"uid":"b","ts":${T0},"pad":"${'x'.repeat(3_000_000)}"}\n{"uid":"c","ts":${T0 + 1}}\n`,
    );
    writeFileSync(path, content);
    const result = await run(['count', path]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/read 3 frames \(3\.0 MB\)/);
    expect(result.stderr).toMatch(/too-long 1/);
  });

  it('warns in one line when input was read but not one frame of it was valid', async () => {
    let state = 99;
    const noise = Buffer.from(
      Array.from({ length: 200_000 }, () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 24),
    );
    const result = await run(['count'], noise);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/counted 0,/);
    const warnings = result.stderr.split('\n').filter((l) => /warning/.test(l));
    expect(warnings).toEqual([
      expect.stringMatching(/^uniqstream: warning: no valid frame in 200,000 bytes: is this JSON lines/),
    ]);
    // One valid frame is enough to say nothing.
    const mixed = await run(['count'], Buffer.concat([noise, Buffer.from(`\n{"uid":"a","ts":${T0}}\n`)]));
    expect(mixed.stderr).not.toMatch(/warning/);
  });

  it('gives up on an unreachable Kafka broker after --kafka-wait seconds, in one error line', async () => {
    const result = await run(['count', '--from', 'kafka://127.0.0.1:1/stream', '--kafka-wait', '1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^uniqstream: error: cannot reach Kafka at 127\.0\.0\.1:1/m);
    const bad = await run(['count', '--kafka-wait', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/kafka-wait/);
  });

  it(
    'takes the Kafka connection settings as flags and UNIQSTREAM_KAFKA_* variables, and never shows ' + 'the password',
    async () => {
      const secret = 'Unl1kely-Passw0rd-5e3b';
      const env = { UNIQSTREAM_KAFKA_PASSWORD: secret };
      const help = await run(['count', '--help'], undefined, 1, env);
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
        expect(help.stdout).toContain(flag);
      }
      expect(help.stdout).not.toMatch(/--kafka-password\b(?!-file)/);
      // Configuration that cannot work: exit 2, one line, before anything connects.
      const refusals: [readonly string[], Record<string, string>, RegExp][] = [
        [
          ['--kafka-user', 'cli'],
          {},
          /--kafka-user cli needs a password: set UNIQSTREAM_KAFKA_PASSWORD or --kafka-password-file/,
        ],
        [['--kafka-user', 'cli', '--kafka-sasl-mechanism', 'GSSAPI'], env, /unknown SASL mechanism "GSSAPI"/],
        [['--kafka-ca', join(dir, 'no-ca.pem')], {}, /cannot read the TLS CA file .*no-ca\.pem: no such file/],
        [
          ['--kafka-user', 'cli', '--kafka-password-file', join(dir, 'no-password')],
          {},
          /cannot read the Kafka password file .*no-password: no such file/,
        ],
        [['--kafka-ca', join(dir, 'stream.jsonl')], {}, /the TLS CA file .*stream\.jsonl is not a PEM certificate/],
      ];
      for (const [flags, extra, line] of refusals) {
        const refused = await run(['count', '--from', 'kafka://127.0.0.1:1/stream', ...flags], undefined, 1, extra);
        expect(refused.code).toBe(2);
        expect(refused.stderr.trim().split('\n')).toHaveLength(1);
        expect(refused.stderr).toMatch(line);
      }
      // A run that cannot connect: exit 1, and the password nowhere.
      const away = await run(
        ['count', '--from', 'kafka://127.0.0.1:1/stream', '--kafka-wait', '1', '--kafka-tls', '--kafka-user', 'cli'],
        undefined,
        1,
        env,
      );
      expect(away.code).toBe(1);
      expect(away.stderr).toMatch(/^uniqstream: error: cannot reach Kafka at 127\.0\.0\.1:1/m);
      for (const shown of [help, away]) expect(shown.stdout + shown.stderr).not.toContain(secret);
    },
  );

  it('writes dropped frames with their reason to a dead-letter file', async () => {
    const letters = join(dir, 'dead.jsonl');
    const result = await run(['count', join(dir, 'stream.jsonl'), '--dead-letter', `file:${letters}`]);
    expect(result.code).toBe(0);
    const rows = readFileSync(letters, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { reason: string; detail: string });
    const malformed = Number(/malformed ([\d,]+)/.exec(result.stderr)![1]!.replace(/,/g, ''));
    expect(rows.length).toBe(malformed);
    expect(rows.every((r) => r.reason === 'malformed')).toBe(true);
  });

  it('runs the embedded demo with no input', async () => {
    const result = await run(['count', '--demo', '--emit', 'final']);
    expect(result.code).toBe(0);
    const got = finals(result.stdout);
    expect(got.size).toBeGreaterThanOrEqual(3);
    expect(result.stderr).toMatch(/late [\d,]+/);
  });

  it('explains every option in --help', async () => {
    const result = await run(['count', '--help']);
    expect(result.code).toBe(0);
    for (const flag of [
      '--windows',
      '--max-delay',
      '--allowed-lateness',
      '--format',
      '--parser',
      '--dead-letter',
      '--tz',
      '--method',
      '--from',
      '--to',
      '--demo',
      '--kafka-wait',
      '--checkpoint-damaged',
    ]) {
      expect(result.stdout).toContain(flag);
    }
  });

  it('names its exit codes and shows a Kafka example in count --help', async () => {
    const result = await run(['count', '--help']);
    expect(result.code).toBe(0);
    const codes = result.stdout.slice(result.stdout.indexOf('Exit codes:'));
    for (const code of ['0', '1', '2', '130', '143']) expect(codes).toMatch(new RegExp(`^  ${code} +\\S`, 'm'));
    expect(result.stdout).toMatch(/uniqstream count --from kafka:\/\/\S+ --to kafka:\/\/\S+/);
  });

  it('says in the top-level help that count is the default command, and runs it for bare file names', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/count .*\(the default command\)/);
    const missing = await run([join(dir, 'nope.jsonl')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*nope\.jsonl/);
  });

  it('fails with one clear line for a missing file, a bad option value and an unknown option', async () => {
    const missing = await run(['count', join(dir, 'nope.jsonl')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/nope\.jsonl/);
    const bad = await run(['count', '--max-delay', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/max-delay/);
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/);
    const unknown = await run(['count', '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option/);
    // Commander's usage errors read like ours: one line, the program's name first.
    for (const usage of [bad, unknown]) {
      expect(usage.stderr.trim().split('\n')).toHaveLength(1);
      expect(usage.stderr).toMatch(/^uniqstream: error: /);
    }
  });

  it('on SIGINT or SIGTERM flushes what it has and exits 130 or 143, as shells expect', async () => {
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>(
        (resolve, reject) => {
          // stdin stays open, so only the signal ends the run; the first result shows it is under way.
          const child = spawn(BIN, ['count', '--max-delay', '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
          let stdout = '';
          child.stdout.on('data', (d: Buffer) => {
            if (stdout === '') child.kill(signal);
            stdout += d.toString();
          });
          child.on('error', reject);
          child.on('close', (exit, by) => resolve({ code: exit, signal: by, stdout }));
          // One frame a second into the next minute: the first minute closes, the second stays open.
          const seconds = Array.from({ length: 65 }, (_, i) => i + 1);
          child.stdin.write(seconds.map((s) => `{"uid":"u${s % 3}","ts":${T0 + s}}\n`).join(''));
        },
      );
      expect(result).toMatchObject({ code, signal: null });
      const lines = result.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Result);
      expect(lines[0]).toMatchObject({ window: 'minute', start: T0, users: 3, frames: 59 });
      // The minute still open is flushed as a non-final result rather than lost.
      expect(lines.at(-1)).toMatchObject({ window: 'minute', start: T0 + 60, users: 3, frames: 6, final: false });
    }
  });

  it('stops quietly when the reader of stdout goes away', async () => {
    const result = await new Promise<Run>((resolve) => {
      const child = spawn('sh', ['-c', `${BIN} count --demo --emit updates | head -1`], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/EPIPE|Error/);
    // Help to a reader gone before the first write.
    const gone = spawnSync('sh', ['-c', `${BIN} --help | true`], { encoding: 'utf8' });
    expect(gone.stderr).toBe('');
  });
});

describe('named pipes and devices', () => {
  let pipes = 0;
  function fifo(): string {
    const path = join(dir, `pipe${pipes++}`);
    execFileSync('mkfifo', [path]);
    return path;
  }

  /** `sh -c command`; resolves to its exit code and signal. */
  function shell(
    command: string,
    ...args: string[]
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', command, 'sh', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout }));
    });
  }

  it('reads a named pipe once, as a stream: the same results as the file, and its writer is not killed', async () => {
    const pipe = fifo();
    const counted = run(['count', pipe]);
    const writer = await shell('sleep 0.2; cat "$1" > "$2"', join(dir, 'stream.jsonl'), pipe);
    expect(writer).toMatchObject({ code: 0, signal: null });
    const result = await counted;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe((await run(['count', join(dir, 'stream.jsonl')])).stdout);
  });

  it(
    'ends on SIGINT or SIGTERM while a named pipe has no writer yet, with the summary and the ' + 'usual exit code',
    async () => {
      for (const [signal, code] of [
        ['SIGINT', 130],
        ['SIGTERM', 143],
      ] as const) {
        const pipe = fifo();
        const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
          (resolve, reject) => {
            const child = spawn(BIN, ['count', pipe], { stdio: ['ignore', 'pipe', 'pipe'] });
            let stderr = '';
            child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
            child.on('error', reject);
            child.on('close', (exit, by) => resolve({ code: exit, signal: by, stderr }));
            // Signal once it holds the pipe open (its handlers are in place by then), or after 5 s anyway.
            const deadline = Date.now() + 5000;
            const poll = setInterval(() => {
              if (holds(child.pid!, pipe) || Date.now() > deadline) {
                clearInterval(poll);
                child.kill(signal);
              }
            }, 20);
            child.on('close', () => clearInterval(poll));
          },
        );
        expect(result).toMatchObject({ code, signal: null });
        expect(result.stderr).toMatch(/read 0 frames/);
        expect(result.stderr).toMatch(/stopped: signal/);
      }
    },
  );

  it('writes results to /dev/null and dead letters to a device, and results into a named pipe', async () => {
    const devices = await run([
      'count',
      join(dir, 'stream.jsonl'),
      '--to',
      '/dev/null',
      '--dead-letter',
      'file:/dev/null',
    ]);
    expect(devices.code).toBe(0);
    expect(devices.stderr).not.toMatch(/error/);
    const pipe = fifo();
    const reader = shell('cat "$1"', pipe);
    const counted = await run(['count', join(dir, 'stream.jsonl'), '--to', pipe]);
    expect(counted.code).toBe(0);
    expect((await reader).stdout).toBe((await run(['count', join(dir, 'stream.jsonl')])).stdout);
  });

  it('reads /dev/stdin when stdin is a socket, and /dev/null as empty input', async () => {
    const viaPath = await run(['count', '/dev/stdin'], stream, 5);
    expect(viaPath.code).toBe(0);
    expect(viaPath.stdout).toBe((await run(['count', join(dir, 'stream.jsonl')])).stdout);
    const empty = await run(['count', '/dev/null']);
    expect(empty.code).toBe(0);
    expect(empty.stderr).toMatch(/read 0 frames \(0 B\)/);
  });
});

/** Whether process `pid` has `path` open. */
function holds(pid: number, path: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === path;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}
