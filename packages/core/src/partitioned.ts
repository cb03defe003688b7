import type { CountingStage } from './counting-stage.js';
import { CountingEngine } from './engine.js';
import type { EngineOptions } from './options.js';
import type { PartitionCounter } from './partition.js';
import { EngineStats } from './stats.js';
import type { DeadLetter, PartialResult, Positions, WindowResult } from './types.js';

/** Where one partition's event time stands, for a merge stage. */
export interface PartitionProgress {
  readonly partition: number;
  readonly watermark: number;
  readonly idle: boolean;
}

/**
 * One engine per input partition, so that a partition's state can move to
 * another process with it (a Kafka rebalance): its windows hold only its own
 * frames, and its results are partial results, each with its counter, for a
 * merge stage to union. Results carry the partition and the serialized state.
 */
export class PartitionedEngines implements CountingStage {
  private readonly engines = new Map<number, CountingEngine>();
  private readonly options: Partial<EngineOptions>;

  constructor(options: Partial<EngineOptions> = {}) {
    this.options = { ...options, withState: true };
  }

  /** The engine of a partition, created on first use. */
  engine(partition: number): CountingEngine {
    let engine = this.engines.get(partition);
    if (engine === undefined) {
      engine = new CountingEngine(this.options);
      this.engines.set(partition, engine);
    }
    return engine;
  }

  get partitions(): number[] {
    return [...this.engines.keys()].sort((a, b) => a - b);
  }

  /** Takes a partition's state out (it was revoked); its snapshot goes with it. */
  release(partition: number): Uint8Array | undefined {
    const engine = this.engines.get(partition);
    if (engine === undefined) return undefined;
    this.engines.delete(partition);
    return engine.snapshot();
  }

  /** Puts a partition's state in (it was assigned here), from its last snapshot. */
  adopt(partition: number, snapshot: Uint8Array): void {
    this.engines.set(partition, CountingEngine.restore(snapshot, this.options));
  }

  snapshot(partition: number): Uint8Array | undefined {
    return this.engines.get(partition)?.snapshot();
  }

  progress(): PartitionProgress[] {
    return this.partitions.map((partition) => {
      const engine = this.engines.get(partition)!;
      return { partition, watermark: engine.watermark, idle: engine.partition(partition).idle };
    });
  }

  partition(id: number): PartitionCounter {
    return this.engine(id).partition(id);
  }

  malformed(kind: string, origin: string, partition: number, position: number, frame: Uint8Array): void {
    this.engine(partition).malformed(kind, origin, partition, position, frame);
  }

  setIdle(id: number, idle: boolean): void {
    this.engines.get(id)?.setIdle(id, idle);
  }

  advanceSilent(id: number, seconds: number): void {
    this.engines.get(id)?.advanceSilent(id, seconds);
  }

  takeResults(): PartialResult[] {
    const out: PartialResult[] = [];
    for (const [partition, engine] of this.engines) {
      for (const result of engine.takeResults()) out.push(withPartition(result, partition));
    }
    return out;
  }

  takeDeadLetters(): DeadLetter[] {
    return [...this.engines.values()].flatMap((engine) => engine.takeDeadLetters());
  }

  finish(): void {
    for (const engine of this.engines.values()) engine.finish();
  }

  flushOpen(): void {
    for (const engine of this.engines.values()) engine.flushOpen();
  }

  safePositions(): Positions {
    return mergePositions([...this.engines.values()].map((engine) => engine.safePositions()));
  }

  consumedPositions(): Positions {
    return mergePositions([...this.engines.values()].map((engine) => engine.consumedPositions()));
  }

  /** The lowest watermark of the partitions that are not idle. */
  get watermark(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const [partition, engine] of this.engines) {
      if (!engine.partition(partition).idle && engine.watermark < min) min = engine.watermark;
    }
    return min === Number.POSITIVE_INFINITY ? Number.NEGATIVE_INFINITY : min;
  }

  get openWindows(): number {
    let n = 0;
    for (const engine of this.engines.values()) n += engine.openWindows;
    return n;
  }

  get stats(): EngineStats {
    const total = new EngineStats();
    for (const engine of this.engines.values()) {
      const s = engine.stats;
      total.counted += s.counted;
      total.late += s.late;
      total.lateDropped += s.lateDropped;
      total.corruptTs += s.corruptTs;
      total.resultsEmitted += s.resultsEmitted;
      for (const [kind, n] of s.malformed) total.malformed.set(kind, (total.malformed.get(kind) ?? 0) + n);
    }
    return total;
  }
}

const NO_STATE = new Uint8Array(0);

function withPartition(result: WindowResult, partition: number): PartialResult {
  // Copied by descriptor: the state stays unserialized until read (see the engine's withLazyState).
  const out = Object.defineProperties({}, Object.getOwnPropertyDescriptors(result)) as WindowResult & {
    state?: Uint8Array;
  };
  if (!('state' in out)) Object.defineProperty(out, 'state', { enumerable: true, value: NO_STATE });
  return Object.assign(out, { partition }) as PartialResult;
}

function mergePositions(all: readonly Positions[]): Positions {
  const out = new Map<number, number>();
  for (const positions of all) for (const [partition, position] of positions) out.set(partition, position);
  return out;
}
