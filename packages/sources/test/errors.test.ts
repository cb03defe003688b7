import { describe, expect, it } from 'vitest';
import { UniqstreamError } from '@uniqstream/core';
import { fileError, SOURCE_ERROR_CODES, SourceError } from '../src/errors.js';

function systemError(code: string): Error {
  return Object.assign(new Error(`${code}: something, open 'x'`), { code });
}

describe('fileError', () => {
  it('maps fs codes to source codes, in one line naming the file', () => {
    const cases = [
      ['ENOENT', 'FILE_NOT_FOUND'],
      ['EACCES', 'FILE_UNREADABLE'],
      ['EPERM', 'FILE_UNREADABLE'],
      ['EISDIR', 'FILE_UNREADABLE'],
      ['EIO', 'READ_FAILED'],
    ] as const;
    for (const [fsCode, code] of cases) {
      const error = fileError('logs/a.jsonl', systemError(fsCode));
      expect(error).toBeInstanceOf(SourceError);
      expect(error).toBeInstanceOf(UniqstreamError);
      expect(error.code).toBe(code);
      expect(SOURCE_ERROR_CODES).toContain(error.code);
      expect(error.message).toContain('logs/a.jsonl');
      expect(error.message).not.toContain('\n');
      expect((error.cause as Error).message).toContain(fsCode);
    }
  });

  it('passes a SourceError through unchanged', () => {
    const original = new SourceError('GZIP_CORRUPT', 'bad');
    expect(fileError('x', original)).toBe(original);
  });
});
