import type { CountingStage } from './counting-stage.js';
import type { EngineStats } from './stats.js';
import type { DeadLetterSink, DecodedFrame, FrameDecoder, Positions, ResultSink, Source } from './types.js';

/** Monotonic milliseconds. Injected: core never reads a clock itself. */
export type Clock = () => number;

export interface PipelineProgress {
  readonly frames: number;
  /** Input bytes read: frames with their line terminators (see FrameBatch.bytes). */
  readonly bytes: number;
  readonly elapsedMs: number;
  readonly watermark: number;
  readonly openWindows: number;
  readonly stats: EngineStats;
}

export type StopReason = 'end-of-input' | 'idle' | 'signal';

export interface PipelineSummary extends PipelineProgress {
  readonly stopReason: StopReason;
  /** Positions committed last (what a restart resumes from). */
  readonly committed: Positions;
}

/** Persists engine state with the positions it covers (see the consumer service). */
export interface Checkpointer {
  /** How often to checkpoint, in ms of the pipeline's clock. */
  readonly intervalMs: number;
  /**
   * Saves the engine's state together with the positions it covers, durably,
   * and returns the positions that may now be committed.
   */
  save(engine: CountingStage, positions: Positions, ended: boolean): Promise<Positions>;
}

export interface PipelineOptions {
  readonly source: Source;
  readonly decoder: FrameDecoder;
  readonly engine: CountingStage;
  readonly sink: ResultSink;
  readonly deadLetters?: DeadLetterSink;
  readonly now: Clock;
  readonly signal?: AbortSignal;
  /** A partition without frames for this long stops holding the watermark back. 0 = never. */
  readonly idleTimeoutMs?: number;
  /**
   * After this long without a frame, a partition's event time follows the
   * clock: it moves on by the time the silence lasts beyond this, so that its
   * last windows come out (and become final) although no frame moves them.
   * 0 = never (event time moves only with frames).
   */
  readonly wallClockAfterMs?: number;
  /** End the run (flushing every window) after this long without a frame. 0 = never. */
  readonly untilIdleMs?: number;
  /** Commit positions at most this often; they are always committed at the end. */
  readonly commitIntervalMs?: number;
  readonly checkpointer?: Checkpointer;
  /** On a stop by `signal`: emit non-final results of open windows (a CLI) or keep them for a restart (a service). */
  readonly onSignal?: 'flush-partial' | 'keep';
  readonly progressIntervalMs?: number;
  readonly onProgress?: (progress: PipelineProgress) => void;
}

const DEFAULT_IDLE_TIMEOUT_MS = 10_000;
const DEFAULT_COMMIT_INTERVAL_MS = 5_000;
const DEFAULT_PROGRESS_INTERVAL_MS = 1_000;
const MS_PER_SECOND = 1000;
/** Bytes of the line terminator each frame had in the input. */
const NEWLINE_BYTES = 1;

