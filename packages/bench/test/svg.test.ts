import { describe, expect, it } from 'vitest';
import type { BarChart, LineChart } from '../src/harness.js';
import { barChart, escapeXml, lineChart, niceStep, ticks } from '../src/svg.js';

/** Checks tags nest and close properly (a small stand-in for an XML parser). */
function wellFormed(svg: string): boolean {
  const stack: string[] = [];
  for (const match of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = match;
    if (selfClosing === '/') continue;
    if (closing === '/') {
      if (stack.pop() !== name) return false;
    } else stack.push(name!);
  }
  return stack.length === 0 && svg.startsWith('<svg');
}

const bars: BarChart = {
  kind: 'bar',
  id: 'speed',
  title: 'Speed <fast & slow>',
  unit: 'frames/s',
  bars: [
    { label: 'a', median: 100_000, min: 90_000, max: 110_000 },
    { label: 'b', median: 300_000, min: 250_000, max: 320_000 },
  ],
  target: { value: 200_000, label: 'target' },
};

describe('niceStep and ticks', () => {
  it('steps are 1, 2 or 5 times a power of ten and the ticks reach the maximum', () => {
    for (const max of [0.7, 3, 17, 99, 100, 101, 2345, 312_000, 9.9e6]) {
      const step = niceStep(max);
      const mantissa = step / 10 ** Math.floor(Math.log10(step));
      expect([1, 2, 5, 10].some((m) => Math.abs(m - mantissa) < 1e-9)).toBe(true);
      const t = ticks(max);
      expect(t[0]).toBe(0);
      expect(t.at(-1)!).toBeGreaterThanOrEqual(max);
      expect(t.at(-2) ?? -1).toBeLessThan(max);
    }
  });
});

describe('barChart', () => {
  const svg = barChart(bars);

  it('is well-formed SVG with the title escaped', () => {
    expect(wellFormed(svg)).toBe(true);
    expect(svg).toContain(escapeXml('Speed <fast & slow>'));
    expect(svg).not.toContain('<fast & slow>');
  });

  it('draws bars in proportion to their medians', () => {
    const widths = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="18"/g)].map((m) =>
      Number(m[1]),
    );
    expect(widths).toHaveLength(2);
    expect(widths[1]! / widths[0]!).toBeCloseTo(3, 1);
  });

  it('draws the target as a dashed line', () => {
    expect(svg).toMatch(/stroke-dasharray="6 4"/);
  });
});

describe('lineChart', () => {
  const chart: LineChart = {
    kind: 'line',
    id: 'rss',
    title: 'RSS',
    xLabel: 'frames',
    unit: 'MB',
    logX: true,
    series: [
      {
        name: 'exact',
        points: [1e5, 1e6, 1e7].map((x, i) => ({ x, median: 100 * (i + 1), min: 90 * (i + 1), max: 110 * (i + 1) })),
      },
      { name: 'hll', points: [1e5, 1e6, 1e7].map((x) => ({ x, median: 100, min: 95, max: 105 })) },
    ],
  };
  const svg = lineChart(chart);

  it('is well-formed, with one polyline per series and a legend', () => {
    expect(wellFormed(svg)).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('>exact<');
    expect(svg).toContain('>hll<');
  });

  it('spaces powers of ten evenly on a log axis', () => {
    const first = svg.match(/<polyline[^>]*points="([^"]+)"/)![1]!;
    const xs = first.split(' ').map((p) => Number(p.split(',')[0]));
    expect(xs[1]! - xs[0]!).toBeCloseTo(xs[2]! - xs[1]!, 0);
    // Higher values are drawn higher (smaller y).
    const ys = first.split(' ').map((p) => Number(p.split(',')[1]));
    expect(ys[0]!).toBeGreaterThan(ys[2]!);
  });
});
