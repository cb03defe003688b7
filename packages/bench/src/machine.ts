/**
 * What the figures were measured on. The machine is shared with other
 * engineers, so the load average is taken at the start and at the end of a
 * run: a reader can see how busy it was.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { arch, availableParallelism, cpus, freemem, loadavg, platform, release, totalmem, version } from 'node:os';
import { GNU_TIME, REPO_ROOT } from './paths.js';

export interface Machine {
  readonly cpuModel: string;
  /** Logical CPUs (os.cpus().length). */
  readonly cpuCount: number;
  /** CPUs this process may use (cgroup or affinity limits included). */
  readonly availableParallelism: number;
  readonly memoryTotalBytes: number;
  readonly memoryFreeBytesAtStart: number;
  readonly node: string;
  /** `Linux 6.1.0-... #1 SMP ...` */
  readonly kernel: string;
  readonly arch: string;
  /** 1, 5 and 15 minute load averages. */
  readonly loadAtStart: readonly number[];
  loadAtEnd: readonly number[];
  readonly gnuTime: boolean;
  /** Short commit hash, or null outside a git checkout. */
  readonly commit: string | null;
  /** Files changed and not committed when the run started (the code measured may differ from the commit). */
  readonly uncommittedFiles: number;
}

function git(args: readonly string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function describeMachine(): Machine {
  const list = cpus();
  const models = [...new Set(list.map((c) => c.model.trim()))];
  const status = git(['status', '--porcelain']);
  return {
    cpuModel: models.join(' + ') || 'unknown',
    cpuCount: list.length,
    availableParallelism: availableParallelism(),
    memoryTotalBytes: totalmem(),
    memoryFreeBytesAtStart: freemem(),
    node: process.version,
    kernel: `${platform() === 'linux' ? 'Linux' : platform()} ${release()} ${version()}`,
    arch: arch(),
    loadAtStart: loadavg(),
    loadAtEnd: loadavg(),
    gnuTime: existsSync(GNU_TIME),
    commit: git(['rev-parse', '--short', 'HEAD']),
    uncommittedFiles: status === null || status === '' ? 0 : status.split('\n').length,
  };
}

/** Call at the end of the run. */
export function recordEnd(machine: Machine): void {
  machine.loadAtEnd = loadavg();
}

export function formatLoad(load: readonly number[]): string {
  return load.map((l) => l.toFixed(2)).join(' / ');
}
