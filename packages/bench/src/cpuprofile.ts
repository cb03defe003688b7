/**
 * Reads the .cpuprofile files `node --cpu-prof` writes (V8's sampling
 * profile: a call tree of nodes, the node on top of the stack at every
 * sample, and the time between samples) and sums self time per function.
 */
import { BenchError } from './errors.js';

export interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  /** 0-based, as V8 writes it. */
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  /** Node id on top of the stack at each sample. */
  readonly samples: readonly number[];
  /** Microseconds since the previous sample (the first: since startTime). */
  readonly timeDeltas: readonly number[];
}

export interface FunctionTime {
  readonly name: string;
  /** Where it is defined, shortened: `packages/frames/dist/scanner.js:120`, or '' for V8's own entries. */
  readonly location: string;
  readonly selfMicros: number;
  readonly share: number;
}

export function parseCpuProfile(text: string): CpuProfile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new BenchError('BAD_PROFILE', 'the .cpuprofile is not JSON', { cause });
  }
  const p = value as Partial<CpuProfile> | null;
  if (
    p === null ||
    !Array.isArray(p.nodes) ||
    !Array.isArray(p.samples) ||
    !Array.isArray(p.timeDeltas) ||
    p.samples.length !== p.timeDeltas.length
  ) {
    throw new BenchError('BAD_PROFILE', 'the .cpuprofile lacks nodes, samples or timeDeltas of equal length');
  }
  return p as CpuProfile;
}

/** file:///x/repo/packages/core/dist/engine.js -> packages/core/dist/engine.js, relative to `root`. */
export function shortLocation(frame: CallFrame, root: string): string {
  if (frame.url === '') return '';
  let url = frame.url;
  const prefix = `file://${root.endsWith('/') ? root : `${root}/`}`;
  if (url.startsWith(prefix)) url = url.slice(prefix.length);
  else if (url.startsWith('file://')) url = url.slice('file://'.length);
  return `${url}:${frame.lineNumber + 1}`;
}

/**
 * Self time of every function: each sample's interval (the delta to the next
 * sample; the last sample has none and counts nothing) goes to the node on
 * top of the stack, and nodes of the same function (name and place) are summed.
 */
export function selfTimes(profile: CpuProfile, root: string): FunctionTime[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const micros = new Map<string, { name: string; location: string; self: number }>();
  let total = 0;
  for (let i = 0; i + 1 < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    const delta = profile.timeDeltas[i + 1]!;
    if (node === undefined)
      throw new BenchError('BAD_PROFILE', `a sample names node ${profile.samples[i]} that the profile does not have`);
    // V8 sometimes writes a negative delta when samples arrive out of order; it is noise, not time.
    if (delta <= 0) continue;
    const name = node.callFrame.functionName === '' ? '(anonymous)' : node.callFrame.functionName;
    const location = shortLocation(node.callFrame, root);
    const key = `${name}@${location}:${node.callFrame.columnNumber}`;
    const entry = micros.get(key) ?? { name, location, self: 0 };
    entry.self += delta;
    micros.set(key, entry);
    total += delta;
  }
  return [...micros.values()]
    .map((e) => ({ name: e.name, location: e.location, selfMicros: e.self, share: total === 0 ? 0 : e.self / total }))
    .sort((a, b) => b.selfMicros - a.selfMicros);
}

/** V8's own entries in a profile: not functions, but what the thread was doing. */
const V8_ENTRIES = new Set(['(garbage collector)', '(idle)', '(program)', '(root)']);

/** Which part of the system a function belongs to: a package, an app, Node, or V8's own entries. */
export function areaOf(f: FunctionTime): string {
  const pkg = /^(packages|apps|tools)\/([^/]+)\//.exec(f.location);
  if (pkg !== null) return `${pkg[1]}/${pkg[2]}`;
  const dep = /node_modules\/(?:\.pnpm\/)?((?:@[^/]+\/)?[^/@]+)/.exec(f.location);
  if (dep !== null) return `dependency ${dep[1]}`;
  if (f.location.startsWith('node:')) return 'Node.js internals';
  if (f.location.startsWith('wasm://')) return 'WebAssembly';
  if (f.location === '' && V8_ENTRIES.has(f.name)) return f.name;
  if (f.location === '') return 'V8 builtins (native code called from JavaScript)';
  return 'other';
}

/** Self time summed per area, largest first. */
export function areaTimes(functions: readonly FunctionTime[]): { area: string; selfMicros: number; share: number }[] {
  const areas = new Map<string, { selfMicros: number; share: number }>();
  for (const f of functions) {
    const area = areaOf(f);
    const entry = areas.get(area) ?? { selfMicros: 0, share: 0 };
    entry.selfMicros += f.selfMicros;
    entry.share += f.share;
    areas.set(area, entry);
  }
  return [...areas.entries()].map(([area, e]) => ({ area, ...e })).sort((a, b) => b.selfMicros - a.selfMicros);
}
