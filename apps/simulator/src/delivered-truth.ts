import { GroundTruth, type GroundTruthOptions, type TruthFrame } from '@uniqstream/generator';

/** A finalizeBefore(ts) the generator made while frames before it still waited for delivery. */
interface FinalizeMark {
  readonly finalizeBefore: number;
}

type Waiting = TruthFrame | FinalizeMark;

/** Waiting entries forgotten at the head before the array is compacted. */
const COMPACT_AFTER = 4096;

/**
 * The ground truth of the frames an output has delivered (Kafka
 * acknowledged them), so that a run cut short by an outage leaves a truth
 * that matches what is in the topic.
 *
 * The generator feeds it as it feeds any GroundTruth, as frames are made:
 * observe() for each frame, finalizeBefore() as the stream moves on. Here
 * both wait, in order, until deliver() says how many of the frames got
 * through; the generator's own finalization then follows the delivered
 * frames, so no window is closed before a frame that counts in it.
 */
export class DeliveredTruth extends GroundTruth {
  private waiting: Waiting[] = [];
  private head = 0;
  private waitingFrames = 0;

  constructor(options: GroundTruthOptions = {}) {
    super(options);
  }

  override observe(frame: TruthFrame): void {
    // Copied: only these four fields count, and the caller's object may change.
    this.waiting.push({ ts: frame.ts, user: frame.user, damage: frame.damage, disorder: frame.disorder });
    this.waitingFrames++;
  }

  override finalizeBefore(ts: number): void {
    if (this.waitingFrames === 0) super.finalizeBefore(ts);
    else this.waiting.push({ finalizeBefore: ts });
  }

  /** Frames made but not delivered yet. */
  get undelivered(): number {
    return this.waitingFrames;
  }

  /** Counts the next `frames` frames, in the order they were made, with the finalizations that followed them. */
  deliver(frames: number): void {
    let left = Math.min(frames, this.waitingFrames);
    while (this.head < this.waiting.length) {
      const next = this.waiting[this.head]!;
      if ('finalizeBefore' in next) {
        super.finalizeBefore(next.finalizeBefore);
      } else {
        if (left === 0) break;
        super.observe(next);
        left--;
        this.waitingFrames--;
      }
      this.head++;
    }
    if (this.head >= COMPACT_AFTER) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
  }

  /** Forgets the frames that were never delivered (the run ends without them); finish() then closes every window. */
  dropUndelivered(): void {
    this.waiting = [];
    this.head = 0;
    this.waitingFrames = 0;
  }
}
