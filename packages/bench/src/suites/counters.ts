/**
 * Distinct counters side by side: core's ExactSet and HyperLogLog against the
 * plain JavaScript ways to hold 64-bit uid hashes, on streams where every
 * user comes back about ten times in random order, and the memory each one
 * needs per distinct user.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createCounter, ExactSet, HyperLogLog } from '@uniqstream/core';
import { compare, summarize, type BenchCase, type Measurement, type ReportTable, type Suite } from '../harness.js';

/** Every distinct key appears this many times in a stream. */
const REPEATS = 10;
const HLL_PRECISION = 14;
/** 2^32, to build 53-bit numbers from two 32-bit halves. */
const TWO_POW_32 = 0x1_0000_0000;
/** The 21 low bits of `hi` that fit a safe integer beside the 32 of `lo`. */
const HI_21_BITS = 0x1f_ffff;
/** The string-keyed Set is slow and big; only measured up to this many keys. */
const STRING_SET_MAX_KEYS = 100_000;
/** Heap measurements per JavaScript collection, up to this many keys (one above: they take seconds each). */
const HEAP_RUNS = 3;
const HEAP_RUNS_MAX_KEYS = 100_000;
/** Operations per run for the per-sketch operations table. */
const SKETCH_OPS = 200;
const GOLDEN = 0x9e3779b9;
/** Windows a frame counts in (minute to year), so counter adds per frame. */
const COUNTERS_PER_FRAME = 6;
const EXACT_CASE = 'ExactSet.add';
const SET_NUMBER_CASE = 'Set<number> (53-bit key)';
const HLL_CASE = `HyperLogLog.add (p=${HLL_PRECISION})`;

/** murmur3's 32-bit finalizer, a bijection. */
function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

interface Stream {
  readonly distinct: number;
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
}

/**
 * `distinct` well-mixed 64-bit keys (distinct because `lo` is a bijection of
 * the key number), each exactly REPEATS times, shuffled (Fisher-Yates with a
 * fixed-seed xorshift, so every run and every machine sees the same stream).
 */
function makeStream(distinct: number, seed: number): Stream {
  const length = distinct * REPEATS;
  const order = new Uint32Array(length);
  for (let j = 0; j < length; j++) order[j] = j % distinct;
  let state = seed | 1;
  for (let j = length - 1; j > 0; j--) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const k = Math.floor(((state >>> 0) / TWO_POW_32) * (j + 1));
    const t = order[j]!;
    order[j] = order[k]!;
    order[k] = t;
  }
  const hi = new Uint32Array(length);
  const lo = new Uint32Array(length);
  for (let j = 0; j < length; j++) {
    const key = order[j]!;
    lo[j] = fmix32((key + Math.imul(seed, GOLDEN)) | 0);
    hi[j] = fmix32((fmix32(key ^ seed) + GOLDEN) | 0);
  }
  return { distinct, hi, lo };
}

/** Adds per second of `fill` over the whole stream. */
function opsPerSecond(stream: Stream, fill: (hi: Uint32Array, lo: Uint32Array) => unknown): number {
  const start = process.hrtime.bigint();
  fill(stream.hi, stream.lo);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return stream.hi.length / seconds;
}

