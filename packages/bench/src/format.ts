/** Numbers as the report and the progress lines write them. */
import type { ChartValue, Measurement } from './harness.js';

export const MB = 1e6;
const THOUSAND = 1e3;
const MILLION = 1e6;
const BILLION = 1e9;

/** 1234567 -> `1.23 M`, 31234 -> `31.2 k`, 12.345 -> `12.3`, 0.01234 -> `0.0123`. */
export function si(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= BILLION) return `${(value / BILLION).toFixed(2)} G`;
  if (abs >= MILLION) return `${(value / MILLION).toFixed(2)} M`;
  if (abs >= THOUSAND) return `${(value / THOUSAND).toFixed(1)} k`;
  if (abs >= 10) return value.toFixed(1);
  if (abs === 0) return '0';
  return value.toPrecision(3);
}

/** Shortest form for round figures and axis ticks: 300000 -> `300k`, 1500000 -> `1.5M`, 2.5 -> `2.5`. */
export function compact(value: number): string {
  const abs = Math.abs(value);
  const trim = (x: number): string => String(Number(x.toPrecision(3)));
  if (abs >= BILLION) return `${trim(value / BILLION)}G`;
  if (abs >= MILLION) return `${trim(value / MILLION)}M`;
  if (abs >= THOUSAND) return `${trim(value / THOUSAND)}k`;
  return trim(value);
}

/** `312.4 k frames/s (298.1 k-330.0 k)`: median, then the spread of the runs. */
export function spread(m: ChartValue, unit: string): string {
  return `${si(m.median)} ${unit} (${si(m.min)}-${si(m.max)})`;
}

/** 10^6 -> `10^6`, 2*10^6 -> `2x10^6`, other values as `si`. */
export function power(value: number): string {
  const exponent = Math.round(Math.log10(value));
  if (10 ** exponent === value) return `10^${exponent}`;
  const mantissa = value / 10 ** Math.floor(Math.log10(value));
  if (Number.isInteger(mantissa)) return `${mantissa}x10^${Math.floor(Math.log10(value))}`;
  return si(value);
}

/** 95 -> `95 s`, 5400 -> `1.5 h`, 172800 -> `2.0 days`. */
export function duration(seconds: number): string {
  const MINUTE = 60;
  const HOUR = 3600;
  const DAY = 86_400;
  if (seconds < 2 * MINUTE) return `${seconds.toFixed(0)} s`;
  if (seconds < 2 * HOUR) return `${(seconds / MINUTE).toFixed(0)} min`;
  if (seconds < 2 * DAY) return `${(seconds / HOUR).toFixed(1)} h`;
  return `${(seconds / DAY).toFixed(1)} days`;
}

export function percent(fraction: number, digits = 1): string {
  return `${(100 * fraction).toFixed(digits)}%`;
}

export function byName(ms: readonly Measurement[], name: string): Measurement {
  const found = ms.find((m) => m.name === name);
  if (found === undefined) throw new RangeError(`no measurement named ${name}`);
  return found;
}

/** `onRun` for compare(): `suite: case run 2/5: 312.4 k frames/s`. */
export function runLogger(
  log: (message: string) => void,
  suite: string,
  runs: number,
  unit: string,
  extra?: (caseName: string) => string,
): (caseName: string, run: number, value: number) => void {
  return (caseName, run, value) => {
    const more = extra?.(caseName) ?? '';
    log(`${suite}: ${caseName} run ${run + 1}/${runs}: ${si(value)} ${unit}${more === '' ? '' : `, ${more}`}`);
  };
}
