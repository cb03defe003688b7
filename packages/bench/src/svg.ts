/**
 * Hand-written SVG charts for the report: horizontal bars (one per case,
 * median with a min-max whisker) and lines (series over x, log or linear).
 * Plain SVG 1.1 with a white background, readable on GitHub in light and
 * dark mode; no chart library.
 */
import { compact, si } from './format.js';
import type { BarChart, Chart, LineChart } from './harness.js';

const WIDTH = 760;
const FONT_SIZE = 12;
const TITLE_SIZE = 14;
/** Average width of a character at FONT_SIZE in a sans-serif font, for laying out labels. */
const CHAR_WIDTH = 6.6;
const BAR_ROW = 28;
const BAR_HEIGHT = 18;
const LINE_HEIGHT = 360;
const MARGIN = 16;
const TITLE_SPACE = 44;
const AXIS_SPACE = 36;
const TICKS = 5;
const POINT_RADIUS = 3.5;
const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1'] as const;
const TARGET_COLOR = '#d62728';
const GRID_COLOR = '#e5e5e5';
const TEXT_COLOR = '#222222';

export function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/** A round step (1, 2 or 5 times a power of ten) that cuts [0, max] into about `count` parts. */
export function niceStep(max: number, count = TICKS): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const residual = raw / magnitude;
  const factor = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10;
  return factor * magnitude;
}

/** Ticks 0, step, 2 step, ... up to the first at or above `max`. */
export function ticks(max: number): number[] {
  const step = niceStep(max);
  const out = [0];
  while (out[out.length - 1]! < max) out.push(out.length * step);
  return out;
}

const round = (x: number): string => (Math.round(x * 10) / 10).toString();

function text(x: number, y: number, content: string, attrs = ''): string {
  return (
    `<text x="${round(x)}" y="${round(y)}" ` +
    `font-size="${FONT_SIZE}"${attrs === '' ? '' : ` ${attrs}`}>${escapeXml(content)}</text>`
  );
}

