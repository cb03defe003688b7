import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GroundTruth, computeTruth, generateFrames, parseTruthRecord } from '@uniqstream/generator';
import { TruthFile } from '../src/truth-file.js';

describe('TruthFile', () => {
  it('writes every window as it is finalized, then the summary', async () => {
    const options = {
      seed: 2,
      users: 50,
      rate: 5,
      start: 1_000_000_000,
      duration: 600,
      frameBytes: 0,
      lateFraction: 0.2,
    };
    const path = join(mkdtempSync(join(tmpdir(), 'sim-truth-')), 'truth.jsonl');
    const file = await TruthFile.open(path);
    const truth = new GroundTruth(options);
    let n = 0;
    for (const _frame of generateFrames(options, { truth })) if (++n % 100 === 0) await file.drain(truth);
    await file.close(truth);
    const records = readFileSync(path, 'utf8').trimEnd().split('\n').map(parseTruthRecord);
    const expected = computeTruth(options);
    expect(records.at(-1)).toEqual(expected.summary);
    expect(records.slice(0, -1)).toEqual(expected.windows);
  });

  it('refuses a path it cannot create', async () => {
    await expect(TruthFile.open('/nonexistent-dir/x/truth.jsonl')).rejects.toMatchObject({ code: 'OUTPUT_FAILED' });
  });
});
