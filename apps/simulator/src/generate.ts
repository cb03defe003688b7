import { setImmediate as nextTurn } from 'node:timers/promises';
import { GroundTruth, generateChunks, generateFrames, resolveOptions } from '@uniqstream/generator';
import type { GenerateConfig } from './cli.js';
import { DeliveredTruth } from './delivered-truth.js';
import type { SimIo } from './io.js';
import { openOutput } from './open-output.js';
import type { ByteOutput, Output } from './output.js';
import { PACE_SLACK_MS, Pacer } from './pace.js';
import { countLines } from './lines.js';
import { Progress } from './progress.js';
import { describeTarget } from './target.js';
import { TruthFile } from './truth-file.js';

const CRLF = Buffer.from('\r\n');
const NEWLINE = Buffer.from('\n');
/** Chunks of generated lines written at once on the fast path. */
const CHUNK_BYTES = 1024 * 1024;
/** Frames between checks for Ctrl-C, progress and truth on the frame-by-frame path. */
const FRAMES_PER_TURN = 1024;

/** Generates the configured stream into its output, with ground truth and progress. */
export async function runGenerate(config: GenerateConfig, io: SimIo): Promise<void> {
  const resolved = resolveOptions(config.stream);
  const truthOptions = { tz: resolved.tz, users: resolved.users };
  // Kafka: a frame counts once the broker acknowledged it, so a run an outage
  // cuts short has the truth of what is in the topic.
  const truth =
    config.truthPath === null
      ? undefined
      : config.target.kind === 'kafka'
        ? new DeliveredTruth(truthOptions)
        : new GroundTruth(truthOptions);
  const truthFile = config.truthPath === null ? null : await TruthFile.open(config.truthPath);
  const onDelivered = truth instanceof DeliveredTruth ? (frames: number) => truth.deliver(frames) : undefined;
  const output = await openOutput(config.target, config.kafka, io, {
    gzipLevel: config.gzipLevel,
    quiet: config.quiet,
    ...(onDelivered === undefined ? {} : { onDelivered }),
  });
  const progress = new Progress(io, config.progress, config.quiet, resolved.frames);
  const hooks = truth === undefined ? {} : { truth };
  let failed = false;
  try {
    if (output.kind === 'bytes' && !config.realtime) {
      for (const chunk of generateChunks(config.stream, CHUNK_BYTES, hooks)) {
        await output.write(chunk);
        progress.add(countLines(chunk), chunk.length);
        progress.tick();
        if (truth !== undefined) await truthFile?.drain(truth);
        // Let signals and stream events in: writes that never block only queue microtasks.
        await nextTurn();
        if (stopped(io, output)) break;
      }
    } else {
      await frameByFrame(config, output, progress, hooks, io, truth, truthFile);
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    const closing = output.close();
    if (failed) await closing.catch(() => undefined);
    else await closing;
    // Cut short (Ctrl-C, a closed pipe, a broker away too long): the truth
    // covers exactly the frames delivered.
    if (truth !== undefined && truthFile !== null) {
      if (truth instanceof DeliveredTruth) truth.dropUndelivered();
      truth.finish();
      await truthFile.close(truth);
    }
    if (!failed) progress.finish(describeTarget(config.target), io.signal?.aborted === true ? ' (interrupted)' : '');
  }
}

function stopped(io: SimIo, output: Output): boolean {
  return io.signal?.aborted === true || output.closed;
}

/** The path for Kafka and for --realtime: frames one at a time, paced by their arrival times. */
async function frameByFrame(
  config: GenerateConfig,
  output: Output,
  progress: Progress,
  hooks: { truth?: GroundTruth },
  io: SimIo,
  truth: GroundTruth | undefined,
  truthFile: TruthFile | null,
): Promise<void> {
  const pacer = config.realtime ? new Pacer(io) : null;
  const terminator = config.stream.crlf === true ? CRLF : NEWLINE;
  const batch = new LineBatch(output.kind === 'bytes' ? output : null);
  let first: number | null = null;
  let sinceTurn = 0;
  for (const frame of generateFrames(config.stream, hooks)) {
    if (pacer !== null) {
      first ??= frame.emitTs;
      const wait = pacer.waitMs(frame.emitTs - first);
      if (wait > PACE_SLACK_MS) {
        await batch.flush();
        if (output.kind === 'messages') await output.flush();
        progress.tick();
        await pacer.sleep(wait);
        if (stopped(io, output)) break;
      }
    }
    if (output.kind === 'bytes') {
      await batch.add(frame.bytes, terminator);
      progress.add(1, frame.bytes.length + terminator.length);
    } else {
      await output.add(frame.bytes, frame.uid);
      progress.add(1, frame.bytes.length);
    }
    if (++sinceTurn === FRAMES_PER_TURN) {
      sinceTurn = 0;
      progress.tick();
      if (truth !== undefined) await truthFile?.drain(truth);
      await nextTurn();
      if (stopped(io, output)) break;
    }
  }
  await batch.flush();
  if (output.kind === 'messages') await output.flush();
}

/** Lines gathered into one write, so paced output is not one syscall per frame. */
class LineBatch {
  private parts: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly output: ByteOutput | null) {}

  async add(frame: Uint8Array, terminator: Buffer): Promise<void> {
    if (this.output === null) return;
    this.parts.push(Buffer.from(frame), terminator);
    this.bytes += frame.length + terminator.length;
    if (this.bytes >= CHUNK_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.output === null || this.parts.length === 0) return;
    const chunk = Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    await this.output.write(chunk);
  }
}
