import { Writable } from 'node:stream';
import type { SimIo } from '../../src/io.js';

interface Write {
  /** Fake monotonic time of the write, ms. */
  readonly at: number;
  readonly bytes: Buffer;
}

/** A SimIo in memory with a fake clock: sleep() moves time forward at once. */
export function memoryIo(options: { stderrIsTTY?: boolean; now?: number; signal?: AbortSignal } = {}) {
  let time = 0;
  const writes: Write[] = [];
  const errors: string[] = [];
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writes.push({ at: time, bytes: Buffer.from(chunk) });
      callback();
    },
  });
  const stderr = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      errors.push(chunk.toString('utf8'));
      callback();
    },
  });
  const io: SimIo = {
    stdout,
    stderr,
    stderrIsTTY: options.stderrIsTTY ?? false,
    now: () => options.now ?? 1_700_000_000_000,
    monotonic: () => time,
    sleep: async (ms) => {
      time += ms;
    },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  return {
    io,
    writes,
    stdoutBytes: () => Buffer.concat(writes.map((w) => w.bytes)),
    stderrText: () => errors.join(''),
    advance: (ms: number) => {
      time += ms;
    },
  };
}
