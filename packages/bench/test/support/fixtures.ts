import type { Machine } from '../../src/machine.js';
import type { RunReport } from '../../src/report.js';

const machine: Machine = {
  cpuModel: 'Test CPU',
  cpuCount: 2,
  availableParallelism: 2,
  memoryTotalBytes: 24e9,
  memoryFreeBytesAtStart: 20e9,
  node: 'v20.0.0',
  kernel: 'Linux 6.1.0 #1 SMP',
  arch: 'x64',
  loadAtStart: [1, 2, 3],
  loadAtEnd: [1.5, 2, 3],
  gnuTime: true,
  commit: 'abc1234',
  uncommittedFiles: 0,
};

/** A small complete run, as main.ts would write it. */
export const run: RunReport = {
  version: 1,
  stamp: '2025-01-02-0304',
  name: '2025-01-02-0304',
  startedAt: '2025-01-02T03:04:05.000Z',
  durationSeconds: 1800,
  command: 'pnpm bench',
  quick: false,
  runs: 5,
  suites: ['e2e', 'accuracy'],
  machine,
  reports: [
    {
      id: 'accuracy',
      title: 'Accuracy',
      tables: [],
      notes: [],
      paragraphs: ['**Estimated counting error.** Small.'],
      headlines: [{ key: 'accuracy.minute', label: 'Accuracy', value: '99%' }],
    },
    {
      id: 'e2e',
      title: 'End to end',
      tables: [],
      notes: [],
      charts: [{ kind: 'bar', id: 'e2e-speed', title: 'Speed', unit: 'frames/s', bars: [] }],
      headlines: [
        {
          key: 'e2e.minute.framesPerSecond',
          label: 'Minute windows',
          value: '312 k frames/s',
          target: '>= 300k frames/s',
          met: true,
        },
      ],
    },
  ],
  failures: [],
  chartFiles: { 'e2e-speed': '2025-01-02-0304-e2e-speed.svg' },
};
