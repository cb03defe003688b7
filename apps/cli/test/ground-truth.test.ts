import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateChunks,
  GroundTruth,
  type StreamOptions,
  type TruthSummary,
  type TruthWindow,
} from '@uniqstream/generator';
import { describe, expect, it } from 'vitest';

/**
 * The counter against the generator's exact ground truth (docs/frames.md: the
 * distinct root uids of the valid frames whose ts falls in a window),
 * through the real binary.
 */

const BIN = new URL('../bin/uniqstream', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'uniqstream-truth-'));

interface Result {
  window: string;
  start: number;
  end: number;
  users: number;
  frames: number;
  revision: number;
  final: boolean;
  method: string;
  error?: number;
}

function stream(name: string, options: StreamOptions): { path: string; windows: TruthWindow[]; summary: TruthSummary } {
  const truth = new GroundTruth(options);
  const windows: TruthWindow[] = [];
  const chunks: Uint8Array[] = [];
  for (const chunk of generateChunks(options, 1 << 20, { truth })) {
    chunks.push(chunk);
    windows.push(...truth.drain());
  }
  truth.finish();
  windows.push(...truth.drain());
  const path = join(dir, `${name}.jsonl`);
  writeFileSync(path, Buffer.concat(chunks));
  return { path, windows, summary: truth.summary() };
}

function count(args: readonly string[]): Promise<{ code: number | null; results: Result[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['count', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stderr,
        results:
          stdout.trim() === ''
            ? []
            : stdout
                .trim()
                .split('\n')
                .map((l) => JSON.parse(l) as Result),
      }),
    );
  });
}

/** The last result of every window (its final one), keyed window:start. */
function lastOf(results: readonly Result[]): Map<string, Result> {
  const out = new Map<string, Result>();
  for (const r of results) out.set(`${r.window}:${r.start}`, r);
  for (const r of out.values()) expect(r.final).toBe(true);
  return out;
}

function stat(stderr: string, name: string): number {
  const match = new RegExp(`${name} ([\\d,]+)`).exec(stderr);
  if (!match) throw new Error(`no "${name}" in the summary: ${stderr}`);
  return Number(match[1]!.replace(/,/g, ''));
}

const BASE = { users: 2000, rate: 40, frameBytes: 500, tsStringFraction: 0.05 } as const;

