import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { countLines, lines } from '../src/lines.js';

async function* chunked(bytes: Buffer, cuts: number[]): AsyncGenerator<Uint8Array> {
  let start = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    yield bytes.subarray(start, cut);
    start = cut;
  }
  yield bytes.subarray(start);
}

describe('lines', () => {
  it('splits at any chunk boundary into lines that rebuild the input', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('a', 'é', '{', '\n', '\r\n', '\r', '"x"')),
        fc.array(fc.nat()),
        async (parts, cuts) => {
          const text = parts.join('');
          const bytes = Buffer.from(text);
          const out: Buffer[] = [];
          const frames: string[] = [];
          for await (const { line, frame } of lines(chunked(bytes, cuts))) {
            out.push(Buffer.from(line));
            frames.push(frame.toString());
          }
          expect(Buffer.concat(out).equals(bytes)).toBe(true);
          // Frames are the lines without "\n" or "\r\n"; a last line with no "\n" has no terminator to drop.
          const pieces = text.split('\n');
          const last = pieces.pop()!;
          const expected = pieces.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
          if (last !== '') expected.push(last);
          expect(frames).toEqual(expected);
        },
      ),
    );
  });
});

describe('countLines', () => {
  it('counts newlines', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(countLines(Buffer.from(text))).toBe(text.split('\n').length - 1);
      }),
    );
  });
});
