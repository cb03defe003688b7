import type { PartitionCounter } from './partition.js';
import type { EngineStats } from './stats.js';
import type { DeadLetter, Positions, WindowResult } from './types.js';

/**
 * What the pipeline loop drives: one engine over every partition (the CLI),
 * or one engine per partition (the consumer service, whose partitions move
 * between instances with their state).
 */
export interface CountingStage {
  /** The counter for one input partition; kept for a whole batch. */
  partition(id: number): PartitionCounter;
  malformed(kind: string, origin: string, partition: number, position: number, frame: Uint8Array): void;
  setIdle(id: number, idle: boolean): void;
  /** A partition without frames for a while: its event time moves `seconds` past its newest ts. */
  advanceSilent(id: number, seconds: number): void;
  takeResults(): WindowResult[];
  takeDeadLetters(): DeadLetter[];
  /** End of input: every open window's final result. */
  finish(): void;
  /** A stop that keeps state: non-final results of open windows that changed. */
  flushOpen(): void;
  /** Positions up to which every frame's windows are final. */
  safePositions(): Positions;
  /** Positions after every frame handed in. */
  consumedPositions(): Positions;
  readonly watermark: number;
  readonly openWindows: number;
  readonly stats: EngineStats;
}