/**
 * The one pipeline loop, shared by the CLI and the consumer service:
 * source batch -> decode -> count -> results -> sink -> commit positions.
 *
 * Positions are committed only after the results that cover them have been
 * flushed to the sink (and, with a checkpointer, after the state that covers
 * the rest is durable), so a crash never loses a frame.
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineSummary> {
  const { source, decoder, engine, sink, deadLetters, now } = options;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const untilIdleMs = options.untilIdleMs ?? 0;
  const wallClockAfterMs = options.wallClockAfterMs ?? 0;
  const commitIntervalMs = options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS;
  const progressIntervalMs = options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  const checkpointer = options.checkpointer;

  const stop = new AbortController();
  const onAbort = (): void => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const started = now();
  const scratch: DecodedFrame = { uidHi: 0, uidLo: 0, ts: 0 };
  const lastFrameAt = new Map<number, number>();
  let lastAnyFrameAt = started;
  let frames = 0;
  let bytes = 0;
  let lastCommitAt = started;
  let lastCheckpointAt = started;
  let lastProgressAt = started;
  let committed: Positions = new Map();
  let stopReason: StopReason = 'end-of-input';

  const progress = (): PipelineProgress => ({
    frames,
    bytes,
    elapsedMs: now() - started,
    watermark: engine.watermark,
    openWindows: engine.openWindows,
    stats: engine.stats,
  });

  const drain = async (): Promise<void> => {
    const results = engine.takeResults();
    if (results.length > 0) await sink.write(results);
    const letters = engine.takeDeadLetters();
    if (letters.length > 0 && deadLetters) await deadLetters.write(letters);
  };

  const commit = async (ended = false): Promise<void> => {
    await sink.flush();
    if (deadLetters) await deadLetters.flush();
    let positions = checkpointer ? engine.consumedPositions() : engine.safePositions();
    if (checkpointer) positions = await checkpointer.save(engine, positions, ended);
    if (source.commit && positions.size > 0) await source.commit(positions);
    committed = positions;
  };

  try {
    for await (const batch of source.batches(stop.signal)) {
      const at = now();
      const count = batch.frames.length;
      if (batch.resumed === true) {
        lastAnyFrameAt = at;
        for (const partition of lastFrameAt.keys()) lastFrameAt.set(partition, at);
      }
      if (count > 0) {
        const part = engine.partition(batch.partition);
        part.origin = batch.origin;
        if (part.idle) engine.setIdle(batch.partition, false);
        lastFrameAt.set(batch.partition, at);
        lastAnyFrameAt = at;
        const list = batch.frames;
        const positions = batch.positions;
        const knownUtf8 = batch.knownUtf8 === true;
        const batchBytes = batch.bytes;
        if (batchBytes !== undefined) bytes += batchBytes;
        for (let i = 0; i < count; i++) {
          const frame = list[i]!;
          if (batchBytes === undefined) bytes += frame.length + NEWLINE_BYTES;
          const kind = decoder.decode(frame, scratch, knownUtf8);
          if (kind === null) part.add(scratch.uidHi, scratch.uidLo, scratch.ts, positions[i]!, frame);
          else engine.malformed(kind, batch.origin, batch.partition, positions[i]!, frame);
        }
        frames += count;
        part.next = batch.next;
      }
      if (idleTimeoutMs > 0) {
        for (const [partition, seen] of lastFrameAt) {
          if (at - seen >= idleTimeoutMs) engine.setIdle(partition, true);
        }
      }
      if (wallClockAfterMs > 0) {
        for (const [partition, seen] of lastFrameAt) {
          const beyond = at - seen - wallClockAfterMs;
          if (beyond >= MS_PER_SECOND) engine.advanceSilent(partition, Math.floor(beyond / MS_PER_SECOND));
        }
      }
      await drain();
      if (checkpointer && at - lastCheckpointAt >= checkpointer.intervalMs) {
        await commit();
        lastCheckpointAt = at;
        lastCommitAt = at;
      } else if (!checkpointer && at - lastCommitAt >= commitIntervalMs) {
        await commit();
        lastCommitAt = at;
      }
      if (options.onProgress && at - lastProgressAt >= progressIntervalMs) {
        lastProgressAt = at;
        options.onProgress(progress());
      }
      if (untilIdleMs > 0 && at - lastAnyFrameAt >= untilIdleMs) {
        stopReason = 'idle';
        break;
      }
      if (stop.signal.aborted) {
        stopReason = 'signal';
        break;
      }
    }
    if (stop.signal.aborted && stopReason === 'end-of-input') stopReason = 'signal';
    if (stopReason === 'signal') {
      if ((options.onSignal ?? 'flush-partial') === 'flush-partial') engine.flushOpen();
    } else {
      engine.finish();
    }
    await drain();
    await commit(stopReason === 'end-of-input');
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  return { ...progress(), stopReason, committed };
}
