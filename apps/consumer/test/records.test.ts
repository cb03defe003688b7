import {
  CountingEngine,
  deserializeCounter,
  encodeSnapshot,
  PartitionedEngines,
  type PartialResult,
} from '@uniqstream/core';
import { hashString } from '@uniqstream/frames';
import { describe, expect, it } from 'vitest';
import {
  checkpointKey,
  decodeCheckpoint,
  decodePartial,
  decodeProgress,
  encodeCheckpoint,
  encodePartial,
  encodeProgress,
  parsePartialsKey,
  partialKey,
  progressKey,
  windowKey,
} from '../src/records.js';

/** Real partial results: a few users in two windows of partition 3, through its own engine. */
function partials(method: 'exact' | 'hll'): PartialResult[] {
  const engines = new PartitionedEngines({ windows: ['minute', 'hour'], method });
  for (let i = 0; i < 200; i++) {
    const [hi, lo] = hashString(`user-${i % 57}`);
    engines.partition(3).add(hi, lo, 1_468_244_340 + i, i, new Uint8Array(0));
  }
  engines.finish();
  return engines.takeResults() as PartialResult[];
}

describe('partial results', () => {
  it.each(['exact', 'hll'] as const)('round-trip with their counter (%s)', (method) => {
    const all = partials(method);
    expect(all.length).toBeGreaterThan(2);
    for (const partial of all) {
      const back = decodePartial(encodePartial(partial));
      expect(back).toEqual(partial);
      // The counter still counts what it counted.
      expect(Math.round(deserializeCounter(back.state).count())).toBe(partial.users);
    }
  });

  it("are keyed by window, start and partition, so that compaction keeps each share's latest", () => {
    const partial = partials('exact')[0]!;
    const key = partialKey(partial.window, partial.start, partial.partition);
    expect(key).toBe(`${partial.window}:${partial.start}:3`);
    expect(parsePartialsKey(key)).toEqual({
      kind: 'partial',
      window: partial.window,
      start: partial.start,
      partition: 3,
    });
    expect(windowKey(partial.window, partial.start)).toBe(`${partial.window}:${partial.start}`);
  });
});

describe('progress records', () => {
  it.each([
    { partition: 0, watermark: 1_468_244_400, idle: false },
    { partition: 7, watermark: Number.NEGATIVE_INFINITY, idle: true },
  ])('round-trip, -Infinity included: %o', (progress) => {
    expect(decodeProgress(encodeProgress(progress))).toEqual(progress);
    expect(parsePartialsKey(progressKey(progress.partition))).toEqual({
      kind: 'progress',
      partition: progress.partition,
    });
  });
});

describe('checkpoints', () => {
  it('round-trip with an engine state that restores to the same engine', () => {
    const engine = new CountingEngine({ windows: ['minute'] });
    for (let i = 0; i < 100; i++) {
      const [hi, lo] = hashString(`u${i % 13}`);
      engine.partition(2).add(hi, lo, 1_468_244_340 + i, 1000 + i, new Uint8Array(0));
    }
    engine.partition(2).next = 1100;
    // What was emitted before the checkpoint is out already.
    engine.takeResults();
    const checkpoint = { topic: 'frames', partition: 2, offset: 1100, engine: engine.snapshot() };
    const back = decodeCheckpoint(encodeCheckpoint(checkpoint));
    expect(back).toEqual(checkpoint);
    expect(checkpointKey(2)).toBe('2');
    // The restored engine goes on exactly as the original does.
    const restored = CountingEngine.restore(back.engine, { windows: ['minute'] });
    for (const e of [engine, restored]) {
      for (let i = 100; i < 300; i++) {
        const [hi, lo] = hashString(`u${i % 17}`);
        e.partition(2).add(hi, lo, 1_468_244_340 + i, 1000 + i, new Uint8Array(0));
      }
      e.finish();
    }
    const results = restored.takeResults();
    expect(results.length).toBeGreaterThan(2);
    expect(results).toEqual(engine.takeResults());
  });
});

describe('records the service did not write', () => {
  it.each([
    ['a key that is no partials key', () => parsePartialsKey('hello')],
    ['a key with an unknown window', () => parsePartialsKey('fortnight:0:1')],
    ['a key with a negative partition', () => parsePartialsKey('progress:-1')],
    ['bytes that are no container', () => decodePartial(Buffer.from('{"window":"minute"}'))],
    [
      'a progress record read as a partial',
      () => decodePartial(encodeProgress({ partition: 0, watermark: 1, idle: false })),
    ],
    ['a partial read as a checkpoint', () => decodeCheckpoint(encodePartial(partials('exact')[0]!))],
    [
      'a record of a newer version',
      () => decodeProgress(encodeSnapshot({ type: 'progress', version: 2, partition: 0, watermark: 1, idle: false })),
    ],
    [
      'a checkpoint without a state',
      () => decodeCheckpoint(encodeSnapshot({ type: 'checkpoint', version: 1, topic: 't', partition: 0, offset: 3 })),
    ],
    [
      'a checkpoint with a negative offset',
      () =>
        decodeCheckpoint(
          encodeSnapshot({
            type: 'checkpoint',
            version: 1,
            topic: 't',
            partition: 0,
            offset: -1,
            engine: new Uint8Array(1),
          }),
        ),
    ],
  ])('refuse %s with BAD_RECORD', (_what, read) => {
    expect(read).toThrow(expect.objectContaining({ code: 'BAD_RECORD' }));
  });
});
