import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { areaOf, areaTimes, parseCpuProfile, selfTimes, shortLocation, type CpuProfile } from '../src/cpuprofile.js';

const frame = (functionName: string, url: string, lineNumber = 0) => ({
  functionName,
  url,
  lineNumber,
  columnNumber: 0,
  scriptId: '1',
});

describe('selfTimes', () => {
  it('gives each sample the interval up to the next sample and sums per function', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 3] },
        { id: 2, callFrame: frame('scan', 'file:///repo/packages/frames/dist/scanner.js', 9), children: [4] },
        { id: 3, callFrame: frame('add', 'file:///repo/packages/core/dist/exact.js', 4) },
        // The same function reached by another path: summed with node 2.
        { id: 4, callFrame: frame('scan', 'file:///repo/packages/frames/dist/scanner.js', 9) },
      ],
      startTime: 0,
      endTime: 100,
      samples: [2, 3, 4, 2, 3],
      timeDeltas: [0, 10, 20, 30, 40],
    };
    const times = selfTimes(profile, '/repo');
    // scan: samples 0, 2 and 3 (next deltas 10, 30, 40); add: sample 1 (next delta 20); the last sample has no
    // interval.
    expect(times).toEqual([
      { name: 'scan', location: 'packages/frames/dist/scanner.js:10', selfMicros: 10 + 30 + 40, share: 80 / 100 },
      { name: 'add', location: 'packages/core/dist/exact.js:5', selfMicros: 20, share: 20 / 100 },
    ]);
    expect(areaTimes(times).map((a) => a.area)).toEqual(['packages/frames', 'packages/core']);
  });

  it('names areas by package, dependency, Node.js or V8 entry', () => {
    const at = (location: string, name = 'f') => areaOf({ name, location, selfMicros: 1, share: 0 });
    expect(at('apps/cli/dist/main.js:3')).toBe('apps/cli');
    expect(at('node_modules/.pnpm/kafkajs@2.2.4/node_modules/kafkajs/src/x.js:1')).toBe('dependency kafkajs');
    expect(at('node:internal/streams/readable:10')).toBe('Node.js internals');
    expect(at('', '(garbage collector)')).toBe('(garbage collector)');
    expect(at('', 'isUtf8')).toBe('V8 builtins (native code called from JavaScript)');
    expect(at('', '(anonymous)')).toBe('V8 builtins (native code called from JavaScript)');
    expect(at('wasm://wasm/b7e90212:1', 'wasm-function[6]')).toBe('WebAssembly');
    expect(shortLocation(frame('f', 'node:fs', 2), '/repo')).toBe('node:fs:3');
  });

  it('refuses files that are not V8 profiles', () => {
    expect(() => parseCpuProfile('nope')).toThrow(/not JSON/);
    expect(() => parseCpuProfile('{"nodes":[],"samples":[1],"timeDeltas":[]}')).toThrow(/equal length/);
  });
});

describe('a real node --cpu-prof profile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-prof-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('puts the function that burns the CPU on top', () => {
    const script = join(dir, 'burn.mjs');
    // burnCpu does nearly all the work; idle waits nothing.
    writeFileSync(
      script,
      'function burnCpu(n) { let x = 0; for (let i = 0; i < n; i++) x = (x + Math.sqrt(i)) % 1e9; ' +
        'return x; }\nlet s = 0; for (let k = 0; k < 40; k++) s += burnCpu(2e6);\nconsole.log(s > 0);\n',
    );
    const result = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, script], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
    const times = selfTimes(parseCpuProfile(readFileSync(join(dir, file), 'utf8')), dir);
    expect(times[0]!.name).toBe('burnCpu');
    expect(times[0]!.location).toBe('burn.mjs:1');
    expect(times[0]!.share).toBeGreaterThan(0.5);
    expect(times.reduce((s, t) => s + t.share, 0)).toBeCloseTo(1, 6);
  });
});
