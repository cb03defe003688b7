/**
 * The parser's share of the end-to-end time. The CLI cannot run without a
 * decoder, so a no-op decoder is not an option; instead, on the same file:
 *   - end to end: `uniqstream count --parser P FILE > /dev/null`, per-frame
 *     time from the CLI's own frames/s (pipeline only, no Node start-up);
 *   - decode only: the same decoder over the same frames, in memory in this
 *     process (each frame a subarray of the file, as a source hands it over).
 * share = decode-only time per frame / end-to-end time per frame. All cases
 * run round-robin in one comparison. A cross-check: if decoding simply adds
 * to the rest of the pipeline, the end-to-end difference between two parsers
 * equals the difference of their decode-only times.
 */
import { readFileSync } from 'node:fs';
import { createDecoder, FramesError, type DecodedFrame, type FrameDecoder } from '@uniqstream/frames';
import { CliCases } from '../cli-run.js';
import { ensureDataset, warmPageCache } from '../dataset.js';
import { MB, byName, percent, runLogger, si } from '../format.js';
import { compare, timeSeconds, type BenchCase, type Headline, type Suite, type TextTable } from '../harness.js';
import { realisticStream } from '../streams.js';

/** JSON.parse reads these frames at ~13k frames/s: 100k frames keep a json run near 8 s. */
const FULL_FRAMES = 100_000;
const QUICK_FRAMES = 20_000;
const LF = 0x0a;
const MICROS_PER_SECOND = 1e6;
const PARSERS = ['fast', 'json', 'simdjson'] as const;
type Parser = (typeof PARSERS)[number];

const e2eName = (p: Parser): string => `end to end, --parser ${p}`;
const decodeName = (p: Parser): string => `decode only, ${p}`;

function tryDecoder(kind: Parser): FrameDecoder | undefined {
  try {
    return createDecoder(kind);
  } catch (error) {
    if (error instanceof FramesError && error.code === 'SIMDJSON_UNAVAILABLE') return undefined;
    throw error;
  }
}

/** The file's lines as views into one buffer. */
function framesOf(path: string): Buffer[] {
  const whole = readFileSync(path);
  const frames: Buffer[] = [];
  for (let start = 0; start < whole.length; ) {
    let end = whole.indexOf(LF, start);
    if (end < 0) end = whole.length;
    frames.push(whole.subarray(start, end));
    start = end + 1;
  }
  return frames;
}

