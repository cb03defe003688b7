import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SourceError } from '../src/errors.js';
import { type AbortedTransaction, FoundRecords, findRecords } from '../src/kafka-record-batch.js';
import {
  ABORT,
  attributesOf,
  COMMIT,
  Compression,
  CONTROL,
  encodeBatch,
  encodeMarker,
  encodeMessageV1,
  MAGIC_AT,
  patterned,
  type TestBatch,
  type TestRecord,
  TRANSACTIONAL,
  withAttributes,
} from './support/kafkajs-protocol.js';

/*
 * findRecords against record batches written by kafkajs's own encoders
 * (an independent reference): what it finds must be exactly the records
 * put in at or after the fetch offset, with their value bytes, from the
 * batches that are whole before `to`.
 */

/** FoundRecords starts with room for this many records, and grows past it. */
const INITIAL_CAPACITY = 1024;
/** Producer ids of transactional producers; one needs the high half of the int64. */
const PRODUCER_P = 7;
const PRODUCER_Q = 2 ** 33 + 5;
const PRODUCER_R = 123_456_789_012;
/** An offset past 2^32, so the high half of the int64 base offset counts. */
const HIGH_OFFSET = 2 ** 40 + 17;

/** What findRecords reports, as plain values: the value bytes in base64 (readable when a diff shows), null for a
 * null value. */
interface Found {
  readonly offset: number;
  readonly value: string | null;
}

function foundOf(found: FoundRecords): Found[] {
  const out: Found[] = [];
  for (let i = 0; i < found.count; i++) {
    const length = found.length[i]!;
    const start = found.start[i]!;
    const value = length < 0 ? null : Buffer.from(found.source[i]!.subarray(start, start + length)).toString('base64');
    out.push({ offset: found.offset[i]!, value });
  }
  return out;
}

function expectedOf(offset: number, value: Buffer | null): Found {
  return { offset, value: value === null ? null : value.toString('base64') };
}

/** The records of `batch` at or after `fetchOffset`, as findRecords should report them. */
function recordsOf(batch: TestBatch, fetchOffset: number): Found[] {
  const deltas = batch.offsetDeltas ?? batch.records.map((_, i) => i);
  return batch.records
    .map((r, i) => expectedOf(batch.baseOffset + deltas[i]!, r.value))
    .filter((r) => r.offset >= fetchOffset);
}

/** Bytes of the values findRecords should count in `size`. */
function sizeOf(records: readonly Found[]): number {
  return records.reduce((sum, r) => sum + (r.value === null ? 0 : Buffer.from(r.value, 'base64').length), 0);
}

function lastOffsetOf(batch: TestBatch): number {
  const deltas = batch.offsetDeltas ?? batch.records.map((_, i) => i);
  return batch.baseOffset + (batch.lastOffsetDelta ?? Math.max(0, deltas[deltas.length - 1] ?? 0));
}

/** Runs findRecords over all of `bytes` into a fresh FoundRecords. */
function find(
  bytes: Uint8Array,
  fetchOffset: number,
  aborted: readonly AbortedTransaction[] | null = null,
): FoundRecords {
  const found = new FoundRecords();
  found.reset(fetchOffset);
  findRecords(bytes, 0, bytes.length, fetchOffset, aborted, found);
  return found;
}

/** The SourceError `run` throws. */
function failure(run: () => void): SourceError {
  try {
    run();
  } catch (error) {
    if (error instanceof SourceError) return error;
    throw error;
  }
  throw new Error('expected a SourceError, nothing was thrown');
}

