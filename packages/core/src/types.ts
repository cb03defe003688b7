/**
 * The small contracts between uniqstream's packages. Core defines them; the
 * frames package implements FrameDecoder, the sources package Source, and the
 * sinks package ResultSink and DeadLetterSink, all structurally (they do not
 * import core's classes, only these shapes).
 */

/** Window granularities, from finest to coarsest. */
export const GRANULARITIES = ['minute', 'hour', 'day', 'week', 'month', 'year'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** Scratch object a decoder fills in; reused for every frame. */
export interface DecodedFrame {
  /** High 32 bits of the 64-bit hash of the uid's UTF-8 bytes (unsigned). */
  uidHi: number;
  /** Low 32 bits of the 64-bit hash of the uid's UTF-8 bytes (unsigned). */
  uidLo: number;
  /** Event time, whole unix seconds. */
  ts: number;
}

/** Turns one frame's bytes into a uid hash and a ts. */
export interface FrameDecoder {
  readonly name: string;
  /**
   * Decodes `frame` (one line, without its line terminator) into `out`.
   * Returns null when the frame is valid, or the kind of damage
   * (`'truncated'`, `'missing-uid'`, ...) when it is not. Never throws.
   * `knownUtf8`: the source has checked that the frame is valid UTF-8, so
   * the decoder may skip that check (see `FrameBatch.knownUtf8`).
   */
  decode(frame: Uint8Array, out: DecodedFrame, knownUtf8?: boolean): string | null;
}

/** A batch of raw frames read from one input partition. */
export interface FrameBatch {
  /** Input partition: the Kafka partition, or 0 for stdin and files. */
  readonly partition: number;
  /**
   * Raw frame bytes, one line each, without the line terminator. Valid until
   * the next batch is requested: sources reuse their buffers, so whatever
   * must outlive the batch is copied.
   */
  readonly frames: readonly Uint8Array[];
  /**
   * Where each frame starts: its Kafka offset, or its byte offset in the
   * (decompressed) input for stdin and files.
   */
  readonly positions: ArrayLike<number>;
  /** The position to resume from once every frame of this batch is done. */
  readonly next: number;
  /** A name for the input, for dead letters and messages: a file name, `-`, or `topic`. */
  readonly origin: string;
  /** For line-oriented inputs: the 1-based line number in `origin` of frames[0]. */
  readonly firstLine?: number;
  /**
   * The source was cut off from its input until now (a broker outage, say):
   * the time without frames before this batch says nothing about the input,
   * so idle clocks (`idleTimeoutMs`, `untilIdleMs`) start again from here.
   */
  readonly resumed?: boolean;
  /**
   * Every frame of the batch is valid UTF-8: the source checked the bytes
   * that hold them in one pass (one native call per chunk instead of one per
   * frame), and the decoder need not check each frame again.
   */
  readonly knownUtf8?: boolean;
  /**
   * Bytes of input the batch covers: its frames with their line terminators,
   * and the parts of too-long lines the source cut off. Without it, the
   * pipeline counts each frame's length plus one terminator byte.
   */
  readonly bytes?: number;
}

/** Where reading resumes: partition -> next position. */
export type Positions = ReadonlyMap<number, number>;

/** A source of frame batches. */
export interface Source {
  /** Human name, e.g. `file:a.jsonl` or `kafka://127.0.0.1:9092/stream`. */
  readonly name: string;
  /** Yields batches until the input ends or `signal` aborts. */
  batches(signal?: AbortSignal): AsyncIterable<FrameBatch>;
  /**
   * Records that everything before `positions` is safely handled (its
   * results are in the sink). Sources that cannot resume may ignore it.
   */
  commit?(positions: Positions): Promise<void>;
  close(): Promise<void>;
}

export type CountMethod = 'exact' | 'hll';

/** One result for one window; the JSON that sinks write. */
export interface WindowResult {
  readonly window: Granularity;
  /** Inclusive start, unix seconds. */
  readonly start: number;
  /** Exclusive end, unix seconds. */
  readonly end: number;
  /** Distinct users (exact, or estimated when method is 'hll'). */
  readonly users: number;
  /** Frames counted in the window. */
  readonly frames: number;
  /** 0 for the first result of a window, +1 for every update. */
  readonly revision: number;
  /** True when the window will not change any more. */
  readonly final: boolean;
  readonly method: CountMethod;
  /** Relative standard error of `users`, only for method 'hll'. */
  readonly error?: number;
}

/**
 * A result of one input partition's share of a window, with the window's
 * counter (exact set or HyperLogLog registers) so that a merge stage can
 * union the shares of every partition.
 */
export interface PartialResult extends WindowResult {
  readonly partition: number;
  /**
   * The serialized counter (see deserializeCounter), serialized when first
   * read: read before the engine counts more frames, it is the counter as of
   * this result; read later, it may also hold frames counted since (never
   * fewer), which a merge takes as an early look at the next revision.
   */
  readonly state: Uint8Array;
  /**
   * The partition's watermark when the share was written, when the writer
   * says: a merge stage may let out the windows that end at or before it
   * without waiting for the partition's next progress report.
   */
  readonly watermark?: number;
}

/** Receives results in emission order. */
export interface ResultSink {
  write(results: readonly WindowResult[]): Promise<void> | void;
  /** Resolves when everything written so far is durable where it goes. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Why a frame was not counted. */
export type DropReason = 'malformed' | 'late' | 'corrupt-ts';

/** A frame that was not counted, and why. */
export interface DeadLetter {
  readonly reason: DropReason;
  /** For 'malformed': the decoder's kind; otherwise a short detail. */
  readonly detail: string;
  readonly origin: string;
  readonly partition: number;
  readonly position: number;
  /** The frame's ts, when it had a valid one. */
  readonly ts?: number;
  /** The raw frame bytes (a copy the sink may keep). */
  readonly frame: Uint8Array;
}

export interface DeadLetterSink {
  write(letters: readonly DeadLetter[]): Promise<void> | void;
  flush(): Promise<void>;
  close(): Promise<void>;
}
