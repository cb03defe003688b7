import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Heap } from '../src/heap.js';

describe('Heap', () => {
  it('pops in the same order as a stable sort', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 })), (keys) => {
        const items = keys.map((key, seq) => ({ key, seq }));
        const heap = new Heap<{ key: number; seq: number }>(
          (a, b) => a.key < b.key || (a.key === b.key && a.seq < b.seq),
        );
        for (const item of items) heap.push(item);
        expect(heap.size).toBe(items.length);
        const out: { key: number; seq: number }[] = [];
        for (let x = heap.pop(); x !== undefined; x = heap.pop()) out.push(x);
        expect(out).toEqual([...items].sort((a, b) => a.key - b.key || a.seq - b.seq));
      }),
    );
  });

  it('interleaves pushes and pops correctly', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.integer(), { nil: undefined })), (ops) => {
        const heap = new Heap<number>((a, b) => a < b);
        const reference: number[] = [];
        for (const op of ops) {
          if (op === undefined) {
            reference.sort((a, b) => a - b);
            expect(heap.pop()).toBe(reference.shift());
          } else {
            heap.push(op);
            reference.push(op);
          }
        }
      }),
    );
  });
});
