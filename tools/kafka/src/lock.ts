import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaLocalError } from './errors.js';
import { isProcessAlive } from './process.js';

export interface LockOptions {
  /** Give up waiting for another holder after this long. */
  readonly timeoutMs: number;
  readonly pollMs?: number;
  /** Injected for tests; the real one asks the OS. */
  readonly isAlive?: (pid: number) => boolean;
}

const DEFAULT_POLL_MS = 200;
/**
 * A lock file is written right after it is created; one still unreadable after
 * this long belongs to a process that died in between.
 */
const HALF_WRITTEN_GRACE_MS = 10_000;

interface Holder {
  readonly pid: number;
  readonly token: string;
}

/**
 * Runs `fn` while holding an exclusive lock file, so that several processes
 * (parallel test workers, two terminals) do one thing at a time. A lock left by
 * a process that no longer runs is broken; a live holder is waited for.
 */
export async function withLock<T>(file: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const token = await acquire(file, options);
  try {
    return await fn();
  } finally {
    await release(file, token);
  }
}

async function acquire(file: string, options: LockOptions): Promise<string> {
  const isAlive = options.isAlive ?? isProcessAlive;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const deadline = Date.now() + options.timeoutMs;
  const token = randomBytes(8).toString('hex');
  const content = JSON.stringify({ pid: process.pid, token } satisfies Holder);
  await mkdir(dirname(file), { recursive: true });
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      try {
        await handle.writeFile(content);
      } finally {
        await handle.close();
      }
      return token;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const seen = await readHolder(file);
    if (seen === 'gone') continue;
    if (await isStale(file, seen, isAlive)) {
      await breakStale(file, seen);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = seen === 'unreadable' ? 'another process' : `process ${seen.holder.pid}`;
      throw new KafkaLocalError(
        'LOCK_TIMEOUT',
        `${who} still holds ${file} after ${Math.round(options.timeoutMs / 1000)} s; delete that file ` +
          `if no kafka-local is running`,
      );
    }
    await sleep(pollMs);
  }
}

type Seen = { raw: string; holder: Holder } | 'unreadable' | 'gone';

async function readHolder(file: string): Promise<Seen> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const parsed = JSON.parse(raw) as Partial<Holder>;
    if (typeof parsed.pid === 'number' && typeof parsed.token === 'string') {
      return { raw, holder: { pid: parsed.pid, token: parsed.token } };
    }
  } catch {
    // Fall through: half written, or not ours.
  }
  return 'unreadable';
}

async function isStale(file: string, seen: Exclude<Seen, 'gone'>, isAlive: (pid: number) => boolean): Promise<boolean> {
  if (seen !== 'unreadable') return !isAlive(seen.holder.pid);
  return (await ageMs(file)) > HALF_WRITTEN_GRACE_MS;
}

async function ageMs(file: string): Promise<number> {
  try {
    return Date.now() - (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Removes a stale lock under a second lock, re-reading it first: two waiters
 * that both saw the same dead holder must not let the slower one delete the
 * fresh lock the faster one has just taken.
 */
async function breakStale(file: string, seen: Exclude<Seen, 'gone'>): Promise<void> {
  const breaker = `${file}.break`;
  let handle: FileHandle;
  try {
    handle = await open(breaker, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if ((await ageMs(breaker)) > HALF_WRITTEN_GRACE_MS) await unlinkQuietly(breaker);
    return;
  }
  try {
    const again = await readHolder(file);
    const same =
      again !== 'gone' &&
      (seen === 'unreadable' ? again === 'unreadable' : again !== 'unreadable' && again.raw === seen.raw);
    if (same) await unlinkQuietly(file);
  } finally {
    await handle.close();
    await unlinkQuietly(breaker);
  }
}

async function release(file: string, token: string): Promise<void> {
  const seen = await readHolder(file);
  if (seen !== 'gone' && seen !== 'unreadable' && seen.holder.token === token) await unlinkQuietly(file);
}

async function unlinkQuietly(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
