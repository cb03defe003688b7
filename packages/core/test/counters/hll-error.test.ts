import { describe, expect, it } from 'vitest';
import { HLL_DEFAULT_PRECISION, HyperLogLog } from '../../src/counters/index.js';
import { keyHi, keyLo } from './hashes.js';

/**
 * The error table of the README: measured relative error of the default
 * HyperLogLog (p = 14, Ertl's estimator) against the exact count, over
 * several seeds, next to the theoretical 1.04/sqrt(m). Prints the table;
 * reproduce with `pnpm exec vitest run test/counters/hll-error.test.ts` in
 * packages/core.
 */

const SIZES = [1e3, 1e4, 1e5, 1e6, 1e7] as const;
const SEEDS = 8;
const PRECISION = HLL_DEFAULT_PRECISION;

interface Row {
  readonly n: number;
  /** Signed relative errors, one per seed. */
  readonly errors: number[];
}

function measure(): Row[] {
  const rows: Row[] = SIZES.map((n) => ({ n, errors: [] }));
  for (let seed = 1; seed <= SEEDS; seed++) {
    // One sketch per seed grows through every size: the keys of stream
    // `seed` are distinct, so after i adds the true count is i.
    const sketch = new HyperLogLog(PRECISION);
    let added = 0;
    for (const row of rows) {
      for (; added < row.n; added++) sketch.add(keyHi(seed, added), keyLo(seed, added));
      row.errors.push((sketch.estimate() - row.n) / row.n);
    }
  }
  return rows;
}

const percent = (x: number): string => `${(100 * x).toFixed(3)}%`;

describe('HyperLogLog error table', () => {
  it(`stays within 3 standard errors from 10^3 to 10^7 distinct users (p = ${PRECISION}, ${SEEDS} seeds)`, () => {
    const standardError = 1.04 / Math.sqrt(2 ** PRECISION);
    const rows = measure();
    const lines = [
      `HyperLogLog p=${PRECISION} (m=${2 ** PRECISION}, ${2 ** PRECISION} B dense), ${SEEDS} seeds; ` +
        `theoretical standard error 1.04/sqrt(m) = ${percent(standardError)}`,
      '| distinct users | mean abs error | RMS error | max abs error | mean signed error | 1.04/sqrt(m) |',
      '|---:|---:|---:|---:|---:|---:|',
    ];
    for (const { n, errors } of rows) {
      const abs = errors.map(Math.abs);
      const mean = abs.reduce((a, b) => a + b, 0) / abs.length;
      const rms = Math.sqrt(errors.reduce((a, b) => a + b * b, 0) / errors.length);
      const bias = errors.reduce((a, b) => a + b, 0) / errors.length;
      lines.push(
        `| ${n.toExponential(0)} | ${percent(mean)} | ${percent(rms)} | ${percent(Math.max(...abs))} ` +
          `| ${percent(bias)} | ${percent(standardError)} |`,
      );
    }
    console.log(lines.join('\n'));
    for (const { n, errors } of rows) {
      for (const error of errors) expect(Math.abs(error), `n=${n}`).toBeLessThanOrEqual(3 * standardError);
    }
    // While sparse the count is exact.
    expect(rows[0]!.errors.every((e) => e === 0)).toBe(true);
  }, 60_000);
});