const value = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('findRecords', () => {
  it(
    'finds every record of an uncompressed batch: offsets, values (null, empty, long), their size, ' +
      'and the next offset',
    async () => {
      const records: TestRecord[] = [
        { key: null, value: value('a') },
        { key: value('k'), value: null },
        { key: null, value: Buffer.alloc(0), headers: { trace: value('t-1') } },
        // 300 bytes: its length takes a two-byte varint.
        { key: patterned(200, 1), value: patterned(300, 2) },
      ];
      const batch: TestBatch = { baseOffset: 100, records };
      const found = find(await encodeBatch(batch), 100);
      expect(foundOf(found)).toEqual(recordsOf(batch, 100));
      expect(Array.from(found.length.subarray(0, found.count))).toEqual([1, -1, 0, 300]);
      expect(found.size).toBe(1 + 0 + 300);
      expect(found.next).toBe(104);
    },
  );

  it('reads int64 base offsets past 2^32', async () => {
    const batch: TestBatch = { baseOffset: HIGH_OFFSET, records: [{ key: null, value: value('far') }] };
    const found = find(await encodeBatch(batch), HIGH_OFFSET);
    expect(foundOf(found)).toEqual([expectedOf(HIGH_OFFSET, value('far'))]);
    expect(found.next).toBe(HIGH_OFFSET + 1);
  });

  it('leaves out the records before the fetch offset, in a batch that starts before it', async () => {
    const batch: TestBatch = {
      baseOffset: 10,
      records: ['a', 'b', 'c', 'd'].map((v) => ({ key: null, value: value(v) })),
    };
    const found = find(await encodeBatch(batch), 12);
    expect(foundOf(found)).toEqual([expectedOf(12, value('c')), expectedOf(13, value('d'))]);
    expect(found.next).toBe(14);
  });

  it('skips a batch that ends before the fetch offset without moving next', async () => {
    const bytes = await encodeBatch({ baseOffset: 10, records: [{ key: null, value: value('old') }] });
    const found = find(bytes, 20);
    expect(found.count).toBe(0);
    expect(found.next).toBe(20);
  });

  it('takes next from the batch header, past records compaction removed from its end', async () => {
    // Records at 50 and 53 kept; the batch still ends at 56.
    const batch: TestBatch = {
      baseOffset: 50,
      records: [
        { key: null, value: value('x') },
        { key: null, value: value('y') },
      ],
      offsetDeltas: [0, 3],
      lastOffsetDelta: 6,
    };
    const found = find(await encodeBatch(batch), 50);
    expect(foundOf(found)).toEqual([expectedOf(50, value('x')), expectedOf(53, value('y'))]);
    expect(found.next).toBe(57);
  });

  it('inflates a gzip batch', async () => {
    const records: TestRecord[] = [
      { key: null, value: patterned(20_000, 3) },
      { key: value('k'), value: null },
      { key: null, value: value('small') },
    ];
    const batch: TestBatch = { baseOffset: 7, records, compression: Compression.GZIP };
    const bytes = await encodeBatch(batch);
    // The batch really is gzip, and much smaller than its values: the values must come from inflating it.
    expect(attributesOf(bytes) & 0x07).toBe(Compression.GZIP);
    expect(bytes.length).toBeLessThan(2_000);
    const found = find(bytes, 7);
    expect(foundOf(found)).toEqual(recordsOf(batch, 7));
    expect(found.size).toBe(20_000 + 5);
    expect(found.next).toBe(10);
  });

  it('leaves a batch cut off at `to` for the next fetch', async () => {
    const first: TestBatch = { baseOffset: 0, records: [{ key: null, value: value('one') }] };
    const second: TestBatch = { baseOffset: 1, records: [{ key: null, value: value('two') }] };
    const a = await encodeBatch(first);
    const b = await encodeBatch(second);
    const bytes = Buffer.concat([a, b]);
    for (const to of [a.length, a.length + 11, a.length + 12, a.length + 60, bytes.length - 1]) {
      const found = new FoundRecords();
      found.reset(0);
      findRecords(bytes, 0, to, 0, null, found);
      expect(foundOf(found), `to = ${to}`).toEqual(recordsOf(first, 0));
      expect(found.next, `to = ${to}`).toBe(1);
    }
    // Cut inside the first batch (inside its size, its header, its records): nothing yet, next stays at the fetch
    // offset.
    for (const to of [0, 8, 12, 40, 61, a.length - 1]) {
      const found = new FoundRecords();
      found.reset(0);
      findRecords(bytes, 0, to, 0, null, found);
      expect(found.count, `to = ${to}`).toBe(0);
      expect(found.next, `to = ${to}`).toBe(0);
    }
  });

  it('reads only bytes[from, to) of an answer held at an offset of its buffer', async () => {
    const batch: TestBatch = { baseOffset: 3, records: [{ key: null, value: value('inside') }] };
    const encoded = await encodeBatch(batch);
    // Bytes before `from` and after `to` that would read as a batch header of garbage.
    const junk = Buffer.alloc(40, 0x7f);
    const arena = Buffer.concat([Buffer.alloc(5), junk, encoded, junk]);
    const bytes = arena.subarray(5);
    const found = new FoundRecords();
    found.reset(3);
    findRecords(bytes, junk.length, junk.length + encoded.length, 3, null, found);
    expect(foundOf(found)).toEqual(recordsOf(batch, 3));
  });

  describe('transactions', () => {
    it('skips control batches: a commit marker is not a record, and still moves next', async () => {
      const txn: TestBatch = {
        baseOffset: 0,
        records: [
          { key: null, value: value('t0') },
          { key: null, value: value('t1') },
        ],
        transactional: true,
        producerId: PRODUCER_P,
      };
      const after: TestBatch = { baseOffset: 3, records: [{ key: null, value: value('plain') }] };
      const marker = await encodeMarker(2, PRODUCER_P, COMMIT);
      expect(attributesOf(marker) & (CONTROL | TRANSACTIONAL)).toBe(CONTROL | TRANSACTIONAL);
      const bytes = Buffer.concat([await encodeBatch(txn), marker, await encodeBatch(after)]);
      for (const aborted of [null, []]) {
        const found = find(bytes, 0, aborted);
        expect(foundOf(found)).toEqual([...recordsOf(txn, 0), ...recordsOf(after, 0)]);
        expect(found.next).toBe(4);
      }
      // Fetching from the marker on: the marker is no record.
      const fromMarker = find(bytes, 2);
      expect(foundOf(fromMarker)).toEqual(recordsOf(after, 2));
      // An answer of only the marker: nothing found, but the next fetch starts after it.
      const markerAlone = find(marker, 2);
      expect(markerAlone.count).toBe(0);
      expect(markerAlone.next).toBe(3);
    });

    it(
      'skips the records of an aborted transaction up to its abort marker, and keeps other producers ' +
        'and later transactions',
      async () => {
        // P: 0-1 aborted (marker 2), then 3-4 committed (marker 5). Q, not in the aborted list: 6, committed (marker
        // 7). 8: no transaction.
        const aborted0: TestBatch = {
          baseOffset: 0,
          records: [
            { key: null, value: value('p-aborted-0') },
            { key: null, value: value('p-aborted-1') },
          ],
          transactional: true,
          producerId: PRODUCER_P,
        };
        const committed: TestBatch = {
          baseOffset: 3,
          records: [
            { key: null, value: value('p-kept-3') },
            { key: null, value: value('p-kept-4') },
          ],
          transactional: true,
          producerId: PRODUCER_P,
        };
        const other: TestBatch = {
          baseOffset: 6,
          records: [{ key: null, value: value('q-kept-6') }],
          transactional: true,
          producerId: PRODUCER_Q,
        };
        const plain: TestBatch = { baseOffset: 8, records: [{ key: null, value: value('plain-8') }] };
        const bytes = Buffer.concat([
          await encodeBatch(aborted0),
          await encodeMarker(2, PRODUCER_P, ABORT),
          await encodeBatch(committed),
          await encodeMarker(5, PRODUCER_P, COMMIT),
          await encodeBatch(other),
          await encodeMarker(7, PRODUCER_Q, COMMIT),
          await encodeBatch(plain),
        ]);
        const readCommitted = find(bytes, 0, [{ producerId: PRODUCER_P, firstOffset: 0 }]);
        expect(foundOf(readCommitted)).toEqual([
          ...recordsOf(committed, 0),
          ...recordsOf(other, 0),
          ...recordsOf(plain, 0),
        ]);
        expect(readCommitted.next).toBe(9);
        // Read uncommitted (no aborted list): every data record.
        const readUncommitted = find(bytes, 0, null);
        expect(foundOf(readUncommitted)).toEqual([
          ...recordsOf(aborted0, 0),
          ...recordsOf(committed, 0),
          ...recordsOf(other, 0),
          ...recordsOf(plain, 0),
        ]);
      },
    );

    it('skips an aborted transaction that began before the fetch offset', async () => {
      // P's aborted transaction starts at 0; the fetch starts inside it, at 2 (the broker lists it: its marker is
      // after the fetch offset).
      const start: TestBatch = {
        baseOffset: 0,
        records: [
          { key: null, value: value('p0') },
          { key: null, value: value('p1') },
        ],
        transactional: true,
        producerId: PRODUCER_P,
      };
      const rest: TestBatch = {
        baseOffset: 2,
        records: [{ key: null, value: value('p2') }],
        transactional: true,
        producerId: PRODUCER_P,
      };
      const later: TestBatch = {
        baseOffset: 4,
        records: [{ key: null, value: value('p4') }],
        transactional: true,
        producerId: PRODUCER_P,
      };
      const bytes = Buffer.concat([
        await encodeBatch(start),
        await encodeBatch(rest),
        await encodeMarker(3, PRODUCER_P, ABORT),
        await encodeBatch(later),
      ]);
      const found = find(bytes, 2, [{ producerId: PRODUCER_P, firstOffset: 0 }]);
      expect(foundOf(found)).toEqual(recordsOf(later, 2));
      expect(found.next).toBe(5);
    });

    it('ends an aborted span at an abort marker that lies before the fetch offset', async () => {
      // P: aborted 0-1, marker at 2, then a committed transaction 3-4 and its marker at 5; the fetch starts at 3.
      const aborted: TestBatch = {
        baseOffset: 0,
        records: [
          { key: null, value: value('a0') },
          { key: null, value: value('a1') },
        ],
        transactional: true,
        producerId: PRODUCER_P,
      };
      const committed: TestBatch = {
        baseOffset: 3,
        records: [
          { key: null, value: value('c3') },
          { key: null, value: value('c4') },
        ],
        transactional: true,
        producerId: PRODUCER_P,
      };
      const bytes = Buffer.concat([
        await encodeBatch(aborted),
        await encodeMarker(2, PRODUCER_P, ABORT),
        await encodeBatch(committed),
        await encodeMarker(5, PRODUCER_P, COMMIT),
      ]);
      const found = find(bytes, 3, [{ producerId: PRODUCER_P, firstOffset: 0 }]);
      expect(foundOf(found)).toEqual(recordsOf(committed, 3));
      expect(found.next).toBe(6);
    });

    it('does not skip a producer’s batches that are not transactional', async () => {
      const idempotent: TestBatch = {
        baseOffset: 0,
        records: [{ key: null, value: value('idempotent') }],
        producerId: PRODUCER_P,
      };
      const found = find(await encodeBatch(idempotent), 0, [{ producerId: PRODUCER_P, firstOffset: 0 }]);
      expect(foundOf(found)).toEqual(recordsOf(idempotent, 0));
    });
  });

  describe('formats it does not read', () => {
    it('throws KAFKA_FAILED for a batch of magic 1', async () => {
      const batch = await encodeBatch({ baseOffset: 0, records: [{ key: null, value: value('x') }] });
      const magic1 = Buffer.from(batch);
      magic1.writeInt8(1, MAGIC_AT);
      const error = failure(() => find(magic1, 0));
      expect(error.code).toBe('KAFKA_FAILED');
      expect(error.message).toMatch(/v1/);
    });

    it('throws KAFKA_FAILED for a legacy message set (format v1) as kafkajs writes it', () => {
      // offset int64, message size int32, message: the magic byte falls where a v2 batch has its own.
      const message = encodeMessageV1({ key: null, value: patterned(100, 5), timestamp: 1_700_000_000_000 }).buffer;
      const head = Buffer.alloc(12);
      head.writeBigInt64BE(0n, 0);
      head.writeInt32BE(message.length, 8);
      const set = Buffer.concat([head, message]);
      expect(set[MAGIC_AT]).toBe(1);
      const error = failure(() => find(set, 0));
      expect(error.code).toBe('KAFKA_FAILED');
      expect(error.message).toMatch(/v1/);
    });

    it(
      'throws KAFKA_FAILED for a legacy message shorter than a v2 batch header, rather than waiting ' +
        'for more bytes forever',
      () => {
        // 39 bytes in all: under the 61 of a v2 header, so a size check before the magic check would stop without
        // a word.
        const message = encodeMessageV1({ key: null, value: value('hello'), timestamp: 1_700_000_000_000 }).buffer;
        const head = Buffer.alloc(12);
        head.writeBigInt64BE(5n, 0);
        head.writeInt32BE(message.length, 8);
        const set = Buffer.concat([head, message]);
        expect(set.length).toBeLessThan(61);
        const error = failure(() => find(set, 5));
        expect(error.code).toBe('KAFKA_FAILED');
        expect(error.message).toMatch(/v1/);
      },
    );

    it.each([
      ['snappy', Compression.Snappy],
      ['lz4', Compression.LZ4],
      ['zstd', Compression.ZSTD],
    ])('throws KAFKA_FAILED for a %s batch, naming the codec', async (name, codec) => {
      const batch = await encodeBatch({ baseOffset: 0, records: [{ key: null, value: value('x') }] });
      const error = failure(() => find(withAttributes(batch, attributesOf(batch) | codec), 0));
      expect(error.code).toBe('KAFKA_FAILED');
      expect(error.message).toContain(name);
    });
  });

  describe('FoundRecords', () => {
    it('grows past its initial room, keeping what it holds, and reset empties it', async () => {
      // Enough to double the initial room twice, plus some.
      const RECORDS = 5000;
      expect(RECORDS).toBeGreaterThan(4 * INITIAL_CAPACITY);
      const first: TestBatch = {
        baseOffset: 1000,
        records: Array.from({ length: RECORDS }, (_, i) => ({
          key: null,
          value: i % 97 === 0 ? null : patterned(i % 50, i),
        })),
      };
      const bytes = await encodeBatch(first);
      const found = new FoundRecords();
      found.reset(1000);
      findRecords(bytes, 0, bytes.length, 1000, null, found);
      const expected = recordsOf(first, 1000);
      expect(found.count).toBe(RECORDS);
      expect(found.start.length).toBeGreaterThanOrEqual(RECORDS);
      expect(foundOf(found)).toEqual(expected);
      expect(found.size).toBe(sizeOf(expected));
      expect(found.next).toBe(1000 + RECORDS);

      found.reset(9);
      expect([found.count, found.size, found.next, found.source.length]).toEqual([0, 0, 9, 0]);
      // Used again for a smaller answer: only the new records are there.
      const second: TestBatch = { baseOffset: 9, records: [{ key: null, value: value('again') }] };
      const secondBytes = await encodeBatch(second);
      findRecords(secondBytes, 0, secondBytes.length, 9, null, found);
      expect(foundOf(found)).toEqual(recordsOf(second, 9));
      expect(found.size).toBe(5);
    });
  });
});

