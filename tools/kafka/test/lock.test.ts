import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KafkaLocalError } from '../src/errors.js';
import { withLock } from '../src/lock.js';

/** A pid that surely names no live process: one that just exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('withLock', () => {
  let dir = '';
  let file = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kafka-local-lock-'));
    file = join(dir, 'sub', 'port.lock');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs holders one at a time and removes the lock after', async () => {
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map((n) =>
        withLock(file, { timeoutMs: 10_000, pollMs: 5 }, async () => {
          inside++;
          most = Math.max(most, inside);
          await sleep(20);
          order.push(n);
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect([...order].sort()).toEqual([0, 1, 2, 3]);
    expect(existsSync(file)).toBe(false);
  });

  it('releases the lock when the holder throws', async () => {
    await expect(withLock(file, { timeoutMs: 1000 }, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(file)).toBe(false);
  });

  it('breaks a lock whose holder process is gone', async () => {
    await withLock(file, { timeoutMs: 1000 }, async () => {}); // creates the directory
    await writeFile(file, JSON.stringify({ pid: deadPid(), token: 'left-behind' }));
    const value = await withLock(file, { timeoutMs: 2000, pollMs: 5 }, async () => 42);
    expect(value).toBe(42);
  });

  it('waits for a live holder, then times out with LOCK_TIMEOUT naming it', async () => {
    await withLock(file, { timeoutMs: 1000 }, async () => {});
    await writeFile(file, JSON.stringify({ pid: process.pid, token: 'someone-else' }));
    const started = Date.now();
    const error = await withLock(file, { timeoutMs: 300, pollMs: 20 }, async () => 'ran').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaLocalError);
    expect((error as KafkaLocalError).code).toBe('LOCK_TIMEOUT');
    expect((error as KafkaLocalError).message).toContain(String(process.pid));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    // Not ours: left in place.
    expect(existsSync(file)).toBe(true);
  });

  it('waits while the holder is alive and goes ahead once it lets go', async () => {
    await withLock(file, { timeoutMs: 1000 }, async () => {});
    await writeFile(file, JSON.stringify({ pid: 424242, token: 't' }));
    let alive = true;
    setTimeout(() => (alive = false), 100);
    const started = Date.now();
    await withLock(file, { timeoutMs: 5000, pollMs: 10, isAlive: () => alive }, async () => {});
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('treats a half-written lock as held, unless it is old', async () => {
    await withLock(file, { timeoutMs: 1000 }, async () => {});
    await writeFile(file, '');
    const error = await withLock(file, { timeoutMs: 150, pollMs: 10 }, async () => 'ran').catch((e: unknown) => e);
    expect((error as KafkaLocalError).code).toBe('LOCK_TIMEOUT');
    const old = new Date(Date.now() - 60_000);
    await utimes(file, old, old);
    expect(await withLock(file, { timeoutMs: 1000, pollMs: 10 }, async () => 'ran')).toBe('ran');
  });

  it('lets only one of many waiters break the same stale lock', async () => {
    await withLock(file, { timeoutMs: 1000 }, async () => {});
    await writeFile(file, JSON.stringify({ pid: deadPid(), token: 'stale' }));
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        withLock(file, { timeoutMs: 10_000, pollMs: 1 }, async () => {
          inside++;
          most = Math.max(most, inside);
          await sleep(10);
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
  });
});
