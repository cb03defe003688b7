import { describe, expect, it } from 'vitest';
import { Progress } from '../src/progress.js';
import { memoryIo } from './support/memory-io.js';

describe('Progress', () => {
  it('prints one summary line with frames, MB, seconds and MB/s', () => {
    const mem = memoryIo();
    const progress = new Progress(mem.io, false, false, 100);
    progress.add(100, 2_000_000);
    mem.advance(500);
    progress.tick();
    progress.finish('stdout');
    expect(mem.stderrText()).toBe('uniqstream-sim: 100 frames (100.0%), 2.0 MB in 0.5 s (4.0 MB/s) to stdout\n');
  });

  it('reports once a second when asked, one line each off a terminal', () => {
    const mem = memoryIo();
    const progress = new Progress(mem.io, true, false, null);
    for (let i = 0; i < 10; i++) {
      progress.add(10, 1000);
      mem.advance(300);
      progress.tick();
    }
    // 3 s in steps of 0.3 s: reports at 1.2, 2.4 s.
    expect(
      mem
        .stderrText()
        .split('\n')
        .filter((l) => l !== ''),
    ).toHaveLength(2);
  });

  it('rewrites one line on a terminal and clears it at the end', () => {
    const mem = memoryIo({ stderrIsTTY: true });
    const progress = new Progress(mem.io, true, false, null);
    mem.advance(1500);
    progress.tick();
    progress.finish('stdout');
    const text = mem.stderrText();
    expect(text.startsWith('\r\x1b[K')).toBe(true);
    expect(text.match(/\n/g)).toHaveLength(1);
  });

  it('says nothing when quiet', () => {
    const mem = memoryIo();
    new Progress(mem.io, false, true, null).finish('stdout');
    expect(mem.stderrText()).toBe('');
  });
});