/* Random logs, checked against a model of what a consumer must get. */

/**
 * Value lengths by the size of their zigzag varint: up to 63 takes one
 * byte, up to 8191 two, up to 1048575 three (so > 127 and > 16383 both
 * take more than one).
 */
const valueLength = fc.oneof(
  { arbitrary: fc.constant(0), weight: 2 },
  { arbitrary: fc.integer({ min: 1, max: 63 }), weight: 6 },
  { arbitrary: fc.integer({ min: 64, max: 400 }), weight: 3 },
  { arbitrary: fc.integer({ min: 8192, max: 20_000 }), weight: 1 },
);
const bytesOf = (length: fc.Arbitrary<number>): fc.Arbitrary<Buffer> =>
  fc.tuple(length, fc.nat()).map(([n, seed]) => patterned(n, seed));
const nullable = (bytes: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer | null> => fc.option(bytes, { nil: null, freq: 5 });

const recordArb: fc.Arbitrary<TestRecord> = fc.record({
  key: nullable(bytesOf(fc.oneof(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 64, max: 200 })))),
  value: nullable(bytesOf(valueLength)),
  headers: fc.dictionary(fc.string({ maxLength: 8 }), bytesOf(fc.integer({ min: 0, max: 100 })), { maxKeys: 3 }),
  timestampDelta: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 40 })),
});