function frame(height: number, title: string, body: readonly string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${round(height)}" viewBox="0 0 ${WIDTH} ` +
      `${round(height)}" font-family="sans-serif" fill="${TEXT_COLOR}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${round(height)}" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="${MARGIN + TITLE_SIZE}" font-size="${TITLE_SIZE}" ` +
      `font-weight="bold">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

export function barChart(chart: BarChart): string {
  const labelWidth = Math.min(WIDTH / 2, Math.max(...chart.bars.map((b) => b.label.length), 4) * CHAR_WIDTH + MARGIN);
  const valueSpace = 14 * CHAR_WIDTH;
  const left = MARGIN + labelWidth;
  const right = WIDTH - MARGIN - valueSpace;
  const top = MARGIN + TITLE_SPACE;
  const plotHeight = chart.bars.length * BAR_ROW;
  const height = top + plotHeight + AXIS_SPACE + MARGIN;
  const max = Math.max(...chart.bars.map((b) => b.max), chart.target?.value ?? 0);
  const axis = ticks(max);
  const scale = (v: number): number => left + ((right - left) * v) / axis[axis.length - 1]!;
  const body: string[] = [];
  for (const t of axis) {
    body.push(
      `<line x1="${round(scale(t))}" y1="${top}" x2="${round(scale(t))}" y2="${top + plotHeight}" ` +
        `stroke="${GRID_COLOR}"/>`,
    );
    body.push(text(scale(t), top + plotHeight + FONT_SIZE + 6, compact(t), 'text-anchor="middle"'));
  }
  body.push(text((left + right) / 2, top + plotHeight + FONT_SIZE * 2 + 10, chart.unit, 'text-anchor="middle"'));
  chart.bars.forEach((bar, i) => {
    const y = top + i * BAR_ROW + (BAR_ROW - BAR_HEIGHT) / 2;
    const mid = y + BAR_HEIGHT / 2;
    body.push(text(left - 8, mid + FONT_SIZE / 3, bar.label, 'text-anchor="end"'));
    body.push(
      `<rect x="${left}" y="${round(y)}" width="${round(Math.max(0, scale(bar.median) - left))}" ` +
        `height="${BAR_HEIGHT}" fill="${COLORS[0]}"/>`,
    );
    body.push(
      `<line x1="${round(scale(bar.min))}" y1="${round(mid)}" x2="${round(scale(bar.max))}" ` +
        `y2="${round(mid)}" stroke="${TEXT_COLOR}" stroke-width="1.5"/>`,
    );
    for (const end of [bar.min, bar.max])
      body.push(
        `<line x1="${round(scale(end))}" y1="${round(mid - 5)}" x2="${round(scale(end))}" ` +
          `y2="${round(mid + 5)}" stroke="${TEXT_COLOR}" stroke-width="1.5"/>`,
      );
    body.push(text(Math.max(scale(bar.max), scale(bar.median)) + 6, mid + FONT_SIZE / 3, si(bar.median)));
  });
  if (chart.target !== undefined) {
    const x = scale(chart.target.value);
    body.push(
      `<line x1="${round(x)}" y1="${top - 6}" x2="${round(x)}" y2="${top + plotHeight}" ` +
        `stroke="${TARGET_COLOR}" stroke-width="2" stroke-dasharray="6 4"/>`,
    );
    body.push(text(x, top - 10, chart.target.label, `text-anchor="middle" fill="${TARGET_COLOR}"`));
  }
  return frame(height, chart.title, body);
}

export function lineChart(chart: LineChart): string {
  const legendSpace = chart.series.length > 1 ? FONT_SIZE + 12 : 0;
  const left = MARGIN + 9 * CHAR_WIDTH;
  const right = WIDTH - MARGIN - 2 * CHAR_WIDTH;
  const top = MARGIN + TITLE_SPACE + legendSpace;
  const bottom = LINE_HEIGHT - AXIS_SPACE - MARGIN;
  const points = chart.series.flatMap((s) => s.points);
  const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
  const yMax = Math.max(...points.map((p) => p.max), chart.target?.value ?? 0);
  const yAxis = ticks(yMax);
  const f = (x: number): number => (chart.logX ? Math.log10(x) : x);
  const x0 = f(xs[0] ?? 1);
  const x1 = f(xs[xs.length - 1] ?? 1);
  const span = x1 - x0 || 1;
  const pad = (right - left) * 0.04;
  const sx = (x: number): number => left + pad + ((right - left - 2 * pad) * (f(x) - x0)) / span;
  const sy = (y: number): number => bottom - ((bottom - top) * y) / yAxis[yAxis.length - 1]!;
  const body: string[] = [];
  for (const t of yAxis) {
    body.push(`<line x1="${left}" y1="${round(sy(t))}" x2="${right}" y2="${round(sy(t))}" stroke="${GRID_COLOR}"/>`);
    body.push(text(left - 6, sy(t) + FONT_SIZE / 3, compact(t), 'text-anchor="end"'));
  }
  for (const x of xs) body.push(text(sx(x), bottom + FONT_SIZE + 6, compact(x), 'text-anchor="middle"'));
  body.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="${TEXT_COLOR}"/>`);
  body.push(
    text(
      (left + right) / 2,
      bottom + FONT_SIZE * 2 + 10,
      `${chart.xLabel}${chart.logX ? ' (log scale)' : ''}`,
      'text-anchor="middle"',
    ),
  );
  body.push(text(MARGIN, top - 14, chart.unit));
  if (chart.target !== undefined) {
    const y = sy(chart.target.value);
    body.push(
      `<line x1="${left}" y1="${round(y)}" x2="${right}" y2="${round(y)}" stroke="${TARGET_COLOR}" ` +
        `stroke-width="2" stroke-dasharray="6 4"/>`,
    );
    body.push(text(right, y - 4, chart.target.label, `text-anchor="end" fill="${TARGET_COLOR}"`));
  }
  chart.series.forEach((series, i) => {
    const color = COLORS[i % COLORS.length]!;
    const sorted = [...series.points].sort((a, b) => a.x - b.x);
    body.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" ` +
        `points="${sorted.map((p) => `${round(sx(p.x))},${round(sy(p.median))}`).join(' ')}"/>`,
    );
    for (const p of sorted) {
      body.push(
        `<line x1="${round(sx(p.x))}" y1="${round(sy(p.min))}" x2="${round(sx(p.x))}" ` +
          `y2="${round(sy(p.max))}" stroke="${color}" stroke-width="1.5"/>`,
      );
      body.push(`<circle cx="${round(sx(p.x))}" cy="${round(sy(p.median))}" r="${POINT_RADIUS}" fill="${color}"/>`);
    }
    if (chart.series.length > 1) {
      const lx = left + i * 160;
      const ly = MARGIN + TITLE_SPACE + 2;
      body.push(`<rect x="${lx}" y="${ly}" width="14" height="4" fill="${color}"/>`);
      body.push(text(lx + 20, ly + 6, series.name));
    }
  });
  return frame(LINE_HEIGHT, chart.title, body);
}

export function renderChart(chart: Chart): string {
  return chart.kind === 'bar' ? barChart(chart) : lineChart(chart);
}