/** The alternatives, each building its structure from scratch per run; returns it so memory can be measured. */
const BUILDERS = {
  [EXACT_CASE]: (hi: Uint32Array, lo: Uint32Array): unknown => {
    const set = new ExactSet();
    for (let j = 0; j < hi.length; j++) set.add(hi[j]!, lo[j]!);
    return set;
  },
  [SET_NUMBER_CASE]: (hi: Uint32Array, lo: Uint32Array): unknown => {
    // 11 bits of the hash are dropped: for 10^6 users a false merge has
    // odds of about 10^12 / 2^54 ~ 6e-5. (A Map is the same hash table in
    // V8 and measured the same or slower.)
    const set = new Set<number>();
    for (let j = 0; j < hi.length; j++) set.add((hi[j]! & HI_21_BITS) * TWO_POW_32 + lo[j]!);
    return set;
  },
  'Set<string> "hi:lo" (naive)': (hi: Uint32Array, lo: Uint32Array): unknown => {
    const set = new Set<string>();
    for (let j = 0; j < hi.length; j++) set.add(`${hi[j]}:${lo[j]}`);
    return set;
  },
  [HLL_CASE]: (hi: Uint32Array, lo: Uint32Array): unknown => {
    const sketch = new HyperLogLog(HLL_PRECISION);
    for (let j = 0; j < hi.length; j++) sketch.add(hi[j]!, lo[j]!);
    return sketch;
  },
  "DistinctCounter 'exact'": (hi: Uint32Array, lo: Uint32Array): unknown => {
    const counter = createCounter('exact');
    for (let j = 0; j < hi.length; j++) counter.add(hi[j]!, lo[j]!);
    return counter;
  },
  "DistinctCounter 'hll'": (hi: Uint32Array, lo: Uint32Array): unknown => {
    const counter = createCounter('hll', HLL_PRECISION);
    for (let j = 0; j < hi.length; j++) counter.add(hi[j]!, lo[j]!);
    return counter;
  },
} as const;
type BuilderName = keyof typeof BUILDERS;

/** `global.gc`, reached without a command-line flag, so heap figures are taken after a full collection. */
function getGc(): (() => void) | null {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

/** Heap bytes a structure holds per distinct key: heap growth (after full GCs) while it is alive. */
function heapBytesPerKey(gc: () => void, stream: Stream, build: (hi: Uint32Array, lo: Uint32Array) => unknown): number {
  gc();
  const before = process.memoryUsage();
  const kept = build(stream.hi, stream.lo);
  gc();
  const after = process.memoryUsage();
  // Typed arrays live outside the V8 heap, in arrayBuffers.
  const grown = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
  if (kept === null) throw new Error('unreachable: keeps the structure alive until measured');
  return grown / stream.distinct;
}

function byteLengthOf(structure: unknown): number | null {
  if (structure instanceof ExactSet || structure instanceof HyperLogLog) return structure.byteLength;
  return null;
}

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));
const mops = (m: Measurement): string => `${(m.median / 1e6).toFixed(1)} M/s`;

