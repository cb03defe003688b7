/**
 * Where the CLI's time goes: `node --cpu-prof apps/cli/dist/main.js count
 * FILE` on the end-to-end stream (minute windows, exact; then all six
 * windows, --method auto), with the top functions by self time and the self
 * time per package, read from the .cpuprofile. One profiled run per setting:
 * the profile is a picture of where time goes, not a timing.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runCli } from '../cli-run.js';
import { areaTimes, parseCpuProfile, selfTimes, type FunctionTime } from '../cpuprofile.js';
import { ensureDataset, warmPageCache } from '../dataset.js';
import { percent, si } from '../format.js';
import type { Suite, TextTable } from '../harness.js';
import { REPO_ROOT } from '../paths.js';
import { realisticStream } from '../streams.js';

const FULL_FRAMES = 1_000_000;
const QUICK_FRAMES = 100_000;
const TOP_FUNCTIONS = 15;
const TOP_AREAS = 10;
const MICROS_PER_MS = 1e3;
/** V8's default is 1000 µs; a finer interval gives more samples on a short run. */
const SAMPLING_INTERVAL_MICROS = 250;

const SETTINGS = [
  { id: 'minute', name: 'minute windows, exact', args: ['--windows', 'minute', '--method', 'exact'] },
  { id: 'all', name: 'all six windows, --method auto', args: ['--windows', 'all', '--method', 'auto'] },
] as const;

function functionTable(caption: string, functions: readonly FunctionTime[]): TextTable {
  return {
    caption,
    header: ['#', 'function', 'where', 'self ms', 'self share'],
    rows: functions
      .slice(0, TOP_FUNCTIONS)
      .map((f, i) => [
        String(i + 1),
        `\`${f.name}\``,
        f.location === '' ? '(V8)' : `\`${f.location}\``,
        (f.selfMicros / MICROS_PER_MS).toFixed(0),
        percent(f.share, 1),
      ]),
  };
}

export const profileSuite: Suite = async (ctx) => {
  const frames = ctx.quick ? QUICK_FRAMES : FULL_FRAMES;
  const data = ensureDataset(ctx.workDir, realisticStream(frames), { log: (m) => ctx.log(`profile: ${m}`) });
  warmPageCache(data.path);
  const textTables: TextTable[] = [];
  const notes: string[] = [
    `Input: the end-to-end stream, ${data.frames.toLocaleString('en-US')} frames of ~2 KB; sampling ` +
      `every ${SAMPLING_INTERVAL_MICROS} µs; self time is time on top of the stack (callees excluded). ` +
      `Profiling slows the run down a little.`,
  ];
  for (const setting of SETTINGS) {
    const dir = join(ctx.workDir, 'profile', setting.id);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    ctx.log(`profile: ${setting.name}, 1 profiled run`);
    const run = await runCli([...setting.args, data.path], {
      nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${SAMPLING_INTERVAL_MICROS}`],
    });
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error(`node --cpu-prof wrote no profile into ${dir}`);
    const functions = selfTimes(parseCpuProfile(readFileSync(join(dir, file), 'utf8')), REPO_ROOT);
    textTables.push(functionTable(`Top ${TOP_FUNCTIONS} functions by self time, ${setting.name}`, functions));
    const areas = areaTimes(functions).slice(0, TOP_AREAS);
    textTables.push({
      caption: `Self time by package, ${setting.name}`,
      header: ['where', 'self ms', 'self share'],
      rows: areas.map((a) => [a.area, (a.selfMicros / MICROS_PER_MS).toFixed(0), percent(a.share, 1)]),
    });
    const top = functions[0];
    notes.push(
      `${setting.name}: ${si(run.framesPerSecond)} frames/s while profiled; ${
        top === undefined
          ? 'no samples'
          : `the top function is \`${top.name}\` ` + `(${percent(top.share, 1)} of self time)`
      }; the largest areas: ${areas
        .slice(0, 3)
        .map((a) => `${a.area} ${percent(a.share, 0)}`)
        .join(
          ', ',
        )}. Profile: \`${relative(REPO_ROOT, join(dir, file))}\` (not committed; open it in Chrome DevTools).`,
    );
  }
  notes.push(
    '`wasm-function[n]` entries are the WebAssembly scanner of @uniqstream/frames (its module carries ' +
      'no function names); `isUtf8` and `read` without a place are V8 and libuv natives called from ' +
      'JavaScript (UTF-8 validation of frames, file reads).',
  );
  return { id: 'profile', title: 'CPU profile of uniqstream count', tables: [], textTables, notes };
};
