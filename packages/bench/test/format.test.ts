import { describe, expect, it } from 'vitest';
import { compact, duration, power, si } from '../src/format.js';

describe('number formats', () => {
  it('si keeps three significant figures with a unit prefix', () => {
    expect(si(1_234_567)).toBe('1.23 M');
    expect(si(31_234)).toBe('31.2 k');
    expect(si(12.345)).toBe('12.3');
    expect(si(0.012345)).toBe('0.0123');
    expect(si(0)).toBe('0');
  });

  it('compact drops what a round figure does not need', () => {
    expect(compact(300_000)).toBe('300k');
    expect(compact(1_500_000)).toBe('1.5M');
    expect(compact(2.5)).toBe('2.5');
    expect(compact(0)).toBe('0');
  });

  it('power writes powers of ten and their round multiples', () => {
    expect(power(1_000_000)).toBe('10^6');
    expect(power(2_000_000)).toBe('2x10^6');
    expect(power(1)).toBe('10^0');
  });

  it('duration picks the unit a person would', () => {
    expect(duration(95)).toBe('95 s');
    expect(duration(1000)).toBe('17 min');
    expect(duration(10_000)).toBe('2.8 h');
    expect(duration(63_072_000)).toBe('730.0 days');
  });
});
