import type { Endpoint } from '@uniqstream/core';
import { describe, expect, it } from 'vitest';
import { formatEndpoint, parseEndpoint } from '../src/endpoint.js';
import { AppConfigError } from '../src/errors.js';

describe('parseEndpoint', () => {
  it.each<[string, 'input' | 'output', Endpoint]>([
    ['-', 'input', { kind: 'stdin' }],
    ['stdin', 'input', { kind: 'stdin' }],
    ['-', 'output', { kind: 'stdout' }],
    ['stdout', 'output', { kind: 'stdout' }],
    ['stdin', 'output', { kind: 'file', path: 'stdin' }],
    ['file:out.jsonl', 'output', { kind: 'file', path: 'out.jsonl' }],
    ['file:///tmp/out.jsonl.gz', 'output', { kind: 'file', path: '/tmp/out.jsonl.gz' }],
    ['plain/path.jsonl', 'input', { kind: 'file', path: 'plain/path.jsonl' }],
    ['kafka://127.0.0.1:9092/frames', 'input', { kind: 'kafka', brokers: ['127.0.0.1:9092'], topic: 'frames' }],
    ['kafka://a,b:9093/t.x-1', 'output', { kind: 'kafka', brokers: ['a:9092', 'b:9093'], topic: 't.x-1' }],
    ['kafka://[::1]:9094/t', 'input', { kind: 'kafka', brokers: ['[::1]:9094'], topic: 't' }],
  ])('reads %s as an %s', (text, direction, expected) => {
    const endpoint = parseEndpoint(text, direction);
    expect(endpoint).toEqual(expected);
    expect(parseEndpoint(formatEndpoint(endpoint), direction)).toEqual(endpoint);
  });

  it.each([
    ['', 'empty endpoint: expected stdout, file:PATH or kafka://host:port/topic'],
    ['kafka://host:9092', 'no valid topic in kafka://host:9092: expected kafka://host:port/topic'],
    ['kafka://host:9092/bad topic', 'no valid topic in kafka://host:9092/bad topic: expected kafka://host:port/topic'],
    ['kafka://host:99999/t', 'bad port in host:99999 (kafka://host:99999/t)'],
    ['kafka://host:/t', 'bad broker address host: in kafka://host:/t'],
    ['kafka:///t', 'no broker in kafka:///t: expected kafka://host:port/topic'],
    ['http://x/y', 'unsupported endpoint http://x/y: expected stdout, file:PATH or kafka://host:port/topic'],
    ['file:', 'no path in file:'],
  ])('refuses %j in one line', (text, message) => {
    let error: unknown;
    try {
      parseEndpoint(text, 'output');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppConfigError);
    expect(error).toMatchObject({ code: 'BAD_ENDPOINT', message });
  });

  it('names the option in its messages when told it', () => {
    expect(() => parseEndpoint('', 'output', { name: '--to' })).toThrow(
      'empty --to: expected stdout, file:PATH or kafka://host:port/topic',
    );
    expect(() => parseEndpoint('http://x', 'output', { name: '--to' })).toThrow(
      'unsupported --to http://x: expected stdout, file:PATH or kafka://host:port/topic',
    );
    expect(() => parseEndpoint('file:', 'output', { name: '--to' })).toThrow('no path in --to file:');
  });
});
