import { describe, expect, it } from 'vitest';
import { END_MARKER, START_MARKER, orderedHeadlines, readmeBlock, replaceBlock } from '../src/readme-block.js';
import { run } from './support/fixtures.js';

describe('replaceBlock', () => {
  const before = '# Title\n\ntext before\n\n## Performance\n\n';
  const readme = `${before}${START_MARKER}\nold\nlines\n${END_MARKER}\n\ntext after\n`;

  it('replaces only what is between the markers', () => {
    const next = replaceBlock(readme, 'new block');
    expect(next).toBe(
      `# Title\n\ntext before\n\n## Performance\n\n${START_MARKER}\nnew block\n${END_MARKER}\n\ntext after\n`,
    );
    expect(replaceBlock(next, 'new block')).toBe(next);
  });

  it('refuses a README without both markers, with them twice or in the wrong order', () => {
    expect(() => replaceBlock('# no markers', 'x')).toThrow(/markers/);
    expect(() => replaceBlock(`${END_MARKER}\n${START_MARKER}`, 'x')).toThrow(/exactly once/);
    expect(() => replaceBlock(`${START_MARKER}${END_MARKER}${START_MARKER}`, 'x')).toThrow(/exactly once/);
  });
});

describe('readmeBlock', () => {
  it('holds the headlines in README order, the machine, the date and links to the report and chart', () => {
    const block = readmeBlock(run, {
      resultsLink: 'packages/bench/results/',
      paragraphsOf: ['accuracy'],
      chart: 'e2e-speed',
    });
    expect(block).toContain('(packages/bench/results/2025-01-02-0304.md)');
    expect(block).toContain('(packages/bench/results/2025-01-02-0304-e2e-speed.svg)');
    expect(block).toContain('Test CPU, 2 logical CPUs');
    expect(block).toContain('2025-01-02');
    expect(block).toContain('**Estimated counting error.** Small.');
    expect(block.indexOf('Minute windows')).toBeLessThan(block.indexOf('| Accuracy |'));
    expect(block).toContain('>= 300k frames/s: **met**');
    expect(block).not.toContain(START_MARKER);
  });

  it('orders known headlines first and keeps the rest in report order', () => {
    const keys = orderedHeadlines([
      { key: 'zzz', label: '', value: '' },
      { key: 'accuracy.minute', label: '', value: '' },
      { key: 'e2e.minute.framesPerSecond', label: '', value: '' },
      { key: 'aaa', label: '', value: '' },
    ]).map((h) => h.key);
    expect(keys).toEqual(['e2e.minute.framesPerSecond', 'accuracy.minute', 'zzz', 'aaa']);
  });

  it('keeps the Kafka figures together: the kafka suite, then every scale-out and latency key in report order', () => {
    const keys = orderedHeadlines([
      { key: 'latency.service', label: '', value: '' },
      { key: 'historical.framesPerSecond', label: '', value: '' },
      { key: 'latency.count-cli', label: '', value: '' },
      { key: 'scaleOut.oneInstance', label: '', value: '' },
      { key: 'kafka.4p', label: '', value: '' },
    ]).map((h) => h.key);
    expect(keys).toEqual([
      'kafka.4p',
      'scaleOut.oneInstance',
      'latency.service',
      'latency.count-cli',
      'historical.framesPerSecond',
    ]);
  });
});
