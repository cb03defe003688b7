import { expect } from 'vitest';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: string;
  readonly help: string;
}

export interface Exposition {
  /** Metric families by name, from their HELP and TYPE lines. */
  readonly families: Map<string, Family>;
  readonly samples: Sample[];
  /** The value of the first sample named `name` with these labels (and maybe more). */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const SUFFIXES = ['_bucket', '_sum', '_count', '_created'];
const TYPES = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];

/**
 * The Prometheus text exposition format, strictly: HELP and TYPE lines,
 * then samples `name{label="value",...} number`; every sample belongs to a
 * family declared by a TYPE line before it, and every family has a HELP line.
 */
export function parsePrometheus(text: string): Exposition {
  const helps = new Map<string, string>();
  const families = new Map<string, Family>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      const rest = line.slice('# HELP '.length);
      const space = rest.indexOf(' ');
      helps.set(space === -1 ? rest : rest.slice(0, space), space === -1 ? '' : rest.slice(space + 1));
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      expect(TYPES).toContain(type);
      expect(helps.has(name!), `${name} has no HELP line before its TYPE`).toBe(true);
      families.set(name!, { name: name!, type: type!, help: helps.get(name!)! });
      continue;
    }
    const match = SAMPLE.exec(line);
    expect(match, `not a sample line: ${line}`).not.toBeNull();
    const [, name, labelText, valueText] = match!;
    const family = SUFFIXES.reduce(
      (n, s) => (n.endsWith(s) && families.has(n.slice(0, -s.length)) ? n.slice(0, -s.length) : n),
      name!,
    );
    expect(families.has(family), `sample ${name} without a TYPE line`).toBe(true);
    // Prometheus reads values with Go's ParseFloat: NaN and Inf in any case.
    const value = /^nan$/i.test(valueText!)
      ? Number.NaN
      : /^\+?inf$/i.test(valueText!)
        ? Infinity
        : /^-inf$/i.test(valueText!)
          ? -Infinity
          : Number(valueText);
    expect(Number.isNaN(value) && !/^nan$/i.test(valueText!), `bad value in ${line}`).toBe(false);
    const labels: Record<string, string> = {};
    for (const [, key, v] of (labelText ?? '').matchAll(LABEL)) labels[key!] = v!;
    samples.push({ name: name!, labels, value });
  }
  return {
    families,
    samples,
    value: (name, labels = {}) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value,
  };
}
