import { CoreError } from './errors.js';

/**
 * A compact binary container for engine state: a JSON header for the small
 * structured part and raw blobs for counters and held frames, which would
 * triple in size as base64 inside JSON.
 *
 * Layout: MAGIC (4) | version u16 | header length u32 | header JSON | blobs.
 * The header refers to blobs as `{"$blob": [offset, length]}`; non-finite
 * numbers are written as `{"$num": "-Infinity"}`.
 */

const MAGIC = [0x55, 0x51, 0x43, 0x4b]; // "UQCK"
const FORMAT_VERSION = 1;
const MAGIC_BYTES = 4;
const VERSION_BYTES = 2;
const LENGTH_BYTES = 4;
const PREAMBLE_BYTES = MAGIC_BYTES + VERSION_BYTES + LENGTH_BYTES;

export function encodeSnapshot(value: unknown): Uint8Array {
  const blobs: Uint8Array[] = [];
  let blobBytes = 0;
  const header = JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    // A Buffer's toJSON runs before the replacer: look at the value itself.
    const original = key === '' ? v : this[key];
    if (original instanceof Uint8Array) v = original;
    if (v instanceof Uint8Array) {
      const ref = { $blob: [blobBytes, v.length] };
      blobs.push(v);
      blobBytes += v.length;
      return ref;
    }
    if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) };
    return v;
  });
  const headerBytes = Buffer.from(header, 'utf8');
  const out = new Uint8Array(PREAMBLE_BYTES + headerBytes.length + blobBytes);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(MAGIC_BYTES, FORMAT_VERSION, true);
  view.setUint32(MAGIC_BYTES + VERSION_BYTES, headerBytes.length, true);
  out.set(headerBytes, PREAMBLE_BYTES);
  let at = PREAMBLE_BYTES + headerBytes.length;
  for (const blob of blobs) {
    out.set(blob, at);
    at += blob.length;
  }
  return out;
}

export function decodeSnapshot(bytes: Uint8Array): unknown {
  if (bytes.length < PREAMBLE_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new CoreError('BAD_CHECKPOINT', 'not a uniqstream checkpoint (bad magic)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(MAGIC_BYTES, true);
  if (version !== FORMAT_VERSION)
    throw new CoreError('BAD_CHECKPOINT', `checkpoint format ${version} is not supported (expected ${FORMAT_VERSION})`);
  const headerLength = view.getUint32(MAGIC_BYTES + VERSION_BYTES, true);
  const blobStart = PREAMBLE_BYTES + headerLength;
  if (blobStart > bytes.length) throw new CoreError('BAD_CHECKPOINT', 'checkpoint is truncated');
  const header = Buffer.from(bytes.buffer, bytes.byteOffset + PREAMBLE_BYTES, headerLength).toString('utf8');
  try {
    return JSON.parse(header, (_key, v: unknown) => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const record = v as Record<string, unknown>;
        const blob = record.$blob;
        if (Array.isArray(blob) && blob.length === 2) {
          const [offset, length] = blob as [number, number];
          if (blobStart + offset + length > bytes.length)
            throw new CoreError('BAD_CHECKPOINT', 'checkpoint is truncated');
          // A copy: Buffer#slice would be a view keeping the whole input alive.
          return Uint8Array.prototype.slice.call(bytes, blobStart + offset, blobStart + offset + length);
        }
        if (typeof record.$num === 'string') return Number(record.$num);
      }
      return v;
    }) as unknown;
  } catch (cause) {
    if (cause instanceof CoreError) throw cause;
    throw new CoreError('BAD_CHECKPOINT', 'checkpoint header is not valid JSON', { cause });
  }
}
