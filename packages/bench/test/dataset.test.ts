import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REALISTIC, computeTruth, generateChunks, type StreamOptions } from '@uniqstream/generator';
import { datasetFileName, ensureDataset, eventSeconds } from '../src/dataset.js';

const options: StreamOptions = {
  seed: 11,
  users: 300,
  rate: 20,
  start: 1_468_244_384,
  frames: 4000,
  frameBytes: 400,
  ...REALISTIC,
  bitflipFraction: 0.01,
};

/** The root `ts` of a JSON line, as a number, or undefined when the line is not a JSON object. */
function rootTs(line: string): number | undefined {
  try {
    const value = JSON.parse(line) as { ts?: unknown };
    return value.ts === undefined ? undefined : Number(value.ts);
  } catch {
    return undefined;
  }
}

describe('ensureDataset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-dataset-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes exactly the bytes of the generator's chunked output", () => {
    const data = ensureDataset(dir, options);
    const expected = Buffer.concat([...generateChunks(options)]);
    const written = readFileSync(data.path);
    expect(written.equals(expected)).toBe(true);
    expect(data.bytes).toBe(expected.length);
    expect(data.frames).toBe(4000);
  });

  it('keeps the truth computeTruth gives for the same options', () => {
    const data = ensureDataset(dir, options);
    const truth = computeTruth(options);
    expect(data.summary).toEqual(truth.summary);
    expect(data.windows).toEqual(truth.windows);
    expect(eventSeconds(data)).toBe((truth.summary.lastTs ?? 0) - (truth.summary.firstTs ?? 0));
  });

  it('records every bitflipped frame at the byte where its line starts, with the ts it carries', () => {
    const data = ensureDataset(dir, options);
    const text = readFileSync(data.path);
    expect(data.bitflips.length).toBe(data.summary.damage.bitflip);
    expect(data.bitflips.length).toBeGreaterThan(10);
    for (const flip of data.bitflips) {
      expect(flip.position === 0 || text[flip.position - 1] === 0x0a).toBe(true);
      const end = text.indexOf(0x0a, flip.position);
      const carried = rootTs(text.subarray(flip.position, end).toString('utf8'));
      expect(carried).toBe(flip.writtenTs);
      // One bit differs between the true ts and the one carried.
      const diff = (flip.ts ^ flip.writtenTs) >>> 0;
      expect(diff !== 0 && (diff & (diff - 1)) === 0).toBe(true);
    }
  });

  it('reuses a file made with the same options and names different options differently', () => {
    const first = ensureDataset(dir, options);
    const modified = statSync(first.path).mtimeMs;
    const again = ensureDataset(dir, { ...options });
    expect(again.path).toBe(first.path);
    expect(statSync(again.path).mtimeMs).toBe(modified);
    expect(datasetFileName({ ...options, seed: 12 })).not.toBe(datasetFileName(options));
    expect(datasetFileName({ ...options, frameBytes: 500 })).not.toBe(datasetFileName(options));
  });
});
