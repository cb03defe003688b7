import { describe, expect, it } from 'vitest';
import { summarize } from '../src/harness.js';
import { anchorOf, measurementTable, renderReport, stampOf, textTable } from '../src/report.js';
import { run } from './support/fixtures.js';

describe('report', () => {
  it('stamps the UTC start as YYYY-MM-DD-HHMM', () => {
    expect(stampOf(new Date('2025-11-26T09:05:59.999Z'))).toBe('2025-11-26-0905');
  });

  it('makes the anchors GitHub makes for headings', () => {
    expect(anchorOf('End to end: file -> uniqstream count -> /dev/null')).toBe(
      'end-to-end-file---uniqstream-count---devnull',
    );
    expect(anchorOf("Decoding: the parser's share of the end-to-end time")).toBe(
      'decoding-the-parsers-share-of-the-end-to-end-time',
    );
  });

  it('writes a measurement as median, min, max, unit and its number of runs', () => {
    const table = measurementTable('Speed', [summarize('a | b', 'frames/s', [300_000, 100_000, 200_000])]);
    expect(table).toContain('| a \\| b | 200.0 k | 100.0 k | 300.0 k | frames/s | 3 |');
  });

  it('writes text tables with a separator row as wide as the header', () => {
    const table = textTable({ caption: 'Sizes', header: ['a', 'b'], rows: [['1', '2']] });
    expect(table.split('\n')).toEqual(['**Sizes**', '', '| a | b |', '|---|---|', '| 1 | 2 |']);
  });

  it('holds the machine, the shared-machine warning, the headlines, charts and every suite', () => {
    const md = renderReport(run);
    expect(md).toContain('| CPU | Test CPU, 2 logical CPUs (2 available to Node) |');
    expect(md).toContain('start 1.00 / 2.00 / 3.00; end 1.50 / 2.00 / 3.00');
    expect(md).toContain('**This machine is shared**');
    expect(md).toContain('| Minute windows | 312 k frames/s | >= 300k frames/s: **met** |');
    expect(md).toContain('![Speed](2025-01-02-0304-e2e-speed.svg)');
    expect(md).toContain('- [End to end](#end-to-end)');
    expect(md).toContain('**Estimated counting error.** Small.');
  });
});
