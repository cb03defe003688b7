import type { WindowResult } from '@uniqstream/core';

const GAP = '  ';
const PERCENT = 100;
const ERROR_DIGITS = 2;
const MS_PER_SECOND = 1000;

interface Column {
  readonly title: string;
  readonly width: number;
  readonly align: 'left' | 'right';
  readonly cell: (result: WindowResult) => string;
}

/** `2016-07-11T13:39:00Z`; widths fit years 1000-9999 (others just widen the row). */
const TIME_WIDTH = 20;

const COLUMNS: readonly Column[] = [
  { title: 'window', width: 6, align: 'left', cell: (r) => r.window },
  { title: 'start', width: TIME_WIDTH, align: 'left', cell: (r) => isoSeconds(r.start) },
  { title: 'end', width: TIME_WIDTH, align: 'left', cell: (r) => isoSeconds(r.end) },
  { title: 'users', width: 10, align: 'right', cell: (r) => String(r.users) },
  { title: 'frames', width: 12, align: 'right', cell: (r) => String(r.frames) },
  { title: 'revision', width: 8, align: 'right', cell: (r) => String(r.revision) },
  { title: 'final', width: 5, align: 'left', cell: (r) => (r.final ? 'yes' : 'no') },
  { title: 'method', width: 0, align: 'left', cell: methodCell },
];

/** The header line, with its `\n`. */
export function tableHeader(): string {
  return formatRow(COLUMNS.map((c) => c.title));
}

/** One result as a table row, with its `\n`. */
export function tableRow(result: WindowResult): string {
  return formatRow(COLUMNS.map((c) => c.cell(result)));
}

/** Unix seconds as ISO-8601 UTC without milliseconds. */
export function isoSeconds(seconds: number): string {
  const date = new Date(seconds * MS_PER_SECOND);
  if (Number.isNaN(date.getTime())) return String(seconds);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function methodCell(result: WindowResult): string {
  if (result.method !== 'hll' || result.error === undefined) return result.method;
  return `${result.method} ±${(result.error * PERCENT).toFixed(ERROR_DIGITS)}%`;
}

function formatRow(cells: readonly string[]): string {
  let line = '';
  for (let i = 0; i < COLUMNS.length; i++) {
    const column = COLUMNS[i]!;
    const cell = cells[i] ?? '';
    if (i > 0) line += GAP;
    line += column.align === 'right' ? cell.padStart(column.width) : cell.padEnd(column.width);
  }
  return line.trimEnd() + '\n';
}
