import { describe, expect, it } from 'vitest';
import { fileErrorReason, readConfigFile } from '../src/config-file.js';
import { AppConfigError } from '../src/errors.js';

function reader(files: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };
}

describe('readConfigFile', () => {
  it('reads a JSON object of settings', () => {
    expect(readConfigFile('c.json', reader({ 'c.json': '{"max-delay": 3}' }))).toEqual({ 'max-delay': 3 });
  });

  it.each([
    ['nope.json', {}, 'cannot read the config file nope.json: no such file'],
    ['c.json', { 'c.json': '{max-delay: 3' }, /^the config file c\.json is not valid JSON: /],
    ['c.json', { 'c.json': '[1]' }, /^the config file c\.json must hold a JSON object of settings/],
    ['c.json', { 'c.json': 'null' }, /must hold a JSON object/],
  ])('refuses %s in one line', (path, files, message) => {
    let error: unknown;
    try {
      readConfigFile(path, reader(files));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppConfigError);
    expect((error as AppConfigError).code).toBe('BAD_CONFIG_FILE');
    expect((error as AppConfigError).message).toMatch(message);
    expect((error as AppConfigError).message).not.toContain('\n');
  });
});

describe('fileErrorReason', () => {
  it("says in words what Node's code means", () => {
    const failed = (code: string): Error => Object.assign(new Error(`${code}: x`), { code });
    expect(fileErrorReason(failed('ENOENT'))).toBe('no such file');
    expect(fileErrorReason(failed('EACCES'))).toBe('permission denied');
    expect(fileErrorReason(failed('EPERM'))).toBe('permission denied');
    expect(fileErrorReason(failed('EISDIR'))).toBe('it is a directory');
    expect(fileErrorReason(failed('EIO'))).toBe('EIO: x');
  });
});
