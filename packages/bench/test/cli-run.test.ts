import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GroundTruth, MALFORMED_KINDS, generateChunks, type StreamOptions } from '@uniqstream/generator';
import {
  cliBuilt,
  cliCommand,
  parseSummary,
  parseTimeLine,
  runCli,
  summaryDifferences,
  type CliSummary,
} from '../src/cli-run.js';
import { BenchError } from '../src/errors.js';
import { CLI_BIN, CLI_MAIN } from '../src/paths.js';

describe('parseSummary', () => {
  it('reads every figure of the three summary lines, with thousands separators', () => {
    const stderr = [
      'uniqstream: read 1,000,000 frames (2.05 GB) in 3.21 s: 311,526 frames/s, 638 MB/s',
      'uniqstream: counted 998,880, late 430 (of which dropped 70), corrupt ts 10, malformed 1,040 ' +
        '(missing-ts 180, invalid-utf8 15, not-object 845)',
      'uniqstream: results 1,250, watermark 2016-07-11T13:56:18Z',
    ].join('\n');
    const s = parseSummary(stderr);
    expect(s).toMatchObject({
      frames: 1_000_000,
      seconds: 3.21,
      framesPerSecond: 311_526,
      counted: 998_880,
      late: 430,
      lateDropped: 70,
      corruptTs: 10,
      malformed: 1040,
      results: 1250,
    });
    expect([...s.malformedKinds]).toEqual([
      ['missing-ts', 180],
      ['invalid-utf8', 15],
      ['not-object', 845],
    ]);
  });

  it('reads a summary without malformed kinds', () => {
    const s = parseSummary(
      'read 5 frames (1 kB) in 0.01 s: 500 frames/s, 0 MB/s\ncounted 5, late 0 (of which dropped 0), ' +
        'corrupt ts 0, malformed 0\nresults 1, watermark -',
    );
    expect(s.malformedKinds.size).toBe(0);
    expect(s.counted).toBe(5);
  });

  it('throws a BAD_OUTPUT BenchError when there is no summary', () => {
    expect(() => parseSummary('uniqstream: cannot read x.jsonl: no such file')).toThrow(BenchError);
    try {
      parseSummary('');
    } catch (error) {
      expect((error as BenchError).code).toBe('BAD_OUTPUT');
    }
  });
});

describe('parseTimeLine', () => {
  it('reads GNU time peak RSS (KiB) and CPU time among other stderr lines', () => {
    const usage = parseTimeLine(
      'something\nCommand exited with non-zero status 1\n@bench-time 120356 2.18 1.92 0.15\n',
    );
    expect(usage).toEqual({ peakRssBytes: 120_356 * 1024, wallSeconds: 2.18, cpuSeconds: 1.92 + 0.15 });
    expect(parseTimeLine('no time line')).toBeNull();
  });
});

describe('cliCommand', () => {
  it('runs the bin script, as a user does, without a node or node flags', () => {
    expect(cliCommand({})).toEqual([CLI_BIN]);
  });

  it("runs dist/main.js by the node given, with the node flags after it, or by the bench's own node", () => {
    expect(cliCommand({ node: '/opt/node24/bin/node' })).toEqual(['/opt/node24/bin/node', CLI_MAIN]);
    expect(cliCommand({ node: '/opt/node24/bin/node', nodeFlags: ['--cpu-prof'] })).toEqual([
      '/opt/node24/bin/node',
      '--cpu-prof',
      CLI_MAIN,
    ]);
    expect(cliCommand({ nodeFlags: ['--cpu-prof'] })).toEqual([process.execPath, '--cpu-prof', CLI_MAIN]);
  });
});

describe('summaryDifferences', () => {
  const summary: CliSummary = {
    frames: 1_000_000,
    seconds: 3.2,
    framesPerSecond: 312_500,
    counted: 998_880,
    late: 430,
    lateDropped: 70,
    corruptTs: 10,
    malformed: 1040,
    malformedKinds: new Map([
      ['missing-ts', 180],
      ['not-object', 860],
    ]),
    results: 250,
  };

  it('finds none between runs that counted alike, however fast they were', () => {
    expect(summaryDifferences(summary, { ...summary, seconds: 2.9, framesPerSecond: 344_827 })).toEqual([]);
  });

  it('names every count that differs, malformed kinds one by one, with thousands separators', () => {
    const other: CliSummary = {
      ...summary,
      counted: 998_881,
      lateDropped: 69,
      malformedKinds: new Map([
        ['missing-ts', 180],
        ['invalid-utf8', 1],
        ['not-object', 859],
      ]),
    };
    expect(summaryDifferences(summary, other)).toEqual([
      'counted 998,880 vs 998,881',
      'late dropped 70 vs 69',
      'malformed not-object 860 vs 859',
      'malformed invalid-utf8 0 vs 1',
    ]);
  });
});

describe.skipIf(!cliBuilt())('runCli against the real CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the counts the generator knows: frames, valid frames and each kind of malformed frame', async () => {
    // In time order and without bitflips, so every valid frame is counted.
    const options: StreamOptions = {
      seed: 7,
      users: 500,
      rate: 50,
      start: 1_468_244_384,
      frames: 3000,
      frameBytes: 300,
      malformedFraction: 0.05,
    };
    const truth = new GroundTruth(options);
    const path = join(dir, 'stream.jsonl');
    writeFileSync(path, Buffer.concat([...generateChunks(options, 1 << 16, { truth })]));
    truth.finish();
    const summary = truth.summary();

    const run = await runCli([path]);
    expect(run.frames).toBe(summary.frames);
    expect(run.counted).toBe(summary.valid);
    expect(run.late + run.corruptTs).toBe(0);
    for (const kind of MALFORMED_KINDS) expect(run.malformedKinds.get(kind) ?? 0).toBe(summary.damage[kind]);
    expect(run.malformed).toBe(MALFORMED_KINDS.reduce((n, k) => n + summary.damage[k], 0));
    expect(run.framesPerSecond).toBeGreaterThan(0);
    if (run.usage !== null) expect(run.usage.peakRssBytes).toBeGreaterThan(0);
  });

  it('runs the CLI by the node binary given', async () => {
    const path = join(dir, 'small.jsonl');
    writeFileSync(
      path,
      Buffer.concat([...generateChunks({ seed: 3, users: 50, rate: 10, start: 1_468_244_384, frames: 200 })]),
    );
    const run = await runCli([path], { node: process.execPath });
    expect(run.frames).toBe(200);
  });

  it('throws PROCESS_FAILED with the CLI message when the CLI fails', async () => {
    await expect(runCli([join(dir, 'missing.jsonl')])).rejects.toMatchObject({ code: 'PROCESS_FAILED' });
  });
});
