import { describe, expect, it } from 'vitest';
import { linesOf, referenceCounts, referenceFrame } from '../src/index.js';

const bytes = (text: string): Buffer => Buffer.from(text);

describe('referenceFrame', () => {
  it('takes the root uid and ts, ts as a number or a digit string', () => {
    expect(referenceFrame(bytes('{"ts":"60","x":{"uid":"decoy","ts":1},"uid":"a"}'))).toEqual({ uid: 'a', ts: 60 });
    expect(referenceFrame(bytes('{"uid":"b","ts":4294967295}'))).toEqual({ uid: 'b', ts: 4294967295 });
  });

  it.each([
    ['empty', ''],
    ['truncated', '{"uid":"a","ts":1'],
    ['not an object', '[{"uid":"a","ts":1}]'],
    ['null', 'null'],
    ['no uid', '{"ts":1}'],
    ['empty uid', '{"uid":"","ts":1}'],
    ['numeric uid', '{"uid":7,"ts":1}'],
    ['no ts', '{"uid":"a"}'],
    ['fractional ts', '{"uid":"a","ts":1.5}'],
    ['negative ts', '{"uid":"a","ts":-1}'],
    ['ts past 32 bits', '{"uid":"a","ts":4294967296}'],
    ['ts a non-digit string', '{"uid":"a","ts":"1e3"}'],
  ])('refuses a frame: %s', (_, text) => {
    expect(referenceFrame(bytes(text))).toBeNull();
  });

  it('refuses invalid UTF-8 that JSON.parse of a repaired string would accept', () => {
    const frame = Buffer.concat([bytes('{"uid":"a'), Buffer.from([0xff]), bytes('","ts":1}')]);
    expect(referenceFrame(frame)).toBeNull();
  });
});

describe('referenceCounts', () => {
  it('counts distinct uids and frames per window, skipping frames that do not count', () => {
    const frames = [
      '{"uid":"a","ts":0}',
      '{"uid":"a","ts":59}',
      '{"uid":"b","ts":30}',
      '{"uid":"a","ts":60}',
      'junk',
      '{"uid":"c","ts":3600}',
    ].map(bytes);
    expect(referenceCounts(frames)).toEqual(
      new Map([
        [0, { users: 2, frames: 3 }],
        [60, { users: 1, frames: 1 }],
        [3600, { users: 1, frames: 1 }],
      ]),
    );
    expect(referenceCounts(frames, 3600).get(0)).toEqual({ users: 2, frames: 4 });
  });
});

describe('linesOf', () => {
  it('splits chunks of whole lines, and a buffer with or without a last newline', () => {
    expect(linesOf([bytes('a\nbb\n'), bytes('c\n')]).map(String)).toEqual(['a', 'bb', 'c']);
    expect(linesOf(bytes('a\n\nb')).map(String)).toEqual(['a', '', 'b']);
  });
});
