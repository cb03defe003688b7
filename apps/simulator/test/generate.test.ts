import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generateFrames } from '@uniqstream/generator';
import { run } from '../src/cli.js';
import { PACE_SLACK_MS } from '../src/pace.js';
import { sim } from './support/bin.js';
import { memoryIo } from './support/memory-io.js';
import { WINDOWS, splitLines, utcWindowStart, validFrame } from './support/reference.js';

const dir = mkdtempSync(join(tmpdir(), 'sim-generate-'));
// Starts at 23:58:30 on Sunday 31 December 2017, so minute, hour, day, week, month and year all roll over.
const base = [
  '--seed',
  '7',
  '--start',
  '2017-12-31T23:58:30Z',
  '--rate',
  '40',
  '--duration',
  '240',
  '--frame-bytes',
  '300',
  '--users',
  '2000',
  '--quiet',
];
const disorder = [
  '--late-fraction',
  '0.1',
  '--tail-fraction',
  '0.02',
  '--tail-delay',
  '120',
  '--bitflip-fraction',
  '0.01',
  '--bitflip-min-bit',
  '20',
  '--malformed-fraction',
  '0.05',
  '--ts-string-fraction',
  '0.1',
];
const stdout = sim([...base, ...disorder]).stdout;

describe('file outputs', () => {
  it('writes a file with the same bytes as stdout', () => {
    const path = join(dir, 'out.jsonl');
    expect(sim([...base, ...disorder, '--to', `file:${path}`]).status).toBe(0);
    expect(readFileSync(path).equals(stdout)).toBe(true);
  });

  it('gzips a file whose name ends in .gz', () => {
    const path = join(dir, 'out.jsonl.gz');
    expect(sim([...base, ...disorder, '--to', `file:${path}`]).status).toBe(0);
    const raw = readFileSync(path);
    expect(raw[0]).toBe(0x1f); // gzip magic
    expect(gunzipSync(raw).equals(stdout)).toBe(true);
  });
});

describe('--truth', () => {
  const path = join(dir, 'truth.jsonl');
  const result = sim([...base, ...disorder, '--truth', path]);
  const records = readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

  it('matches an independent recount of the stream it wrote', () => {
    expect(result.status).toBe(0);
    expect(result.stdout.equals(stdout)).toBe(true);
    // Bitflips cannot be seen in the bytes. With --bitflip-min-bit 20 every flip moves ts by 12 days or more:
    // outside this 4-minute stream's span and its tail, which is how the recount tells them apart.
    const first = Date.UTC(2017, 11, 31, 23, 58, 30) / 1000;
    const sets = new Map<string, { window: string; start: number; uids: Set<string>; frames: number }>();
    for (const line of splitLines(stdout)) {
      const frame = validFrame(line);
      if (frame === null || frame.ts < first - 200 || frame.ts > first + 400) continue;
      for (const window of WINDOWS) {
        const start = utcWindowStart(frame.ts, window);
        const key = `${window}@${start}`;
        const entry = sets.get(key) ?? { window, start, uids: new Set<string>(), frames: 0 };
        entry.uids.add(frame.uid);
        entry.frames++;
        sets.set(key, entry);
      }
    }
    const expected = [...sets.values()].map((e) => ({
      window: e.window,
      start: e.start,
      users: e.uids.size,
      frames: e.frames,
    }));
    const windows = records
      .filter((r) => r.type === 'window')
      .map((r) => ({ window: r.window, start: r.start, users: r.users, frames: r.frames }));
    const order = (a: { window: unknown; start: unknown }, b: { window: unknown; start: unknown }) =>
      WINDOWS.indexOf(a.window as string) - WINDOWS.indexOf(b.window as string) ||
      (a.start as number) - (b.start as number);
    expect(windows.sort(order)).toEqual(expected.sort(order));
    // 23:58:30 + 240 s: five minutes, and two of every coarser window.
    expect(windows.filter((x) => x.window === 'minute')).toHaveLength(5);
    for (const w of WINDOWS.slice(1)) expect(windows.filter((x) => x.window === w)).toHaveLength(2);
  });

  it('ends with a summary whose counts add up', () => {
    const summary = records.at(-1)!;
    expect(summary.type).toBe('summary');
    expect(summary.frames).toBe(splitLines(stdout).length);
    const damage = summary.damage as Record<string, number>;
    const damaged = Object.values(damage).reduce((a, b) => a + b, 0);
    expect((summary.valid as number) + damaged).toBe(summary.frames);
    expect(damage.bitflip).toBeGreaterThan(0);
    expect(summary.late).toBeGreaterThan(0);
    expect(summary.tail).toBeGreaterThan(0);
    expect(summary.windows).toBe(records.length - 1);
  });
});

describe('--realtime', () => {
  it('sends each frame when the clock reaches its arrival time', async () => {
    const args = [
      '--frames',
      '2000',
      '--rate',
      '500',
      '--frame-bytes',
      '80',
      '--late-fraction',
      '0.2',
      '--max-delay',
      '3',
      '--realtime',
      '--quiet',
    ];
    const mem = memoryIo();
    expect(await run(args, mem.io)).toBe(0);
    // Arrival offsets from the library, frame by frame in output order.
    const due: number[] = [];
    for (const f of generateFrames({
      seed: 1,
      users: 100_000,
      rate: 500,
      start: Date.UTC(2016, 6, 11, 13, 39, 44) / 1000,
      frames: 2000,
      frameBytes: 80,
      lateFraction: 0.2,
      maxDelay: 3,
    })) {
      due.push(f.emitTs);
    }
    let index = 0;
    let early = 0;
    let late = 0;
    for (const write of mem.writes) {
      for (const _line of splitLines(write.bytes)) {
        const dueMs = (due[index]! - due[0]!) * 1000;
        if (write.at < dueMs - PACE_SLACK_MS) early++;
        if (write.at > dueMs + 4 * PACE_SLACK_MS) late++;
        index++;
      }
    }
    expect(index).toBe(2000);
    expect(early).toBe(0);
    expect(late).toBe(0);
    // The last frames are due 4 s + up to 3 s of delay after the first.
    expect(mem.writes.at(-1)!.at).toBeGreaterThan(4000);
  });
});

describe('Ctrl-C', () => {
  it('stops, flushes whole lines and writes the truth of what was sent', async () => {
    const controller = new AbortController();
    const mem = memoryIo({ signal: controller.signal });
    const truth = join(dir, 'interrupted.jsonl');
    const pending = run(['--frames', '1000000', '--frame-bytes', '100', '--truth', truth, '--quiet'], mem.io);
    setTimeout(() => controller.abort(), 200);
    expect(await pending).toBe(130);
    const out = mem.stdoutBytes();
    expect(out.at(-1)).toBe(0x0a);
    const sent = splitLines(out).length;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(1_000_000);
    const summary = JSON.parse(readFileSync(truth, 'utf8').trimEnd().split('\n').at(-1)!) as { frames: number };
    expect(summary.frames).toBe(sent);
  });
});
