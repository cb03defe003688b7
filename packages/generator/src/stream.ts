import type { DamageKind, DisorderKind } from './damage.js';
import { FrameWriter, type FramePlan } from './frame-writer.js';
import { resolveOptions, type StreamOptions } from './options.js';
import { poolFor } from './pool.js';
import { Schedule } from './schedule.js';
import { GroundTruth, type TruthSummary, type TruthWindow } from './truth.js';
import { UserIds } from './users.js';

const LF = 0x0a;
const CR = 0x0d;
/** Default size of the chunks generateChunks hands out: big enough that per-chunk costs vanish. */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
/** Room for `\r\n` after a frame. */
const MAX_TERMINATOR_BYTES = 2;

/** One frame of the stream, in arrival order. */
export interface GeneratedFrame {
  /** The line WITHOUT its terminator: a view into a reused buffer, valid until the next frame. */
  readonly bytes: Uint8Array;
  /** Index in event-time order (not arrival order), from 0. */
  readonly seq: number;
  /** True event time, unix seconds. */
  readonly ts: number;
  /** The root ts as written: differs from ts for a bitflip; null when the frame has no numeric root ts. */
  readonly writtenTs: number | null;
  /** Arrival time, unix seconds with a fraction: frames arrive spread over each second. */
  readonly emitTs: number;
  /** Whole seconds late: emitTs - ts is in [delay, delay + 1). */
  readonly delay: number;
  readonly disorder: DisorderKind | null;
  /** User index, 0-based. */
  readonly user: number;
  /** The user's uid, even for frames that do not carry it (missing-uid, not-object, ...). */
  readonly uid: string;
  readonly damage: DamageKind | null;
}

export interface GenerateHooks {
  /** Fed every frame as it is emitted; finalized as windows close and finished at the end. */
  readonly truth?: GroundTruth;
}

class Frame implements GeneratedFrame {
  constructor(
    readonly bytes: Uint8Array,
    private readonly plan: FramePlan,
    readonly writtenTs: number | null,
    readonly emitTs: number,
    private readonly ids: UserIds,
  ) {}
  get seq(): number {
    return this.plan.seq;
  }
  get ts(): number {
    return this.plan.ts;
  }
  get delay(): number {
    return this.plan.delay;
  }
  get disorder(): DisorderKind | null {
    return this.plan.disorder;
  }
  get user(): number {
    return this.plan.user;
  }
  get damage(): DamageKind | null {
    return this.plan.damage;
  }
  get uid(): string {
    return this.ids.uid(this.plan.user);
  }
}

/**
 * Feeds frames to a GroundTruth as they are handed out (so a consumer that
 * stops early leaves a truth of exactly what it got), and finalizes windows
 * once no frame can reach them any more.
 */
class TruthFeed {
  private second = Number.NEGATIVE_INFINITY;
  private readonly horizon: number;

  constructor(
    private readonly truth: GroundTruth | undefined,
    private readonly start: number,
    schedule: Schedule,
  ) {
    this.horizon = schedule.horizon;
  }

  observe(plan: FramePlan): void {
    const truth = this.truth;
    if (truth === undefined) return;
    truth.observe(plan);
    const arrivalSecond = Math.floor(this.start + plan.arrival);
    if (arrivalSecond > this.second) {
      this.second = arrivalSecond;
      // Every frame still to come arrives at this second or later and is at most `horizon` late.
      truth.finalizeBefore(arrivalSecond - this.horizon);
    }
  }

  finish(): void {
    this.truth?.finish();
  }
}

/** The stream's frames one by one, in arrival order. */
export function* generateFrames(
  options: StreamOptions,
  hooks: GenerateHooks = {},
): Generator<GeneratedFrame, void, undefined> {
  const resolved = resolveOptions(options);
  const ids = new UserIds(resolved.seed);
  const writer = new FrameWriter(resolved, poolFor(resolved.seed), ids);
  const scratch = new Uint8Array(writer.maxFrameBytes);
  const schedule = new Schedule(resolved);
  const feed = new TruthFeed(hooks.truth, resolved.start, schedule);
  for (const plan of schedule.plans()) {
    const end = writer.write(plan, scratch, 0);
    feed.observe(plan);
    yield new Frame(scratch.subarray(0, end), plan, writer.writtenTs, resolved.start + plan.arrival, ids);
  }
  feed.finish();
}

/**
 * The stream as newline-terminated lines packed into chunks of about
 * `chunkBytes` (never splitting a line): the fast path for stdout and files.
 * Every chunk is a fresh buffer the caller may keep.
 */
export function* generateChunks(
  options: StreamOptions,
  chunkBytes: number = DEFAULT_CHUNK_BYTES,
  hooks: GenerateHooks = {},
): Generator<Uint8Array, void, undefined> {
  const resolved = resolveOptions(options);
  const writer = new FrameWriter(resolved, poolFor(resolved.seed), new UserIds(resolved.seed));
  const room = writer.maxFrameBytes + MAX_TERMINATOR_BYTES;
  const capacity = Math.max(chunkBytes, room);
  const crlf = resolved.crlf;
  let chunk = new Uint8Array(capacity);
  let pos = 0;
  const schedule = new Schedule(resolved);
  const feed = new TruthFeed(hooks.truth, resolved.start, schedule);
  for (const plan of schedule.plans()) {
    if (capacity - pos < room) {
      yield chunk.subarray(0, pos);
      chunk = new Uint8Array(capacity);
      pos = 0;
    }
    pos = writer.write(plan, chunk, pos);
    if (crlf) chunk[pos++] = CR;
    chunk[pos++] = LF;
    feed.observe(plan);
  }
  // The truth is final before the last chunk is handed out.
  feed.finish();
  if (pos > 0) yield chunk.subarray(0, pos);
}

/**
 * The ground truth of a stream without making its bytes (users, times and
 * damage do not depend on the frames' text, so this is much faster).
 */
export function computeTruth(options: StreamOptions): {
  readonly windows: TruthWindow[];
  readonly summary: TruthSummary;
} {
  const resolved = resolveOptions(options);
  const truth = new GroundTruth({ tz: resolved.tz, users: resolved.users });
  const schedule = new Schedule(resolved);
  const feed = new TruthFeed(truth, resolved.start, schedule);
  const windows: TruthWindow[] = [];
  for (const plan of schedule.plans()) {
    feed.observe(plan);
    for (const w of truth.drain()) windows.push(w);
  }
  feed.finish();
  windows.push(...truth.drain());
  return { windows, summary: truth.summary() };
}
