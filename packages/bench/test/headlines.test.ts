import { describe, expect, it } from 'vitest';
import { summarize, type SuiteReport } from '../src/harness.js';
import { withHeadlines } from '../src/headlines.js';

describe('withHeadlines', () => {
  it('derives the Kafka pipeline share of bare kafkajs per partition count', () => {
    const report: SuiteReport = {
      id: 'kafka',
      title: 'Kafka',
      notes: [],
      tables: [
        {
          caption: 'main',
          measurements: [
            summarize('1p (a) kafkajs eachBatch, no decoding', 'frames/s', [100, 100, 100]),
            summarize('1p (b) source -> decode -> count -> Kafka sink', 'frames/s', [90, 90, 90]),
            summarize('4p (a) kafkajs eachBatch, no decoding', 'frames/s', [200, 200, 200]),
            summarize('4p (b) source -> decode -> count -> Kafka sink', 'frames/s', [100, 100, 100]),
          ],
        },
      ],
    };
    const headlines = withHeadlines(report).headlines!;
    expect(headlines.map((h) => [h.key, h.met])).toEqual([
      ['kafka.1p', true],
      ['kafka.4p', false],
    ]);
    expect(headlines[1]!.value).toContain('50% of');
  });

  it("leaves a suite's own headlines alone and tolerates renamed cases", () => {
    const own: SuiteReport = {
      id: 'kafka',
      title: 'K',
      notes: [],
      tables: [],
      headlines: [{ key: 'x', label: 'x', value: '1' }],
    };
    expect(withHeadlines(own).headlines).toEqual(own.headlines);
    const renamed: SuiteReport = {
      id: 'decode',
      title: 'D',
      notes: [],
      tables: [{ caption: 'c', measurements: [summarize('something else', 'frames/s', [1])] }],
    };
    expect(withHeadlines(renamed).headlines).toEqual([]);
  });
});
