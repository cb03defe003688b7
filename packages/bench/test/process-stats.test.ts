import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesReadOf, childOf, cpuOf, peakRssOf, ProcessSampler } from '../src/process-stats.js';

const linux = process.platform === 'linux';

describe.runIf(linux)('process-stats', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-proc-'));
  const file = join(dir, 'four-mib');
  writeFileSync(file, Buffer.alloc(4 * 1024 * 1024, 1));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the CPU time, the bytes read and the peak RSS of a process', () => {
    const before = bytesReadOf(process.pid)!;
    readFileSync(file);
    expect(bytesReadOf(process.pid)! - before).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    expect(cpuOf(process.pid)).toBeGreaterThan(0);
    expect(peakRssOf(process.pid)).toBeGreaterThan(1e6);
    expect(bytesReadOf(2 ** 22 + 1)).toBeUndefined();
    expect(cpuOf(undefined)).toBe(0);
  });

  it("finds a process's child", async () => {
    const shell = spawn('sh', ['-c', 'sleep 5 & wait'], { stdio: 'ignore' });
    try {
      let child: number | undefined;
      for (let i = 0; i < 200 && child === undefined; i++) {
        child = childOf(shell.pid!);
        if (child === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      // Field 4 of /proc/<pid>/stat, the second after the command name: the parent's pid.
      const stat = readFileSync(`/proc/${child}/stat`, 'utf8');
      expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])).toBe(shell.pid);
    } finally {
      shell.kill('SIGKILL');
    }
  });

  it('sees a burst of reading in its samples, first and last', () => {
    const sampler = new ProcessSampler(60_000);
    try {
      sampler.add(process.pid);
      readFileSync(file);
      // add() of a known process takes a sample and adds nothing.
      sampler.add(process.pid);
      sampler.add(process.pid);
      const [first, burst, after] = sampler.samples;
      expect(sampler.firstBurst(1024 * 1024)).toBe(burst);
      expect(sampler.lastBurst(1024 * 1024)).toBe(burst);
      expect(sampler.at(after!.atMs)).toBe(after);
      expect(sampler.at(first!.atMs - 1)).toBe(first);
      expect(sampler.peakRss(process.pid)).toBeGreaterThan(1e6);
    } finally {
      sampler.stop();
    }
  });
});
