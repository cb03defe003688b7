/**
 * What Linux's /proc says about a process the bench started: CPU time,
 * bytes read, peak RSS, and its child (the CLI under GNU time). Read from
 * outside, so the same figures come for every program measured, whatever
 * it reports itself. Elsewhere than on Linux every figure is 0 or absent.
 */
import { readFileSync } from 'node:fs';

/** utime and stime in /proc/<pid>/stat, counted from the field after the command name (field 3 = index 0). */
const UTIME_FIELD = 11;
const STIME_FIELD = 12;
/** USER_HZ: the kernel reports process times in ticks of 1/100 s on every mainstream Linux. */
const CLOCK_TICKS_PER_SECOND = 100;
/** /proc/<pid>/status gives sizes in kB (KiB). */
const KIB = 1024;
const RCHAR = /^rchar:\s+(\d+)$/m;
const VM_HWM = /^VmHWM:\s+(\d+) kB$/m;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * User + system CPU seconds of a running process, all its threads, from
 * /proc/<pid>/stat (fields 14 and 15, after the parenthesised command
 * name); 0 once it is gone.
 */
export function cpuOf(pid: number | undefined): number {
  const stat = pid === undefined ? undefined : read(`/proc/${pid}/stat`);
  if (stat === undefined) return 0;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[UTIME_FIELD]) + Number(fields[STIME_FIELD])) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Bytes a process has read with read(2) and its kin, sockets included, all
 * its threads (`rchar` of /proc/<pid>/io): for a Kafka consumer, mostly
 * fetch answers. Undefined once it is gone.
 */
export function bytesReadOf(pid: number): number | undefined {
  const io = read(`/proc/${pid}/io`);
  const match = io === undefined ? null : RCHAR.exec(io);
  return match === null ? undefined : Number(match[1]);
}

/** Peak resident set size in bytes (VmHWM of /proc/<pid>/status); undefined once it is gone. */
export function peakRssOf(pid: number): number | undefined {
  const status = read(`/proc/${pid}/status`);
  const match = status === undefined ? null : VM_HWM.exec(status);
  return match === null ? undefined : Number(match[1]) * KIB;
}

/** The first child of a process (/proc/<pid>/task/<pid>/children), if it has one yet. */
export function childOf(pid: number): number | undefined {
  const children = read(`/proc/${pid}/task/${pid}/children`)?.trim();
  if (children === undefined || children === '') return undefined;
  return Number(children.split(' ')[0]);
}

/** One reading of the sampled processes. */
export interface ProcessSample {
  /** Date.now() when it was taken: the clock Kafka's append times are on, on this machine. */
  readonly atMs: number;
  /** Bytes read by all the processes so far. */
  readonly bytesRead: number;
  /** CPU seconds of all the processes so far, each since it started. */
  readonly cpuSeconds: number;
}

interface Reading {
  readonly bytesRead: number;
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
}

/**
 * Reads the CPU time, bytes read and peak RSS of a set of processes every
 * `intervalMs`. A process that has exited keeps its last figures, so the
 * sums never go back and its peak RSS is the one read last before it
 * exited.
 */
export class ProcessSampler {
  private readonly last = new Map<number, Reading>();
  private readonly list: ProcessSample[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    // A suite that fails midway must not be kept alive by its sampler.
    this.timer.unref();
  }

  add(pid: number): void {
    if (!this.last.has(pid)) this.last.set(pid, { bytesRead: 0, cpuSeconds: 0, peakRssBytes: 0 });
    this.sample();
  }

  /** The peak RSS of `pid` as last read (bytes; 0 if never read). */
  peakRss(pid: number): number {
    return this.last.get(pid)?.peakRssBytes ?? 0;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get samples(): readonly ProcessSample[] {
    return this.list;
  }

  /** The sample taken last at or before `atMs` (the first one when none was). */
  at(atMs: number): ProcessSample | undefined {
    let found = this.list[0];
    for (const sample of this.list) {
      if (sample.atMs > atMs) break;
      found = sample;
    }
    return found;
  }

  /**
   * When the processes began to read the input: the first sample with at
   * least `bytes` more read than the one before (a fetch answer arriving;
   * starting up reads far less per interval).
   */
  firstBurst(bytes: number): ProcessSample | undefined {
    for (let i = 1; i < this.list.length; i++)
      if (this.list[i]!.bytesRead - this.list[i - 1]!.bytesRead >= bytes) return this.list[i];
    return undefined;
  }

  /** The last sample with at least `bytes` more read than the one before. */
  lastBurst(bytes: number): ProcessSample | undefined {
    for (let i = this.list.length - 1; i >= 1; i--)
      if (this.list[i]!.bytesRead - this.list[i - 1]!.bytesRead >= bytes) return this.list[i];
    return undefined;
  }

  private sample(): void {
    if (this.last.size === 0) return;
    let bytesRead = 0;
    let cpuSeconds = 0;
    for (const [pid, previous] of this.last) {
      const now = {
        bytesRead: bytesReadOf(pid) ?? previous.bytesRead,
        cpuSeconds: Math.max(cpuOf(pid), previous.cpuSeconds),
        peakRssBytes: peakRssOf(pid) ?? previous.peakRssBytes,
      };
      this.last.set(pid, now);
      bytesRead += now.bytesRead;
      cpuSeconds += now.cpuSeconds;
    }
    this.list.push({ atMs: Date.now(), bytesRead, cpuSeconds });
  }
}
