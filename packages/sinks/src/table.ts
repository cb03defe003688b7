import { createCalendar, type WindowResult } from '@uniqstream/core';

const GAP = '  ';
const PERCENT = 100;
const ERROR_DIGITS = 2;
const MS_PER_SECOND = 1000;
const UTC = 'UTC';

interface Column {
  readonly title: string;
  readonly width: number;
  readonly align: 'left' | 'right';
  readonly cell: (result: WindowResult) => string;
}

/** `2016-07-11T13:39:00Z`; widths fit years 1000-9999 (others just widen the row). */
const UTC_TIME_WIDTH = 20;
/** `2016-07-11T15:39:00+02:00` */
const ZONED_TIME_WIDTH = 25;

/**
 * A fixed-width table of results, its times in UTC (`...Z`) or in an IANA
 * time zone (local time with its offset, the zone named in the header), as
 * `--tz` cuts the windows.
 */
class ResultTable {
  private readonly columns: readonly Column[];

  constructor(timeZone: string) {
    const time = timeZone === UTC ? isoSeconds : zonedIsoSeconds(timeZone);
    const width = timeZone === UTC ? UTC_TIME_WIDTH : ZONED_TIME_WIDTH;
    const zoneNote = timeZone === UTC ? '' : ` (${timeZone})`;
    this.columns = [
      { title: 'window', width: 6, align: 'left', cell: (r) => r.window },
      { title: `start${zoneNote}`, width, align: 'left', cell: (r) => time(r.start) },
      { title: `end${zoneNote}`, width, align: 'left', cell: (r) => time(r.end) },
      { title: 'users', width: 10, align: 'right', cell: (r) => String(r.users) },
      { title: 'frames', width: 12, align: 'right', cell: (r) => String(r.frames) },
      { title: 'revision', width: 8, align: 'right', cell: (r) => String(r.revision) },
      { title: 'final', width: 5, align: 'left', cell: (r) => (r.final ? 'yes' : 'no') },
      { title: 'method', width: 0, align: 'left', cell: methodCell },
    ];
  }

  header(): string {
    return this.format(this.columns.map((c) => c.title));
  }

  row(result: WindowResult): string {
    return this.format(this.columns.map((c) => c.cell(result)));
  }

  private format(cells: readonly string[]): string {
    let line = '';
    for (let i = 0; i < this.columns.length; i++) {
      const column = this.columns[i]!;
      const cell = cells[i] ?? '';
      if (i > 0) line += GAP;
      // A title longer than the column (a zone's name) widens it, so cells stay under their titles.
      const width = Math.max(column.width, column.title.length);
      line += column.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
    }
    return `${line.trimEnd()}\n`;
  }
}

/** One table per zone: building the formatter is the costly part, and rows come one at a time. */
const tables = new Map<string, ResultTable>();

function tableFor(timeZone: string): ResultTable {
  // The zone's canonical name, as the windows use it; an unknown zone is core's BAD_OPTION.
  const zone = createCalendar(timeZone).timeZone;
  let table = tables.get(zone);
  if (table === undefined) {
    table = new ResultTable(zone);
    tables.set(zone, table);
  }
  return table;
}

/** The header line, with its `\n`; times in `timeZone` (default UTC). */
export function tableHeader(timeZone = UTC): string {
  return tableFor(timeZone).header();
}

/** One result as a table row, with its `\n`; times in `timeZone` (default UTC). */
export function tableRow(result: WindowResult, timeZone = UTC): string {
  return tableFor(timeZone).row(result);
}

/** Unix seconds as ISO-8601 UTC without milliseconds. */
export function isoSeconds(seconds: number): string {
  const date = new Date(seconds * MS_PER_SECOND);
  if (Number.isNaN(date.getTime())) return String(seconds);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Unix seconds as ISO-8601 local time in `timeZone` with its offset: `2016-07-11T15:39:00+02:00`. */
function zonedIsoSeconds(timeZone: string): (seconds: number) => string {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'longOffset',
  });
  return (seconds) => {
    const date = new Date(seconds * MS_PER_SECOND);
    if (Number.isNaN(date.getTime())) return String(seconds);
    const part: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
    for (const { type, value } of format.formatToParts(date)) part[type] = value;
    // longOffset reads `GMT+02:00`, or plain `GMT` for an offset of zero.
    const offset = (part.timeZoneName ?? 'GMT').replace('GMT', '') || '+00:00';
    return `${part.year}-${part.month}-${part.day}T${part.hour}:${part.minute}:${part.second}${offset}`;
  };
}

function methodCell(result: WindowResult): string {
  if (result.method !== 'hll' || result.error === undefined) return result.method;
  return `${result.method} ±${(result.error * PERCENT).toFixed(ERROR_DIGITS)}%`;
}
