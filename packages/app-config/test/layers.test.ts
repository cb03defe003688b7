import { describe, expect, it } from 'vitest';
import { AppConfigError } from '../src/errors.js';
import { layeredValues, refuseUnknownSettings } from '../src/layers.js';
import type { OptionSpec } from '../src/option-spec.js';
import { parser, SECONDS, TEXT, wholeNumber } from '../src/values.js';

const SPECS: readonly OptionSpec<'maxDelay' | 'port' | 'windows' | 'password'>[] = [
  { name: 'max-delay', key: 'maxDelay', value: 'seconds', description: '', parse: parser(SECONDS, 'max-delay') },
  { name: 'port', key: 'port', value: 'n', description: '', parse: parser(wholeNumber(0, 9), 'port') },
  { name: 'windows', key: 'windows', value: 'list', description: '', parse: parser(TEXT) },
  {
    name: 'password',
    key: 'password',
    description: '',
    secret: true,
    instead: '--password-file',
    parse: (text) => {
      if (text.length < 3) throw new Error(`too short: ${text}`);
      return text;
    },
  },
];

function refusal(resolve: () => unknown): AppConfigError {
  try {
    resolve();
  } catch (error) {
    expect(error).toBeInstanceOf(AppConfigError);
    return error as AppConfigError;
  }
  throw new Error('resolved');
}

describe('layeredValues', () => {
  it('takes the config file < the environment < flags', () => {
    const file = { 'max-delay': 7, port: 1, windows: ['minute', 'hour'] };
    const env = { UNIQSTREAM_MAX_DELAY: '8', UNIQSTREAM_PORT: '' };
    expect(layeredValues(SPECS, { file })).toEqual({ maxDelay: 7, port: 1, windows: 'minute,hour' });
    expect(layeredValues(SPECS, { file, env })).toEqual({ maxDelay: 8, port: 1, windows: 'minute,hour' });
    expect(layeredValues(SPECS, { file, env, flags: { maxDelay: 9, port: undefined } })).toMatchObject({
      maxDelay: 9,
      port: 1,
    });
  });

  it('says where a bad value came from', () => {
    expect(refusal(() => layeredValues(SPECS, { file: { port: 10 }, filePath: 'c.json' })).message).toBe(
      'port must be a whole number from 0 to 9, got "10" (in the config file c.json)',
    );
    expect(refusal(() => layeredValues(SPECS, { env: { UNIQSTREAM_MAX_DELAY: '-1' } })).message).toBe(
      'max-delay must be a number of seconds >= 0, got "-1" (in UNIQSTREAM_MAX_DELAY)',
    );
  });

  it('takes a secret from the environment only, and never quotes it', () => {
    expect(layeredValues(SPECS, { env: { UNIQSTREAM_PASSWORD: 'hunter2' } })).toEqual({ password: 'hunter2' });
    const bad = refusal(() => layeredValues(SPECS, { env: { UNIQSTREAM_PASSWORD: 'xy' } }));
    expect(bad.message).toBe('password is not valid (in UNIQSTREAM_PASSWORD)');
    expect(refusal(() => layeredValues(SPECS, { file: { password: 'hunter2' } })).message).toBe(
      'password does not go in the config file: set UNIQSTREAM_PASSWORD or --password-file',
    );
  });
});

describe('refuseUnknownSettings', () => {
  it('names a key no option has', () => {
    expect(() => refuseUnknownSettings({ 'max-delay': 1, port: 2 }, SPECS, 'c.json')).not.toThrow();
    const error = refusal(() => refuseUnknownSettings({ 'max-dealy': 3 }, SPECS, 'c.json'));
    expect(error.code).toBe('BAD_CONFIG_FILE');
    expect(error.message).toBe(
      'unknown setting "max-dealy" in the config file c.json (settings are long option names, e.g. "max-delay")',
    );
  });
});
