import { constants, createReadStream, open as openCallback, type Stats } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { isatty, ReadStream as TtyReadStream } from 'node:tty';
import { promisify } from 'node:util';
import { SourceError } from './errors.js';

/**
 * Inputs that are not regular files: named pipes, character and block
 * devices, sockets (`/dev/stdin` of a process started with pipes is one).
 * Each is read once, from where it is, as one stream: it has no size, no
 * offset to seek to, and a pipe's bytes are gone once read, so it is opened
 * exactly once and never probed first.
 *
 * Waiting happens on the event loop, never in a thread of libuv's pool: a
 * thread blocked in open() or read() cannot be woken, and a signal could not
 * end the run.
 */

const openFd = promisify(openCallback);

/** `/dev/stdin`, `/dev/fd/N`, `/proc/self/fd/N`: names of this process's own descriptors. */
const OWN_FD_PATH = /^\/(?:dev\/fd|proc\/self\/fd)\/(\d+)$/;
const DEV_STDIN = '/dev/stdin';
const STDIN_FD = 0;

export interface SpecialFileOptions {
  /** Bytes per read from a device. */
  readonly highWaterMark: number;
  /** The stream that reads this process's stdin, for a path that names it. */
  readonly stdin: () => Readable;
}

/** Opens `path`, which `stats` says is not a regular file or a directory, as a stream of its bytes. */
export async function openSpecialFile(path: string, stats: Stats, options: SpecialFileOptions): Promise<Readable> {
  if (stats.isFIFO()) {
    // Without O_NONBLOCK, open() waits in a pool thread until a writer
    // opens the pipe. With it, open() returns at once and the socket below
    // waits for the writer's bytes on the event loop (poll reports nothing
    // until a writer has come, so there is no early end of input).
    const fd = await openFd(path, constants.O_RDONLY | constants.O_NONBLOCK);
    return new Socket({ fd, readable: true, writable: false });
  }
  if (stats.isSocket()) {
    // open() refuses sockets (ENXIO); one of our own descriptors can still be read.
    const fd = ownFd(path);
    if (fd === STDIN_FD) return options.stdin();
    if (fd !== undefined) return new Socket({ fd, readable: true, writable: false });
    throw new SourceError('FILE_UNREADABLE', `cannot read ${path}: it is a socket, which cannot be opened as a file`);
  }
  const fd = await openFd(path, constants.O_RDONLY);
  // A terminal's reads wait for a line: libuv polls a tty instead of blocking a pool thread.
  if (isatty(fd)) return new TtyReadStream(fd);
  // Other devices (/dev/null, /dev/zero, /dev/urandom, disks) answer reads at once.
  return createReadStream(path, { fd, highWaterMark: options.highWaterMark });
}

/** The descriptor a path such as `/dev/stdin` or `/dev/fd/3` names, if it names one. */
function ownFd(path: string): number | undefined {
  if (path === DEV_STDIN) return STDIN_FD;
  const match = OWN_FD_PATH.exec(path);
  return match === null ? undefined : Number(match[1]);
}