/** A batch before its offsets are known: records, gaps between their offsets (compaction), and how it is written. */
const batchShapeArb = fc.record({
  gapBefore: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1000 })),
  records: fc.array(
    fc.tuple(
      recordArb,
      fc.oneof({ arbitrary: fc.constant(0), weight: 4 }, { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 1 }),
    ),
    { maxLength: 6 },
  ),
  trailingGap: fc.oneof(
    { arbitrary: fc.constant(0), weight: 4 },
    { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 1 },
  ),
  gzip: fc.boolean(),
});

/** Where the answer is cut: at its end, at a batch boundary, a byte or three short of one, or at any byte. */
const cutArb = fc.record({ kind: fc.constantFrom('whole', 'boundary', 'short', 'anywhere'), pick: fc.nat() });

interface Cut {
  readonly kind: 'whole' | 'boundary' | 'short' | 'anywhere';
  readonly pick: number;
}

function cutAt(cut: Cut, ends: readonly number[]): number {
  const total = ends[ends.length - 1] ?? 0;
  if (cut.kind === 'whole') return total;
  const boundary = [0, ...ends][cut.pick % (ends.length + 1)]!;
  if (cut.kind === 'boundary') return boundary;
  if (cut.kind === 'short') return Math.max(0, boundary - 1 - (cut.pick % 3));
  return cut.pick % (total + 1);
}

