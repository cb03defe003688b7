import { CommanderError } from 'commander';

/** The run did what was asked. */
export const EXIT_OK = 0;
/** The run failed: unreadable input, an unreachable or refusing broker. */
export const EXIT_FAILURE = 1;
/** Bad command line, environment or config file, found before anything runs (as commander and most CLIs do). */
export const EXIT_USAGE = 2;
/** 128 + SIGINT's number, what a shell reports for Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

const PRINTED_CODES: ReadonlySet<string> = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/** True when commander stopped because it printed the help or the version (exit 0), not for a usage error. */
export function isPrintedByCommander(error: unknown): boolean {
  return error instanceof CommanderError && PRINTED_CODES.has(error.code);
}

/** The exit status for an error commander threw (with exitOverride): 0 after help or version, else EXIT_USAGE. */
export function commanderExitCode(error: CommanderError): number {
  return isPrintedByCommander(error) ? EXIT_OK : EXIT_USAGE;
}

/**
 * An error's message as one line for a terminal: commander's `error: `
 * prefix dropped, line breaks folded, no stack.
 */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}
