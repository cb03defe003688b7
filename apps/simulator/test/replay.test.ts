import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { run } from '../src/cli.js';
import { PACE_SLACK_MS } from '../src/pace.js';
import { sim } from './support/bin.js';
import { memoryIo } from './support/memory-io.js';
import { splitLines } from './support/reference.js';

const dir = mkdtempSync(join(tmpdir(), 'sim-replay-'));
const stream = sim([
  '--seed',
  '3',
  '--frames',
  '4000',
  '--frame-bytes',
  '500',
  '--realistic',
  '--crlf',
  '--quiet',
]).stdout;

describe('uniqstream-sim replay', () => {
  it('sends a file to stdout unchanged, \\r\\n line ends included', () => {
    const path = join(dir, 'stream.jsonl');
    writeFileSync(path, stream);
    const result = sim(['replay', path, '--quiet']);
    expect(result.status).toBe(0);
    expect(result.stdout.equals(stream)).toBe(true);
  });

  it('gunzips a .gz file', () => {
    const path = join(dir, 'stream.jsonl.gz');
    writeFileSync(path, gzipSync(stream));
    expect(sim(['replay', path, '--quiet']).stdout.equals(stream)).toBe(true);
  });

  it('copies to a file, and keeps empty lines and a last line without a newline', () => {
    const odd = Buffer.from('{"a":1}\n\n\r\n{"uid":"x","ts":1}\nno newline at the end');
    const path = join(dir, 'odd.jsonl');
    writeFileSync(path, odd);
    const out = join(dir, 'copy.jsonl');
    const result = sim(['replay', path, '--to', `file:${out}`]);
    expect(result.status).toBe(0);
    expect(readFileSync(out).equals(odd)).toBe(true);
    expect(result.stderr).toMatch(/^uniqstream-sim: 4 frames, .* to file:/);
  });

  it('paces lines at --rate by the clock', async () => {
    const path = join(dir, 'paced.jsonl');
    writeFileSync(path, stream);
    const mem = memoryIo();
    expect(await run(['replay', path, '--rate', '2000', '--quiet'], mem.io)).toBe(0);
    expect(mem.stdoutBytes().equals(stream)).toBe(true);
    let index = 0;
    let early = 0;
    for (const write of mem.writes) {
      for (const _line of splitLines(write.bytes)) {
        if (write.at < (index / 2000) * 1000 - PACE_SLACK_MS) early++;
        index++;
      }
    }
    expect(early).toBe(0);
    // 4000 lines at 2000 per second take two seconds.
    expect(mem.writes.at(-1)!.at).toBeGreaterThanOrEqual(1999 / 2 - PACE_SLACK_MS);
  });

  it('fails with one line and exit 1 when the file is missing', () => {
    const result = sim(['replay', join(dir, 'missing.jsonl')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^uniqstream-sim: cannot read .*missing\.jsonl: ENOENT[^\n]*\n$/);
  });
});
