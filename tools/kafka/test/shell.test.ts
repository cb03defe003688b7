import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from '../src/shell.js';

/** Asks a real POSIX shell how it splits the line into words (NUL-separated back). */
function wordsAsShellReadsThem(line: string): string[] {
  const script = `set -- ${line}; for w in "$@"; do printf '%s\\0' "$w"; done`;
  const result = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
  const words = result.stdout.split('\0');
  words.pop();
  return words;
}

describe('shellQuote', () => {
  // Shell words cannot hold NUL; everything else must come back unchanged.
  const word = fc.string({ unit: 'binary' }).map((s) => s.replaceAll('\0', ''));

  it('gives back exactly the words through /bin/sh', () => {
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 4 }), (words) => {
        expect(wordsAsShellReadsThem(shellCommand(words))).toEqual(words);
      }),
      { numRuns: 60 },
    );
  });

  it('quotes the awkward cases', () => {
    for (const awkward of ["it's", '$HOME', '`id`', 'a b', '', '"', '\\', '*', '\n']) {
      expect(wordsAsShellReadsThem(shellQuote(awkward)), JSON.stringify(awkward)).toEqual([awkward]);
    }
  });
});
