import { DEFAULT_ENGINE_OPTIONS, resolveEngineOptions } from '@uniqstream/core';
import { describe, expect, it } from 'vitest';
import { COUNT_OPTION_SPECS, DEFAULT_COUNT_CONFIG, engineOptionsOf, resolveCountConfig } from '../src/count-options.js';
import { layeredValues } from '../src/layers.js';

describe('COUNT_OPTION_SPECS', () => {
  it('names each option once, and shows the default the config has', () => {
    const names = COUNT_OPTION_SPECS.map((spec) => spec.name);
    expect(new Set(names).size).toBe(names.length);
    for (const spec of COUNT_OPTION_SPECS) {
      const value = DEFAULT_COUNT_CONFIG[spec.key];
      if (spec.defaultText === undefined || spec.key === 'windows') continue;
      expect({ option: spec.name, default: spec.defaultText }).toEqual({ option: spec.name, default: String(value) });
    }
  });

  it('reads every value as text, as an environment variable or a config file gives it', () => {
    const values = layeredValues(COUNT_OPTION_SPECS, {
      file: { windows: ['minute', 'hour'], 'hll-precision': 12, 'from-beginning': true },
      env: { UNIQSTREAM_MAX_DELAY: '2.5', UNIQSTREAM_METHOD: 'auto', UNIQSTREAM_FROM_BEGINNING: 'no' },
    });
    expect(values).toEqual({
      windows: ['minute', 'hour'],
      hllPrecision: 12,
      maxDelay: 2.5,
      method: 'auto',
      fromBeginning: false,
    });
  });

  it('refuses what the engine could not take, naming the option', () => {
    const refused = (env: Record<string, string>): string => {
      try {
        layeredValues(COUNT_OPTION_SPECS, { env });
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(refused({ UNIQSTREAM_HLL_PRECISION: '3' })).toBe(
      'hll-precision must be a whole number from 4 to 18, got "3" (in UNIQSTREAM_HLL_PRECISION)',
    );
    expect(refused({ UNIQSTREAM_EMIT: 'sometimes' })).toBe(
      'emit must be one of updates, final, got "sometimes" (in UNIQSTREAM_EMIT)',
    );
    expect(refused({ UNIQSTREAM_FROM_BEGINNING: 'maybe' })).toBe(
      'from-beginning must be true or false, got "maybe" (in UNIQSTREAM_FROM_BEGINNING)',
    );
    expect(refused({ UNIQSTREAM_WINDOWS: 'fortnight' })).toMatch(/^unknown window fortnight/);
  });
});

describe('resolveCountConfig and engineOptionsOf', () => {
  it("fills the defaults, and hands the engine its share, which core's checks accept", () => {
    const config = resolveCountConfig({ maxDelay: 9, deadLetter: undefined });
    expect(config).toEqual({ ...DEFAULT_COUNT_CONFIG, maxDelay: 9 });
    const engine = engineOptionsOf(config);
    expect(engine).toMatchObject({ maxDelay: 9, windows: DEFAULT_ENGINE_OPTIONS.windows, deadLetters: false });
    expect(resolveEngineOptions(engine).maxDelay).toBe(9);
    expect(engineOptionsOf(resolveCountConfig({ deadLetter: 'dead.jsonl' })).deadLetters).toBe(true);
  });
});
