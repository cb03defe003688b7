/*
 * What every request the direct fetch path writes, and every answer it
 * reads, share: the size prefix, request header v1 (api key, api version,
 * correlation id, client id), and a reader of answer bodies that checks
 * bounds before each read.
 * https://kafka.apache.org/protocol#protocol_messages
 */

/** Size prefix of every request and response. */
export const SIZE_BYTES = 4;
export const INT16 = 2;
export const INT32 = 4;
export const INT64 = 8;
/** A null string, array or bytes: length -1. */
export const NULL_LENGTH = -1;
/** api key, api version, correlation id, client id length. */
const REQUEST_HEADER_BYTES = INT16 + INT16 + INT32 + INT16;

/**
 * A whole request of `bodyBytes` bytes after its header: a buffer with the
 * size prefix and header v1 written, and where the body starts.
 */
export function startRequest(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  clientId: string,
  bodyBytes: number,
): { readonly out: Buffer; readonly at: number } {
  const client = Buffer.from(clientId, 'utf8');
  const size = REQUEST_HEADER_BYTES + client.length + bodyBytes;
  const out = Buffer.allocUnsafe(SIZE_BYTES + size);
  let at = out.writeInt32BE(size, 0);
  at = out.writeInt16BE(apiKey, at);
  at = out.writeInt16BE(apiVersion, at);
  at = out.writeInt32BE(correlationId, at);
  at = out.writeInt16BE(client.length, at);
  at += client.copy(out, at);
  return { out, at };
}

/** An answer that does not hold what its api says it holds. */
export class MalformedAnswer extends Error {
  override readonly name = 'MalformedAnswer';
}

/** Reads an answer body front to back; every read checks that the bytes are there (MalformedAnswer if not). */
export class AnswerReader {
  private at = 0;

  constructor(
    private readonly body: Buffer,
    /** What is read, for messages: `SaslHandshake answer`. */
    private readonly what: string,
  ) {}

  get position(): number {
    return this.at;
  }

  int16(): number {
    this.need(INT16);
    const value = this.body.readInt16BE(this.at);
    this.at += INT16;
    return value;
  }

  int32(): number {
    this.need(INT32);
    const value = this.body.readInt32BE(this.at);
    this.at += INT32;
    return value;
  }

  /** An int64 as a number: exact up to 2^53, which durations and offsets stay under. */
  int64(): number {
    this.need(INT64);
    const value = Number(this.body.readBigInt64BE(this.at));
    this.at += INT64;
    return value;
  }

  /** int16 length, then UTF-8; null for length -1. */
  nullableString(): string | null {
    const length = this.int16();
    if (length === NULL_LENGTH) return null;
    if (length < 0) throw new MalformedAnswer(`${this.what}: string length ${length}`);
    this.need(length);
    const text = this.body.toString('utf8', this.at, this.at + length);
    this.at += length;
    return text;
  }

  string(): string {
    const text = this.nullableString();
    if (text === null) throw new MalformedAnswer(`${this.what}: null where a string must be`);
    return text;
  }

  /** int32 length, then the bytes (a view of the body); null for length -1. */
  nullableBytes(): Buffer | null {
    const length = this.int32();
    if (length === NULL_LENGTH) return null;
    if (length < 0) throw new MalformedAnswer(`${this.what}: bytes length ${length}`);
    this.need(length);
    const bytes = this.body.subarray(this.at, this.at + length);
    this.at += length;
    return bytes;
  }

  /** int32 count (-1: null, read as none), then that many items. */
  array<T>(item: (reader: AnswerReader) => T): T[] {
    const count = this.int32();
    if (count === NULL_LENGTH) return [];
    // Each item takes a byte at least: a larger count cannot be right, and must not size an allocation.
    if (count < 0 || count > this.body.length - this.at)
      throw new MalformedAnswer(`${this.what}: array of ${count} items`);
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(item(this));
    return out;
  }

  private need(bytes: number): void {
    if (this.at + bytes > this.body.length)
      throw new MalformedAnswer(`${this.what} ends after ${this.body.length} bytes, inside a field at ${this.at}`);
  }
}