describe('counts against ground truth', () => {
  it(
    'matches every minute exactly when disorder stays within the maximum delay, ' + 'with no revisions needed',
    async () => {
      const s = stream('disorder', {
        ...BASE,
        seed: 11,
        start: 1468244340 + 13,
        duration: 1200,
        lateFraction: 0.2,
        maxDelay: 5,
        malformedFraction: 0.01,
      });
      const { code, results } = await count([s.path, '--allowed-lateness', '0']);
      expect(code).toBe(0);
      const got = lastOf(results);
      const minutes = s.windows.filter((w) => w.window === 'minute');
      expect(got.size).toBe(minutes.length);
      for (const w of minutes)
        expect(got.get(`minute:${w.start}`)).toMatchObject({ users: w.users, frames: w.frames, end: w.end });
    },
  );

  it('with a tail within the allowed lateness, the last revision of every window matches', async () => {
    const s = stream('tail', {
      ...BASE,
      seed: 12,
      start: 1468244340,
      duration: 1800,
      lateFraction: 0.05,
      maxDelay: 5,
      tailFraction: 0.01,
      tailDelay: 50,
    });
    const { code, results, stderr } = await count([s.path, '--windows', 'minute,hour', '--allowed-lateness', '60']);
    expect(code).toBe(0);
    const got = lastOf(results);
    for (const w of s.windows.filter((x) => x.window === 'minute' || x.window === 'hour')) {
      expect(got.get(`${w.window}:${w.start}`)).toMatchObject({ users: w.users, frames: w.frames });
    }
    // The tail really was late: it made revisions, and none of it was dropped.
    expect(results.some((r) => r.revision > 0 && !r.final)).toBe(true);
    expect(stat(stderr, 'late')).toBeGreaterThan(0);
    expect(stat(stderr, 'dropped')).toBe(0);
  });

  it('keeps bitflipped frames out of every window, never jumps the watermark, and reports each one', async () => {
    // Flips of bit 13 and up move ts by more than two hours: far enough to be
    // told from honest frames for minute and hour windows (lower bits cannot be).
    const s = stream('bitflip', {
      ...BASE,
      seed: 13,
      start: 1468244340,
      duration: 3 * 3600,
      rate: 10,
      lateFraction: 0.1,
      maxDelay: 5,
      bitflipFraction: 0.003,
      bitflipMinBit: 13,
    });
    const letters = join(dir, 'bitflip-dead.jsonl');
    const { code, results, stderr } = await count([
      s.path,
      '--windows',
      'minute,hour',
      '--dead-letter',
      `file:${letters}`,
    ]);
    expect(code).toBe(0);
    const got = lastOf(results);
    for (const w of s.windows.filter((x) => x.window === 'minute' || x.window === 'hour')) {
      expect(got.get(`${w.window}:${w.start}`)).toMatchObject({ users: w.users, frames: w.frames });
    }
    // No result outside the stream's real time range: the watermark never jumped.
    const last = s.summary.lastTs!;
    expect(Math.max(...results.map((r) => r.start))).toBeLessThanOrEqual(last);
    expect(Math.min(...results.map((r) => r.end))).toBeGreaterThan(s.summary.firstTs!);
    // Every flipped frame is reported: forward ones as corrupt-ts, backward ones as late.
    const flipped = s.summary.damage.bitflip;
    expect(flipped).toBeGreaterThan(10);
    expect(stat(stderr, 'corrupt ts') + stat(stderr, 'dropped')).toBe(flipped);
    const reported = readFileSync(letters, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { reason: string });
    expect(reported.filter((l) => l.reason === 'corrupt-ts' || l.reason === 'late')).toHaveLength(flipped);
  });

  it('cuts days, weeks, months and years at local midnight across DST changes in Europe/Zurich', async () => {
    // Sparse frames from 2024-03-20 to 2024-11-05: spans both 2024 clock changes and several month ends.
    const start = Date.UTC(2024, 2, 20) / 1000;
    const options = {
      ...BASE,
      seed: 14,
      start,
      duration: 230 * 86400,
      rate: 0.02,
      users: 300,
      tz: 'Europe/Zurich',
    } as const;
    const s = stream('zurich', options);
    const { code, results } = await count([
      s.path,
      '--windows',
      'day,week,month,year',
      '--tz',
      'Europe/Zurich',
      '--allowed-lateness',
      '0',
    ]);
    expect(code).toBe(0);
    const got = lastOf(results);
    const expected = s.windows.filter((w) => w.window !== 'minute' && w.window !== 'hour');
    expect(got.size).toBe(expected.length);
    for (const w of expected)
      expect(got.get(`${w.window}:${w.start}`)).toMatchObject({ users: w.users, frames: w.frames, end: w.end });
    // The two days with clock changes are 23 and 25 hours long.
    const lengths = [...got.values()].filter((r) => r.window === 'day').map((r) => (r.end - r.start) / 3600);
    expect(lengths.filter((h) => h === 23)).toHaveLength(1);
    expect(lengths.filter((h) => h === 25)).toHaveLength(1);
  });

  it('estimates with HyperLogLog within 3 standard errors, and says so in each record', async () => {
    const s = stream('hll', {
      ...BASE,
      seed: 15,
      users: 60_000,
      start: 1468195200,
      duration: 2 * 3600,
      rate: 40,
      frameBytes: 300,
    });
    const { code, results } = await count([s.path, '--windows', 'minute,hour,day', '--method', 'auto']);
    expect(code).toBe(0);
    const got = lastOf(results);
    for (const w of s.windows.filter((x) => x.window === 'day' || x.window === 'hour' || x.window === 'minute')) {
      const r = got.get(`${w.window}:${w.start}`)!;
      if (w.window === 'day') {
        expect(r.method).toBe('hll');
        expect(r.error).toBeCloseTo(1.04 / Math.sqrt(2 ** 14), 5);
        expect(Math.abs(r.users - w.users) / w.users).toBeLessThanOrEqual(3 * r.error!);
      } else {
        expect(r).toMatchObject({ method: 'exact', users: w.users });
      }
    }
  });
});
