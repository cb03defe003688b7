import { MALFORMED_KINDS, type DamageKind, type DisorderKind } from './damage.js';
import type { FramePlan } from './frame-writer.js';
import { Heap } from './heap.js';
import type { ResolvedStreamOptions } from './options.js';
import { Random } from './random.js';
import { ZipfSampler } from './zipf.js';

/** Random stream of users, delays and damage (see Random's `stream`). */
const EVENT_STREAM = 1;
const TS_BITS = 32;

function arrivesFirst(a: FramePlan, b: FramePlan): boolean {
  return a.arrival < b.arrival || (a.arrival === b.arrival && a.seq < b.seq);
}

/**
 * Decides every frame (user, delay, damage) in event-time order and hands
 * them out in arrival order. Frame i happens at `i / rate` seconds after
 * start and arrives `delay` seconds later; only delayed frames wait in the
 * heap, so it holds about rate * (mean delay * late fraction) plans.
 */
export class Schedule {
  private readonly random: Random;
  private readonly zipf: ZipfSampler | null;

  constructor(private readonly options: ResolvedStreamOptions) {
    this.random = new Random(options.seed, EVENT_STREAM);
    this.zipf = options.zipf === null ? null : new ZipfSampler(options.users, options.zipf);
  }

  /** The largest delay any frame can have, seconds. */
  get horizon(): number {
    const o = this.options;
    return o.tailFraction > 0 ? o.tailDelay : o.lateFraction > 0 ? o.maxDelay : 0;
  }

  *plans(): Generator<FramePlan, void, undefined> {
    const o = this.options;
    const r = this.random;
    const waiting = new Heap<FramePlan>(arrivesFirst);
    const lateCut = o.lateFraction;
    const tailCut = o.lateFraction + o.tailFraction;
    const flipCut = o.bitflipFraction;
    const malformedCut = o.bitflipFraction + o.malformedFraction;

    for (let seq = 0; seq < o.frames; seq++) {
      const eventTime = seq / o.rate;
      // Every frame still to come arrives at eventTime or later, so all that
      // are due by then can go now, before this one.
      for (let next = waiting.peek(); next !== undefined && next.arrival <= eventTime; next = waiting.peek()) {
        waiting.pop();
        yield next;
      }
      const user = this.zipf === null ? r.below(o.users) : this.zipf.sample(r) - 1;
      let delay = 0;
      let disorder: DisorderKind | null = null;
      const d = r.fraction();
      if (d < lateCut) {
        delay = r.between(1, o.maxDelay);
        disorder = 'late';
      } else if (d < tailCut) {
        delay = r.between(o.maxDelay + 1, o.tailDelay);
        disorder = 'tail';
      }
      let damage: DamageKind | null = null;
      let flipBit = -1;
      const v = r.fraction();
      if (v < flipCut) {
        damage = 'bitflip';
        flipBit = r.between(o.bitflipMinBit, TS_BITS - 1);
      } else if (v < malformedCut) {
        damage = MALFORMED_KINDS[r.below(MALFORMED_KINDS.length)]!;
      }
      const plan: FramePlan = {
        seq,
        ts: o.start + Math.floor(eventTime),
        user,
        arrival: eventTime + delay,
        delay,
        disorder,
        damage,
        flipBit,
      };
      if (delay === 0) yield plan;
      else waiting.push(plan);
    }
    for (let next = waiting.pop(); next !== undefined; next = waiting.pop()) yield next;
  }
}
