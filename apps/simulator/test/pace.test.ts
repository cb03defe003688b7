import { describe, expect, it } from 'vitest';
import { Pacer } from '../src/pace.js';
import { memoryIo } from './support/memory-io.js';

describe('Pacer', () => {
  it('measures waits from its first call', async () => {
    const mem = memoryIo();
    mem.advance(12_345);
    const pacer = new Pacer(mem.io);
    expect(pacer.waitMs(0)).toBe(0);
    expect(pacer.waitMs(1.5)).toBe(1500);
    await pacer.sleep(1000);
    expect(pacer.waitMs(1.5)).toBe(500);
    mem.advance(2000);
    // Behind schedule: no wait, never negative.
    expect(pacer.waitMs(2)).toBe(0);
  });
});