/** `parts` back to back at `from` in a buffer that itself starts at an offset of its ArrayBuffer, with junk around
 * them. */
function layOut(
  parts: readonly Buffer[],
  lead: number,
  junk: number,
): { bytes: Uint8Array; from: number; ends: number[] } {
  const ends: number[] = [];
  let end = 0;
  for (const part of parts) ends.push((end += part.length));
  const arena = Buffer.alloc(lead + junk + end + junk, 0xa5);
  Buffer.concat(parts).copy(arena, lead + junk);
  return { bytes: arena.subarray(lead), from: junk, ends };
}

describe('findRecords on random logs', () => {
  // One FoundRecords for all runs, as the fetcher reuses it: reset must leave nothing behind.
  const found = new FoundRecords();

  it('finds exactly the records at or after the fetch offset in the whole batches before `to`', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 2 ** 32 - 500, max: 2 ** 50 })),
        fc.array(batchShapeArb, { minLength: 1, maxLength: 5 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        cutArb,
        fc.nat({ max: 16 }),
        fc.nat({ max: 16 }),
        async (firstOffset, shapes, fetchAt, cut, lead, junk) => {
          const batches: TestBatch[] = [];
          let next = firstOffset;
          for (const shape of shapes) {
            const baseOffset = next + shape.gapBefore;
            const offsetDeltas: number[] = [];
            let delta = -1;
            for (const [, gap] of shape.records) offsetDeltas.push((delta += 1 + gap));
            const batch: TestBatch = {
              baseOffset,
              records: shape.records.map(([record]) => record),
              offsetDeltas,
              lastOffsetDelta: Math.max(0, delta + shape.trailingGap),
              compression: shape.gzip ? Compression.GZIP : Compression.None,
            };
            batches.push(batch);
            next = lastOffsetOf(batch) + 1;
          }
          // From a little before the first offset to a little after the last.
          const low = Math.max(0, firstOffset - 3);
          const fetchOffset = low + Math.floor(fetchAt * (next + 3 - low));
          const { bytes, from, ends } = layOut(await Promise.all(batches.map(encodeBatch)), lead + 1, junk);
          const to = from + cutAt(cut, ends);

          found.reset(fetchOffset);
          findRecords(bytes, from, to, fetchOffset, null, found);

          const whole = batches.filter((_, i) => from + ends[i]! <= to);
          const expected = whole.flatMap((b) => recordsOf(b, fetchOffset));
          expect(foundOf(found)).toEqual(expected);
          expect(found.size).toBe(sizeOf(expected));
          const lastWhole = whole[whole.length - 1];
          expect(found.next).toBe(
            lastWhole !== undefined && lastOffsetOf(lastWhole) >= fetchOffset
              ? lastOffsetOf(lastWhole) + 1
              : fetchOffset,
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it(
    'reading committed, ' + 'leaves out control records and the records of aborted transactions, and only those',
    async () => {
      const PRODUCERS = [PRODUCER_P, PRODUCER_Q, PRODUCER_R];
      /** One step of the log: plain records, records of a producer's transaction (opening one if none is open), or
       * the end of its transaction. */
      const stepArb = fc.oneof(
        fc.record({ kind: fc.constant('plain' as const), count: fc.integer({ min: 1, max: 3 }) }),
        fc.record({
          kind: fc.constant('txn' as const),
          producer: fc.integer({ min: 0, max: 2 }),
          count: fc.integer({ min: 1, max: 3 }),
        }),
        fc.record({
          kind: fc.constant('end' as const),
          producer: fc.integer({ min: 0, max: 2 }),
          commit: fc.boolean(),
        }),
      );

      await fc.assert(
        fc.asyncProperty(
          fc.array(stepArb, { minLength: 1, maxLength: 25 }),
          fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          cutArb,
          fc.boolean(),
          async (steps, commitAtEnd, fetchAt, cut, readCommitted) => {
            interface Txn {
              readonly producerId: number;
              readonly firstOffset: number;
              /** Set when its marker is written. */
              markerOffset: number;
              committed: boolean;
            }
            interface Entry {
              readonly batch: TestBatch;
              readonly bytes: Buffer;
              /** The transaction of a data batch; undefined for plain records and markers. */
              readonly txn: Txn | undefined;
              readonly marker: boolean;
            }
            const log: Entry[] = [];
            const txns: Txn[] = [];
            const open = new Map<number, Txn>();
            let offset = 0;
            const endTxn = async (producer: number, commit: boolean): Promise<void> => {
              const txn = open.get(producer);
              if (txn === undefined) return;
              open.delete(producer);
              txn.markerOffset = offset;
              txn.committed = commit;
              const batch: TestBatch = { baseOffset: offset, records: [] };
              log.push({
                batch,
                bytes: await encodeMarker(offset, txn.producerId, commit ? COMMIT : ABORT),
                txn: undefined,
                marker: true,
              });
              offset += 1;
            };
            for (const step of steps) {
              if (step.kind === 'end') {
                await endTxn(step.producer, step.commit);
                continue;
              }
              const records = Array.from({ length: step.count }, (_, i) => ({
                key: null,
                value: value(`${step.kind}-${offset + i}`),
              }));
              let txn: Txn | undefined;
              if (step.kind === 'txn') {
                txn = open.get(step.producer);
                if (txn === undefined) {
                  txn = {
                    producerId: PRODUCERS[step.producer]!,
                    firstOffset: offset,
                    markerOffset: -1,
                    committed: false,
                  };
                  open.set(step.producer, txn);
                  txns.push(txn);
                }
              }
              const batch: TestBatch = {
                baseOffset: offset,
                records,
                transactional: txn !== undefined,
                producerId: txn?.producerId ?? -1,
              };
              log.push({ batch, bytes: await encodeBatch(batch), txn, marker: false });
              offset += step.count;
            }
            // Every transaction ends within the log, as below the last stable offset that a read-committed fetch
            // stops at.
            for (const producer of [0, 1, 2]) await endTxn(producer, commitAtEnd[producer]!);

            const fetchOffset = Math.floor(fetchAt * (offset + 2));
            // As the broker lists them: the aborted transactions whose marker is at or after the fetch offset, in
            // marker order.
            const aborted = txns
              .filter((t) => !t.committed && t.markerOffset >= fetchOffset)
              .sort((a, b) => a.markerOffset - b.markerOffset)
              .map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }));
            const { bytes, from, ends } = layOut(
              log.map((e) => e.bytes),
              1,
              0,
            );
            const to = from + cutAt(cut, ends);

            found.reset(fetchOffset);
            findRecords(bytes, from, to, fetchOffset, readCommitted ? aborted : null, found);

            const whole = log.filter((_, i) => from + ends[i]! <= to);
            const visible = whole.filter(
              (e) => !e.marker && (!readCommitted || e.txn === undefined || e.txn.committed),
            );
            expect(foundOf(found)).toEqual(visible.flatMap((e) => recordsOf(e.batch, fetchOffset)));
            const lastWhole = whole[whole.length - 1];
            const lastOffset =
              lastWhole === undefined
                ? -1
                : lastWhole.marker
                  ? lastWhole.batch.baseOffset
                  : lastOffsetOf(lastWhole.batch);
            expect(found.next).toBe(lastOffset >= fetchOffset ? lastOffset + 1 : fetchOffset);
          },
        ),
        { numRuns: 200 },
      );
    },
  );
});
