import { InvalidArgumentError } from 'commander';

/** Option value parsers for commander: each throws one line that says what is expected. */

export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => {
    const value = Number(text.trim());
    if (text.trim() === '' || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `expected an integer of at least ${min}`
          : `expected an integer from ${min} to ${max}`,
      );
    }
    return value;
  };
}

export function positive(text: string): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError('expected a number above 0');
  return value;
}

export function fraction(text: string): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1)
    throw new InvalidArgumentError('expected a fraction from 0 to 1, e.g. 0.01');
  return value;
}

const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Seconds, optionally with a unit: `900`, `90s`, `15m`, `2h`, `1d`, `1w`. */
export function duration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhdw]?)$/.exec(text.trim());
  if (match === null)
    throw new InvalidArgumentError('expected seconds, or a number with a unit s, m, h, d or w (e.g. 15m)');
  return Number(match[1]) * (DURATION_UNITS[match[2] || 's'] ?? 1);
}

export function oneOf<T extends string>(...choices: readonly T[]): (text: string) => T {
  return (text) => {
    const value = text.trim() as T;
    if (!choices.includes(value)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}`);
    return value;
  };
}
