import { describe, expect, it } from 'vitest';
import { AnswerReader, MalformedAnswer, startRequest } from '../src/kafka-protocol.js';
import { Encoder } from './support/kafkajs-protocol.js';

describe('startRequest', () => {
  it('writes the size prefix (counting the bytes after it) and header v1, and leaves the body to the caller', () => {
    const { out, at } = startRequest(17, 1, 0x01020304, 'ü', 3);
    out.write('abc', at);
    expect(out.toString('hex')).toBe('0000000f' + '0011' + '0001' + '01020304' + '0002' + 'c3bc' + '616263');
    expect(out.readInt32BE(0)).toBe(out.length - 4);
  });
});

describe('AnswerReader', () => {
  it("reads what kafkajs's Encoder writes, nulls as null", () => {
    const bytes = Buffer.from(
      new Encoder()
        .writeInt16(-2)
        .writeInt32(7)
        .writeInt64(2 ** 40 + 1)
        .writeString('héllo')
        .writeString(null)
        .writeBytes(Buffer.from([1, 2]))
        .writeBytes(null).buffer,
    );
    const reader = new AnswerReader(bytes, 'test answer');
    expect([
      reader.int16(),
      reader.int32(),
      reader.int64(),
      reader.string(),
      reader.nullableString(),
      reader.nullableBytes()?.toString('hex'),
      reader.nullableBytes(),
    ]).toEqual([-2, 7, 2 ** 40 + 1, 'héllo', null, '0102', null]);
    expect(reader.position).toBe(bytes.length);
  });

  it('throws MalformedAnswer, naming the answer, instead of reading past its end or trusting a count', () => {
    expect(() => new AnswerReader(Buffer.from([0]), 'SaslHandshake answer').int16()).toThrow(
      new MalformedAnswer('SaslHandshake answer ends after 1 bytes, inside a field at 0'),
    );
    expect(() => new AnswerReader(Buffer.from([0, 5, 0x61]), 'x').string()).toThrow(MalformedAnswer);
    expect(() => new AnswerReader(Buffer.from([0xff, 0xff]), 'x').string()).toThrow('null where a string must be');
    expect(() => new AnswerReader(Buffer.from([0xff, 0xfe]), 'x').nullableString()).toThrow('string length -2');
    // A count of a billion items in a few bytes.
    expect(() => new AnswerReader(Buffer.from([0x40, 0, 0, 0, 0, 1]), 'x').array((r) => r.int16())).toThrow(
      'array of 1073741824 items',
    );
    expect(new AnswerReader(Buffer.from([0xff, 0xff, 0xff, 0xff]), 'x').array((r) => r.int16())).toEqual([]);
  });
});
