const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines. Each line keeps its terminator (so
 * writing them back gives the input byte for byte); `frame` is the line
 * without `\n` or `\r\n`, as Kafka messages carry it.
 */
export async function* lines(
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<{ readonly line: Buffer; readonly frame: Buffer }> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const raw of chunks) {
    const chunk =
      rest.length === 0 ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength) : Buffer.concat([rest, raw]);
    let start = 0;
    for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, start)) {
      const line = chunk.subarray(start, lf + 1);
      yield { line, frame: withoutTerminator(line) };
      start = lf + 1;
    }
    // Copy the unfinished tail: the stream may reuse its buffer.
    rest = Buffer.from(chunk.subarray(start));
  }
  if (rest.length > 0) yield { line: rest, frame: rest };
}

function withoutTerminator(line: Buffer): Buffer {
  let end = line.length;
  if (end > 0 && line[end - 1] === LF) end--;
  if (end > 0 && line[end - 1] === CR) end--;
  return line.subarray(0, end);
}

/** Line terminators in a chunk. */
export function countLines(chunk: Uint8Array): number {
  const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let count = 0;
  for (let i = buffer.indexOf(LF); i !== -1; i = buffer.indexOf(LF, i + 1)) count++;
  return count;
}
