import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { envName, flagProperty, type OptionSpec, optionOf, valuesOfFlags } from '../src/option-spec.js';
import { oneOf, parser, SECONDS } from '../src/values.js';

const DELAY: OptionSpec<'maxDelay'> = {
  name: 'max-delay',
  key: 'maxDelay',
  value: 'seconds',
  description: 'how late a frame may be',
  defaultText: '5',
  parse: parser(SECONDS, 'max-delay'),
};
const METHOD: OptionSpec<'method'> = {
  name: 'method',
  key: 'method',
  value: 'method',
  description: 'how to count',
  choices: ['exact', 'hll'],
  parse: parser(oneOf(['exact', 'hll']), 'method'),
};
const SWITCH: OptionSpec<'fromBeginning'> = {
  name: 'from-beginning',
  key: 'fromBeginning',
  description: 'start at the earliest offset',
  parse: () => true,
};

/** A command with the specs, whose errors are thrown instead of exiting. */
function program(...options: ReturnType<typeof optionOf>[]): Command {
  const command = new Command('test').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  for (const option of options) command.addOption(option);
  return command;
}

describe('optionOf', () => {
  it('makes the flag, its help with the default, and parses its value', () => {
    const command = program(optionOf(DELAY), optionOf(METHOD), optionOf(SWITCH));
    expect(command.helpInformation()).toContain('--max-delay <seconds>  how late a frame may be (default: 5)');
    expect(command.helpInformation()).toContain('(choices: "exact", "hll")');
    command.parse(['--max-delay', '2.5', '--method', 'hll', '--from-beginning'], { from: 'user' });
    expect(command.opts()).toEqual({ maxDelay: 2.5, method: 'hll', fromBeginning: true });
  });

  it('leaves an unset flag undefined, so that lower sources apply', () => {
    const command = program(optionOf(DELAY));
    command.parse([], { from: 'user' });
    expect(command.opts()).toEqual({});
  });

  it("refuses a bad value through commander, with the spec's line", () => {
    const command = program(optionOf(DELAY));
    expect(() => command.parse(['--max-delay', 'soon'], { from: 'user' })).toThrow(
      /argument 'soon' is invalid\. max-delay must be a number of seconds >= 0, got "soon"/,
    );
  });

  it("takes the app's wording, and leaves out a default the app has not", () => {
    const help = program(optionOf(DELAY, { description: 'lateness', showDefault: false })).helpInformation();
    expect(help).toContain('--max-delay <seconds>  lateness\n');
  });
});

describe('names', () => {
  it('derives the environment variable and the flag property from the name', () => {
    expect(envName('max-delay')).toBe('UNIQSTREAM_MAX_DELAY');
    expect(envName('kafka-tls-servername')).toBe('UNIQSTREAM_KAFKA_TLS_SERVERNAME');
    expect(flagProperty('kafka-sasl-mechanism')).toBe('kafkaSaslMechanism');
    expect(valuesOfFlags([DELAY, METHOD], { maxDelay: 3, other: 1 })).toEqual({ maxDelay: 3 });
  });
});
