import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createGunzip } from 'node:zlib';
import { oneLine } from '@uniqstream/app-config';
import type { ReplayConfig } from './cli.js';
import { SimError } from './errors.js';
import type { SimIo } from './io.js';
import { countLines, lines } from './lines.js';
import { openOutput } from './open-output.js';
import { PACE_SLACK_MS, Pacer } from './pace.js';
import { Progress } from './progress.js';
import { describeTarget } from './target.js';

/** Lines gathered into one write to a byte output. */
const BATCH_BYTES = 1024 * 1024;
const LINES_PER_TURN = 1024;
const decoder = new TextDecoder();

/** Sends a file's lines to the output, byte for byte to stdout and files, one message per line to Kafka. */
export async function runReplay(config: ReplayConfig, io: SimIo): Promise<void> {
  const file = createReadStream(config.file);
  const source = config.file.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  let inputError: unknown = null;
  const onInputError = (error: unknown): void => {
    inputError = error;
    source.destroy();
  };
  try {
    await once(file, 'open');
  } catch (error) {
    throw new SimError('INPUT_FAILED', `cannot read ${config.file}: ${oneLine(error)}`, { cause: error });
  }
  file.on('error', onInputError);
  if (source !== file) source.on('error', onInputError);
  const output = await openOutput(config.target, config.kafka, io, {
    gzipLevel: config.gzipLevel,
    quiet: config.quiet,
  });
  const progress = new Progress(io, config.progress, config.quiet, null);
  const pacer = config.rate === null ? null : new Pacer(io);
  let parts: Buffer[] = [];
  let pending = 0;
  const flush = async (): Promise<void> => {
    if (output.kind === 'messages') return output.flush();
    if (parts.length === 0) return;
    const chunk = Buffer.concat(parts, pending);
    parts = [];
    pending = 0;
    await output.write(chunk);
  };
  let failed = false;
  try {
    if (output.kind === 'bytes' && pacer === null) {
      // Nothing to pace or key: the bytes go through as they are, without splitting.
      for await (const chunk of source as AsyncIterable<Buffer>) {
        await output.write(chunk);
        progress.add(countLines(chunk), chunk.length);
        progress.tick();
        if (io.signal?.aborted === true || output.closed) break;
      }
      return;
    }
    let index = 0;
    for await (const { line, frame } of lines(source)) {
      if (pacer !== null && config.rate !== null) {
        const wait = pacer.waitMs(index / config.rate);
        if (wait > PACE_SLACK_MS) {
          await flush();
          progress.tick();
          await pacer.sleep(wait);
        }
      }
      if (output.kind === 'bytes') {
        parts.push(Buffer.from(line));
        pending += line.length;
        if (pending >= BATCH_BYTES) await flush();
        progress.add(1, line.length);
      } else {
        await output.add(frame, uidOf(frame));
        progress.add(1, frame.length);
      }
      if (++index % LINES_PER_TURN === 0) {
        progress.tick();
        await nextTurn();
        if (io.signal?.aborted === true || output.closed) break;
      }
    }
    await flush();
  } catch (error) {
    failed = true;
    throw inputError === null
      ? error
      : new SimError('INPUT_FAILED', `cannot read ${config.file}: ${oneLine(inputError)}`, { cause: inputError });
  } finally {
    source.destroy();
    const closing = output.close();
    if (failed) await closing.catch(() => undefined);
    else await closing;
    if (!failed) progress.finish(describeTarget(config.target), io.signal?.aborted === true ? ' (interrupted)' : '');
  }
  if (inputError !== null)
    throw new SimError('INPUT_FAILED', `cannot read ${config.file}: ${oneLine(inputError)}`, { cause: inputError });
}

/** The root uid of a frame, to key its Kafka message; null for a frame that has none. */
function uidOf(frame: Buffer): string | null {
  try {
    const value: unknown = JSON.parse(decoder.decode(frame));
    if (
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      'uid' in value &&
      typeof value.uid === 'string'
    )
      return value.uid;
  } catch {
    // Malformed frames go unkeyed.
  }
  return null;
}
