import { describe, expect, it } from 'vitest';
import { SimError } from '../src/errors.js';
import { describeTarget, parseTarget } from '../src/target.js';

describe('parseTarget', () => {
  it.each([
    ['stdout', { kind: 'stdout' }],
    ['-', { kind: 'stdout' }],
    ['file:out.jsonl', { kind: 'file', path: 'out.jsonl', gzip: false }],
    ['file:///tmp/out.jsonl.gz', { kind: 'file', path: '/tmp/out.jsonl.gz', gzip: true }],
    ['plain/path.jsonl', { kind: 'file', path: 'plain/path.jsonl', gzip: false }],
    ['kafka://127.0.0.1:9092/frames', { kind: 'kafka', brokers: ['127.0.0.1:9092'], topic: 'frames' }],
    ['kafka://a,b:9093/t.x-1', { kind: 'kafka', brokers: ['a:9092', 'b:9093'], topic: 't.x-1' }],
  ])('reads %s', (text, expected) => {
    const target = parseTarget(text);
    expect(target).toEqual(expected);
    expect(parseTarget(describeTarget(target))).toEqual(target);
  });

  it.each([
    '',
    'kafka://host:9092',
    'kafka://host:9092/bad topic',
    'kafka://host:99999/t',
    'kafka:///t',
    'http://x/y',
    'file:',
  ])('refuses %j', (text) => {
    expect(() => parseTarget(text)).toThrow(SimError);
  });
});