export const decodeShareSuite: Suite = async (ctx) => {
  const count = ctx.quick ? QUICK_FRAMES : FULL_FRAMES;
  const data = ensureDataset(ctx.workDir, realisticStream(count), { log: (m) => ctx.log(`decode-share: ${m}`) });
  warmPageCache(data.path);
  const frames = framesOf(data.path);
  const decoders = PARSERS.map((p) => [p, tryDecoder(p)] as const).filter(
    (d): d is readonly [Parser, FrameDecoder] => d[1] !== undefined,
  );
  ctx.log(
    `decode-share: ${frames.length.toLocaleString('en-US')} frames, parsers ` +
      `${decoders.map(([p]) => p).join(', ')}, ${ctx.runs} runs`,
  );

  const out: DecodedFrame = { uidHi: 0, uidLo: 0, ts: 0 };
  let valid = 0;
  const cli = new CliCases();
  const cases: BenchCase[] = [];
  for (const [parser, decoder] of decoders) {
    cases.push(cli.case(e2eName(parser), ['--parser', parser, data.path]));
    cases.push({
      name: decodeName(parser),
      run: async () => {
        valid = 0;
        const seconds = await timeSeconds(() => {
          for (const frame of frames) if (decoder.decode(frame, out) === null) valid++;
        });
        return frames.length / seconds;
      },
    });
  }
  const results = await compare(cases, {
    unit: 'frames/s',
    runs: ctx.runs,
    // One unmeasured round: the in-process decoders need the JIT settled; the CLI cases do not mind.
    warmup: 1,
    onRun: runLogger(ctx.log, 'decode-share', ctx.runs, 'frames/s'),
  });

  const micros = (framesPerSecond: number): number => MICROS_PER_SECOND / framesPerSecond;
  const rows: string[][] = [];
  const shares = new Map<Parser, number>();
  for (const [parser] of decoders) {
    const e2e = byName(results, e2eName(parser)).median;
    const decode = byName(results, decodeName(parser)).median;
    shares.set(parser, e2e / decode);
    rows.push([
      parser,
      si(e2e),
      micros(e2e).toFixed(2),
      si(decode),
      micros(decode).toFixed(2),
      percent(e2e / decode, 0),
    ]);
  }
  const table: TextTable = {
    caption: 'Share of the end-to-end time spent decoding (medians)',
    header: ['parser', 'end to end, frames/s', 'µs/frame', 'decode only, frames/s', 'µs/frame', 'decode share'],
    rows,
  };

  const bytesPerFrame = (data.bytes / data.frames).toFixed(0);
  const notes = [
    `Input: ${data.frames.toLocaleString('en-US')} frames of the end-to-end stream's kind (${bytesPerFrame} ` +
      `bytes per frame, docs/frames.md disorder and damage), the same file for every parser; ` +
      `${valid.toLocaleString('en-US')} frames decode as valid.`,
    'Method: decode share = (decode-only µs per frame, this process, frames in memory) / (end-to-end ' +
      'µs per frame from the CLI summary). A no-op decoder cannot be plugged into the CLI, so the ' +
      'decode-only time is measured beside it instead; it runs with hot caches, so the share is if ' +
      'anything a lower bound.',
  ];
  const fastShare = shares.get('fast');
  const jsonShare = shares.get('json');
  if (fastShare !== undefined && jsonShare !== undefined) {
    const e2eFast = micros(byName(results, e2eName('fast')).median);
    const e2eJson = micros(byName(results, e2eName('json')).median);
    const decFast = micros(byName(results, decodeName('fast')).median);
    const decJson = micros(byName(results, decodeName('json')).median);
    notes.push(
      `Decoding is ${percent(fastShare, 0)} of the end-to-end time with the scanner and ${percent(jsonShare, 0)} ` +
        `with JSON.parse. Cross-check: --parser json costs ${(e2eJson - e2eFast).toFixed(2)} µs/frame ` +
        `more end to end, and ${(decJson - decFast).toFixed(2)} µs/frame more decode-only: ` +
        `${
          Math.abs(e2eJson - e2eFast - (decJson - decFast)) <= 0.15 * (decJson - decFast)
            ? 'they agree within 15%, ' + 'so decoding adds to the rest and the shares hold'
            : 'they differ by more than ' +
              '15%, so the shares are rough (decoding and the rest interact, e.g. through GC and caches)'
        }.`,
    );
    notes.push(
      `With the scanner, the rest of the pipeline (reading, splitting, windows, counting, output) ` +
        `takes ${(e2eFast - decFast).toFixed(2)} µs/frame of the ${e2eFast.toFixed(2)} µs/frame end to end.`,
    );
  }
  const headlines: Headline[] = [];
  if (fastShare !== undefined) {
    headlines.push({
      key: 'decode.share',
      label: 'Decoding share of the end-to-end time (scanner; JSON.parse)',
      value: `${percent(fastShare, 0)}; ${jsonShare === undefined ? 'n/a' : percent(jsonShare, 0)}`,
    });
  }
  return {
    id: 'decode-share',
    title: "Decoding: the parser's share of the end-to-end time",
    tables: [
      {
        caption: `End to end and decode only, same ${(data.bytes / MB).toFixed(0)} MB file (frames/s)`,
        measurements: results,
      },
    ],
    textTables: [table],
    notes,
    headlines,
  };
};
