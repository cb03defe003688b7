import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { END_MARKER, START_MARKER, readmeBlock } from '../src/readme-block.js';
import type { RunReport } from '../src/report.js';
import { readRun, updateReadmes, withPartial, writeRun } from '../src/results.js';
import { run } from './support/fixtures.js';

describe('writeRun and updateReadmes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-results-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the report, its data and its charts, and latest copies only for a complete run', () => {
    const partial = writeRun({ ...run, name: `${run.stamp}-partial` }, false, dir);
    expect(partial.latest).toBeNull();
    expect(existsSync(join(dir, 'latest.md'))).toBe(false);
    const complete = writeRun(run, true, dir);
    expect(readFileSync(complete.latest!, 'utf8')).toBe(readFileSync(complete.markdown, 'utf8'));
    expect(readFileSync(join(dir, '2025-01-02-0304-e2e-speed.svg'), 'utf8')).toMatch(/^<svg/);
    expect(readRun(join(dir, 'latest.json'))).toEqual(run);
  });

  it('rewrites every README, or none when one lacks its markers', () => {
    const root = join(dir, 'ROOT.md');
    const bench = join(dir, 'BENCH.md');
    const consumer = join(dir, 'CONSUMER.md');
    const original = `# x\n\n${START_MARKER}\nold\n${END_MARKER}\n`;
    writeFileSync(root, original);
    writeFileSync(bench, original);
    writeFileSync(consumer, '# no markers\n');
    expect(() => updateReadmes(run, { root, bench, consumer })).toThrow(/markers/);
    expect(readFileSync(root, 'utf8')).toBe(original);

    writeFileSync(consumer, original);
    expect(updateReadmes(run, { root, bench, consumer })).toEqual([root, bench, consumer]);
    expect(readFileSync(root, 'utf8')).toContain('(packages/bench/results/2025-01-02-0304.md)');
    expect(readFileSync(bench, 'utf8')).toContain('(results/2025-01-02-0304.md)');
    expect(readFileSync(consumer, 'utf8')).toContain('(../../packages/bench/results/2025-01-02-0304.md)');
    expect(updateReadmes(run, { root, bench, consumer })).toEqual([]);
  });

  it("gives the consumer service's README the service's suites alone, with the partial report they come from", () => {
    const service: RunReport = {
      ...run,
      name: '2025-02-03-0405-partial',
      startedAt: '2025-02-03T04:05:06.000Z',
      command: 'npm run bench -- --suite scale-out',
      reports: [
        {
          id: 'scale-out',
          title: 'Kafka service',
          tables: [],
          notes: [],
          paragraphs: ['**Service throughput.** Fast.'],
          headlines: [{ key: 'scaleOut.service.1p', label: 'Service, 1 partition', value: '100 k frames/s' }],
        },
      ],
    };
    const consumer = join(dir, 'CONSUMER-2.md');
    writeFileSync(consumer, `${START_MARKER}\n${END_MARKER}\n`);
    const root = join(dir, 'ROOT-2.md');
    const bench = join(dir, 'BENCH-2.md');
    writeFileSync(root, `${START_MARKER}\n${END_MARKER}\n`);
    writeFileSync(bench, `${START_MARKER}\n${END_MARKER}\n`);
    updateReadmes(withPartial(run, service), { root, bench, consumer });
    const text = readFileSync(consumer, 'utf8');
    expect(text).toContain('| Service, 1 partition | 100 k frames/s |');
    expect(text).toContain('**Service throughput.** Fast.');
    expect(text).toContain(
      'The figures of **Kafka service** come from [the partial report of ' +
        '2025-02-03](../../packages/bench/results/2025-02-03-0405-partial.md)',
    );
    expect(text).toContain('`npm run bench -- --suite scale-out,latency`');
    expect(text).not.toContain('Minute windows');
    expect(readFileSync(root, 'utf8')).toContain('Minute windows');
  });
});

describe('withPartial', () => {
  const partial: RunReport = {
    ...run,
    stamp: '2025-02-03-0405',
    name: '2025-02-03-0405-partial',
    startedAt: '2025-02-03T04:05:06.000Z',
    command: 'npm run bench -- --suite accuracy',
    suites: ['accuracy'],
    machine: { ...run.machine, loadAtStart: [4, 5, 6], loadAtEnd: [7, 8, 9] },
    reports: [
      {
        id: 'accuracy',
        title: 'Accuracy',
        tables: [],
        notes: [],
        paragraphs: ['**Estimated counting error.** Newer.'],
        headlines: [{ key: 'accuracy.minute', label: 'Accuracy', value: '98%' }],
      },
    ],
    chartFiles: {},
  };

  it(
    "puts the partial run's suites in place of the complete run's, and the READMEs name the report " + 'they come from',
    () => {
      const merged = withPartial(run, partial);
      expect(merged.reports.map((r) => r.id)).toEqual(['e2e', 'accuracy']);
      expect(merged.reports.find((r) => r.id === 'accuracy')!.headlines![0]!.value).toBe('98%');
      expect(merged.chartFiles).toEqual(run.chartFiles);
      const block = readmeBlock(merged, { resultsLink: 'results/', paragraphsOf: ['accuracy'] });
      expect(block).toContain(
        '[the benchmark report of 2025-01-02](results/2025-01-02-0304.md) and [the partial report of ' +
          '2025-02-03](results/2025-02-03-0405-partial.md)',
      );
      expect(block).toContain(
        'The figures of **Accuracy** come from [the partial report of ' +
          '2025-02-03](results/2025-02-03-0405-partial.md) (`npm run bench -- --suite accuracy`, on ' +
          '2025-02-03, load average 4.00 / 5.00 / 6.00 at the start',
      );
      expect(block).toContain('Newer.');
      expect(block).not.toContain('Small.');
    },
  );

  it('quotes only the latest partial run of the same suites', () => {
    const later = { ...partial, name: '2025-03-04-0506-partial', startedAt: '2025-03-04T05:06:07.000Z' };
    expect(withPartial(withPartial(run, partial), later).partials!.map((p) => p.name)).toEqual([
      '2025-03-04-0506-partial',
    ]);
  });
});
