import type { FileHandle } from 'node:fs/promises';

/**
 * Reads a regular file from `start` in chunks of up to `size` bytes, into two
 * buffers that take turns: while the caller works on one chunk, the next is
 * read into the other (by libuv's thread pool, so on the other core).
 *
 * Why not `createReadStream`: it allocates a fresh buffer for every read,
 * and fresh memory costs a page fault per 4 KiB on first touch (and an unmap
 * when it is collected), which measured as a third of the source's time on
 * a 2 GB file (see the README's benchmark). Two buffers allocated once never
 * fault again.
 *
 * A yielded chunk is valid until the caller asks for the next one: its
 * buffer then receives the read after that. The handle is closed when the
 * iteration ends, however it ends.
 */
export async function* recycledChunks(handle: FileHandle, start: number, size: number): AsyncGenerator<Buffer> {
  let reading = Buffer.allocUnsafeSlow(size);
  let spare = Buffer.allocUnsafeSlow(size);
  let position = start;
  let pending: Promise<number> | undefined = readAt(handle, reading, size, position);
  try {
    for (;;) {
      const bytesRead = await pending;
      pending = undefined;
      if (bytesRead === 0) return;
      const chunk = reading.subarray(0, bytesRead);
      position += bytesRead;
      [reading, spare] = [spare, reading];
      pending = readAt(handle, reading, size, position);
      yield chunk;
    }
  } finally {
    // A read still in flight when the caller stops writes into our buffer; let it finish first.
    if (pending !== undefined) await pending.catch(() => 0);
    await handle.close();
  }
}

function readAt(handle: FileHandle, buffer: Buffer, size: number, position: number): Promise<number> {
  const read = handle.read(buffer, 0, size, position).then((r) => r.bytesRead);
  // Until the generator awaits it, a failed read must not count as unhandled; the await rethrows it.
  read.catch(() => undefined);
  return read;
}
