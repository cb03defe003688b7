import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { commanderExitCode, EXIT_OK, EXIT_USAGE, isPrintedByCommander, oneLine } from '../src/exit-codes.js';

function thrown(argv: readonly string[]): CommanderError {
  const program = new Command('test')
    .version('1.2.3')
    .option('--known')
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error;
  }
  throw new Error('no CommanderError');
}

describe('commanderExitCode', () => {
  it('is 0 after help or version, 2 for a usage error', () => {
    expect(commanderExitCode(thrown(['--help']))).toBe(EXIT_OK);
    expect(commanderExitCode(thrown(['--version']))).toBe(EXIT_OK);
    expect(isPrintedByCommander(thrown(['--version']))).toBe(true);
    expect(commanderExitCode(thrown(['--unknown']))).toBe(EXIT_USAGE);
    expect(isPrintedByCommander(new Error('x'))).toBe(false);
  });
});

describe('oneLine', () => {
  it("folds a message into one line without commander's prefix", () => {
    expect(oneLine(new Error("error: unknown option '--x'\n(Did you mean --y?)"))).toBe(
      "unknown option '--x' (Did you mean --y?)",
    );
    expect(oneLine('plain')).toBe('plain');
  });
});
