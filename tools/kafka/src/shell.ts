/** Quotes one word for a POSIX shell: single quotes, with each ' written as '\''. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A command line a POSIX shell reads back as exactly these words. */
export function shellCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
