import { describe, expect, it } from 'vitest';
import { quantile } from '../src/harness.js';

describe('quantile', () => {
  it('is the nearest rank: always a value that was seen', () => {
    const values = [5, 1, 4, 2, 3];
    expect(quantile(values, 0.5)).toBe(3);
    expect(quantile(values, 0.2)).toBe(1);
    expect(quantile(values, 0.21)).toBe(2);
    expect(quantile(values, 1)).toBe(5);
    // With fewer than 100 values, p99 is the largest.
    expect(
      quantile(
        Array.from({ length: 99 }, (_, i) => i),
        0.99,
      ),
    ).toBe(98);
    expect(
      quantile(
        Array.from({ length: 200 }, (_, i) => i),
        0.99,
      ),
    ).toBe(197);
  });

  it('refuses no values and quantiles outside (0, 1]', () => {
    expect(() => quantile([], 0.5)).toThrow(RangeError);
    expect(() => quantile([1], 0)).toThrow(RangeError);
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });
});