export const countersSuite: Suite = async (context) => {
  const sizes = context.quick ? [10_000, 100_000] : [100_000, 1_000_000];
  const runs = Math.max(context.runs, 3);
  const tables: ReportTable[] = [];
  const notes: string[] = [];
  const gc = getGc();

  for (const distinct of sizes) {
    context.log(`counters: stream of ${distinct} distinct keys x ${REPEATS}`);
    const stream = makeStream(distinct, distinct);
    const names = (Object.keys(BUILDERS) as BuilderName[]).filter(
      (name) => !name.startsWith('Set<string>') || distinct <= STRING_SET_MAX_KEYS,
    );
    const cases: BenchCase[] = names.map((name) => ({ name, run: () => opsPerSecond(stream, BUILDERS[name]) }));
    const speed = await compare(cases, {
      unit: 'adds/s',
      runs,
      warmup: 1,
      onRun: (name, run, value) => context.log(`  ${name} run ${run + 1}: ${fmt(value / 1e6)} M adds/s`),
    });
    const keys = `${distinct.toExponential(0)} distinct keys`;
    tables.push({
      caption: `Adds per second, ${keys} each added ${REPEATS} times in random order`,
      measurements: speed,
    });

    const memory: Measurement[] = [];
    for (const name of names) {
      // The counters wrap ExactSet and HyperLogLog: same memory.
      if (name.startsWith('DistinctCounter')) continue;
      const build = BUILDERS[name];
      const byteLength = byteLengthOf(build(stream.hi, stream.lo));
      if (byteLength !== null) memory.push(summarize(`${name} (byteLength)`, 'B/key', [byteLength / distinct]));
      // Core's counters hold nothing but their typed arrays, so byteLength is
      // exact for them; the heap (with freed array buffers released lazily)
      // is only measured for the JavaScript collections.
      if (gc !== null && byteLength === null) {
        const values: number[] = [];
        const heapRuns = distinct <= HEAP_RUNS_MAX_KEYS ? HEAP_RUNS : 1;
        for (let run = 0; run < heapRuns; run++) values.push(heapBytesPerKey(gc, stream, build));
        memory.push(summarize(`${name} (heap growth)`, 'B/key', values));
      }
    }
    const exactBytes = (BUILDERS[EXACT_CASE](stream.hi, stream.lo) as ExactSet).serialize().length;
    const hllBytes = (BUILDERS[HLL_CASE](stream.hi, stream.lo) as HyperLogLog).serialize().length;
    memory.push(summarize('ExactSet.serialize()', 'B/key', [exactBytes / distinct]));
    memory.push(summarize(`HyperLogLog.serialize() (p=${HLL_PRECISION})`, 'B/key', [hllBytes / distinct]));
    const scale = distinct.toExponential(0);
    tables.push({ caption: `Memory per distinct key, ${scale} distinct keys`, measurements: memory });

    const byName = new Map(speed.map((m) => [m.name, m]));
    const exact = byName.get(EXACT_CASE)!;
    const hll = byName.get(HLL_CASE)!;
    const ratio = exact.median / byName.get(SET_NUMBER_CASE)!.median;
    const frames = (m: Measurement): string => `${fmt(m.median / COUNTERS_PER_FRAME / 1e3)}k`;
    notes.push(
      `${scale} keys: ExactSet.add ${mops(exact)} (${fmt(ratio)}x Set<number>), HyperLogLog.add ${mops(hll)}. ` +
        `With ${COUNTERS_PER_FRAME} counters of this size per frame, counting alone allows ` +
        `${frames(exact)} (exact) or ${frames(hll)} (hll) frames/s.`,
    );
    if (gc === null)
      notes.push('global.gc was not available: heap figures of the JavaScript collections were skipped.');
  }

  tables.push({
    caption: `One dense HyperLogLog (p=${HLL_PRECISION}), microseconds per operation`,
    measurements: await sketchOps(runs),
  });
  const m = 2 ** HLL_PRECISION;
  notes.push(
    `A dense p=${HLL_PRECISION} sketch holds ${m} B and serializes to ${(m * 6) / 8 + 8} B (6-bit registers); ` +
      'until its exact hashes would outgrow that, it keeps them (8 B each) and counts exactly.',
  );
  return { id: 'counters', title: 'Distinct counters: ExactSet and HyperLogLog', tables, notes };
};

/** Checkpoint and partial-result costs of one dense sketch. */
async function sketchOps(runs: number): Promise<Measurement[]> {
  const stream = makeStream(100_000, 7);
  const a = new HyperLogLog(HLL_PRECISION);
  const b = new HyperLogLog(HLL_PRECISION);
  for (let j = 0; j < stream.hi.length; j++) (j % 2 === 0 ? a : b).add(stream.hi[j]!, stream.lo[j]!);
  const bytes = a.serialize();
  const perOp = (fn: () => unknown): number => {
    const start = process.hrtime.bigint();
    for (let k = 0; k < SKETCH_OPS; k++) fn();
    return Number(process.hrtime.bigint() - start) / 1e3 / SKETCH_OPS;
  };
  let sink = 0;
  const cases: BenchCase[] = [
    { name: 'serialize()', run: () => perOp(() => (sink += a.serialize().length)) },
    { name: 'deserialize() + estimate()', run: () => perOp(() => (sink += HyperLogLog.deserialize(bytes).estimate())) },
    {
      name: 'clone() + merge() + estimate()',
      run: () =>
        perOp(() => {
          const c = a.clone();
          c.merge(b);
          sink += c.estimate();
        }),
    },
  ];
  const result = await compare(cases, { unit: 'µs/op', runs, warmup: 1 });
  if (sink < 0) throw new Error('unreachable: keeps the results alive');
  return result;
}
