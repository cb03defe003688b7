import type { DamageKind, DisorderKind } from './damage.js';
import type { ResolvedStreamOptions } from './options.js';
import { MAX_FRAGMENT_BYTES, MEMBER_POOL_MASK, VALUE_POOL_MASK, type Pool } from './pool.js';
import { Random } from './random.js';
import type { UserIds } from './users.js';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const QUOTE = 0x22;
const DIGIT_ZERO = 0x30;
const UTF8_CONTINUATION_MASK = 0xc0;
const UTF8_CONTINUATION = 0x80;
const DECIMAL = 10;

/** Random stream of frame layout (see Random's `stream`). */
const LAYOUT_STREAM = 2;
/** Root members before uid and ts: 0..3 (docs/frames.md). */
const MAX_PRELUDE_MEMBERS = 3;
/** How often uid and ts are not next to each other after the prelude: "do not rely on that order". */
const ELSEWHERE_FRACTION = 0.1;
/** Slots (positions among the root members) where a misplaced uid or ts can land. */
const ELSEWHERE_SLOTS = 12;
/** A 'not-object' frame is a short non-object line this often, else a long JSON array. */
const SHORT_NOT_OBJECT_FRACTION = 0.5;
/**
 * Room for everything a frame may add past its target size: the prelude when
 * the target is tiny, one overshooting member, uid, ts and a bad-UTF-8 member.
 */
const FRAME_SLACK_BYTES = (MAX_PRELUDE_MEMBERS + 2) * MAX_FRAGMENT_BYTES + 512;

const encoder = new TextEncoder();
const UID_OPENING = encoder.encode('"uid":"');
const TS_OPENING = encoder.encode('"ts":');
const UID_FRAME_OPENING = encoder.encode('{"uid":"');
const TS_AFTER_UID = encoder.encode('","ts":');

/** One frame to make: what it stands for, when it arrives and how it is damaged. */
export interface FramePlan {
  /** Index in event-time order, from 0. */
  readonly seq: number;
  /** True event time, unix seconds. */
  readonly ts: number;
  /** User index, 0-based; its uid comes from UserIds. */
  readonly user: number;
  /** Arrival time in seconds after `start` (fractional: frames are spread over each second). */
  readonly arrival: number;
  /** Whole seconds the frame arrives late. */
  readonly delay: number;
  readonly disorder: DisorderKind | null;
  readonly damage: DamageKind | null;
  /** The ts bit a bitflip hits, or -1. */
  readonly flipBit: number;
}

/** Writes frames as JSON text straight into a caller's buffer. */
export class FrameWriter {
  /** No frame is longer than this, so a buffer with this much room always fits the next one. */
  readonly maxFrameBytes: number;
  /** The root ts written into the last frame, or null when it has no numeric root ts. */
  writtenTs: number | null = null;
  private readonly random: Random;
  private readonly target: number;
  /** Stop adding members at this size: the last one overshoots it, on average to `target`. */
  private readonly fillUntil: number;
  private readonly tsStringFraction: number;

  constructor(
    options: ResolvedStreamOptions,
    private readonly pool: Pool,
    private readonly ids: UserIds,
  ) {
    this.random = new Random(options.seed, LAYOUT_STREAM);
    this.target = options.frameBytes;
    this.fillUntil = Math.max(0, options.frameBytes - Math.round(pool.meanOvershootBytes));
    this.tsStringFraction = options.tsStringFraction;
    this.maxFrameBytes = options.frameBytes + FRAME_SLACK_BYTES;
  }

  /** Writes `plan`'s frame (no line terminator) at `pos`; returns the position after it. */
  write(plan: FramePlan, out: Uint8Array, pos: number): number {
    switch (plan.damage) {
      case 'empty':
        this.writtenTs = null;
        return pos;
      case 'not-object':
        this.writtenTs = null;
        return this.writeNotObject(plan, out, pos);
      case 'truncated': {
        const end = this.writeObject(plan, out, pos);
        this.writtenTs = null;
        return this.cut(out, pos, end);
      }
      default:
        return this.writeObject(plan, out, pos);
    }
  }

  private writeObject(plan: FramePlan, out: Uint8Array, start: number): number {
    const r = this.random;
    const members = this.pool.members;
    const damage = plan.damage;
    const prelude = r.below(MAX_PRELUDE_MEMBERS + 1);
    const elsewhere = r.chance(ELSEWHERE_FRACTION);
    const uidSlot = elsewhere ? r.below(ELSEWHERE_SLOTS) : prelude;
    const tsSlot = elsewhere ? r.below(ELSEWHERE_SLOTS) : prelude;
    const uidFirst = r.chance(0.5);
    const badSlot = damage === 'invalid-utf8' ? r.below(ELSEWHERE_SLOTS) : -1;
    let uidLeft = damage !== 'missing-uid';
    let tsLeft = damage !== 'missing-ts';
    let badLeft = badSlot >= 0;

    let pos = start;
    out[pos++] = OPEN_BRACE;
    let first = true;
    for (let k = 0; ; k++) {
      if (uidFirst && uidLeft && uidSlot === k) {
        pos = this.writeUid(plan, out, pos, first);
        first = false;
        uidLeft = false;
      }
      if (tsLeft && tsSlot === k) {
        pos = this.writeTs(plan, out, pos, first);
        first = false;
        tsLeft = false;
      }
      if (uidLeft && uidSlot === k) {
        pos = this.writeUid(plan, out, pos, first);
        first = false;
        uidLeft = false;
      }
      if (badLeft && badSlot === k) {
        pos = this.writeBadUtf8(out, pos, first);
        first = false;
        badLeft = false;
      }
      // +1 for the closing brace.
      if (k >= prelude && pos - start + 1 >= this.fillUntil) break;
      if (!first) out[pos++] = COMMA;
      first = false;
      const member = members[r.next() & MEMBER_POOL_MASK]!;
      out.set(member, pos);
      pos += member.length;
    }
    // Slots past the last member land at the end.
    if (uidLeft && uidFirst) {
      pos = this.writeUid(plan, out, pos, first);
      first = false;
      uidLeft = false;
    }
    if (tsLeft) {
      pos = this.writeTs(plan, out, pos, first);
      first = false;
    }
    if (uidLeft) {
      pos = this.writeUid(plan, out, pos, first);
      first = false;
    }
    if (badLeft) pos = this.writeBadUtf8(out, pos, first);
    if (damage === 'missing-ts' || damage === 'invalid-ts') this.writtenTs = null;
    out[pos++] = CLOSE_BRACE;
    return pos;
  }

  private writeUid(plan: FramePlan, out: Uint8Array, pos: number, first: boolean): number {
    let p = pos;
    if (!first) out[p++] = COMMA;
    out.set(UID_OPENING, p);
    p = this.ids.write(plan.user, out, p + UID_OPENING.length);
    out[p++] = QUOTE;
    return p;
  }

  private writeTs(plan: FramePlan, out: Uint8Array, pos: number, first: boolean): number {
    const r = this.random;
    let p = pos;
    if (!first) out[p++] = COMMA;
    out.set(TS_OPENING, p);
    p += TS_OPENING.length;
    if (plan.damage === 'invalid-ts') {
      const value = r.pick(this.pool.invalidTs);
      out.set(value, p);
      this.writtenTs = null;
      return p + value.length;
    }
    // Flip in 32-bit unsigned space: bit 31 makes a ts in 2084 or later.
    const ts = plan.damage === 'bitflip' ? (plan.ts ^ (1 << plan.flipBit)) >>> 0 : plan.ts;
    this.writtenTs = ts;
    const quoted = r.chance(this.tsStringFraction);
    if (quoted) out[p++] = QUOTE;
    p = writeDecimal(ts, out, p);
    if (quoted) out[p++] = QUOTE;
    return p;
  }

  private writeBadUtf8(out: Uint8Array, pos: number, first: boolean): number {
    const r = this.random;
    const pool = this.pool;
    let p = pos;
    if (!first) out[p++] = COMMA;
    p = put(out, p, r.pick(pool.stringOpenings));
    if (r.chance(0.7)) p = put(out, p, r.pick(pool.texts));
    p = put(out, p, r.pick(pool.badUtf8));
    if (r.chance(0.7)) p = put(out, p, r.pick(pool.texts));
    out[p++] = QUOTE;
    return p;
  }

  private writeNotObject(plan: FramePlan, out: Uint8Array, start: number): number {
    const r = this.random;
    if (r.chance(SHORT_NOT_OBJECT_FRACTION)) return put(out, start, r.pick(this.pool.notObject));
    // A long array of values, sometimes led by an object that looks just like a frame.
    let pos = start;
    out[pos++] = OPEN_BRACKET;
    let first = true;
    if (r.chance(0.5)) {
      pos = put(out, pos, UID_FRAME_OPENING);
      pos = this.ids.write(plan.user, out, pos);
      pos = put(out, pos, TS_AFTER_UID);
      pos = writeDecimal(plan.ts, out, pos);
      out[pos++] = CLOSE_BRACE;
      first = false;
    }
    while (pos - start + 1 < this.target) {
      if (!first) out[pos++] = COMMA;
      first = false;
      pos = put(out, pos, this.pool.values[r.next() & VALUE_POOL_MASK]!);
    }
    out[pos++] = CLOSE_BRACKET;
    return pos;
  }

  /**
   * Cuts a whole frame short, at least one byte in and one byte before its
   * end. Any proper prefix of a JSON object is incomplete; the cut never
   * splits a UTF-8 character, so the frame is truncated and nothing else.
   */
  private cut(out: Uint8Array, start: number, end: number): number {
    let cut = start + 1 + this.random.below(end - start - 1);
    while (cut > start + 1 && (out[cut]! & UTF8_CONTINUATION_MASK) === UTF8_CONTINUATION) cut--;
    return cut;
  }
}

function put(out: Uint8Array, pos: number, bytes: Uint8Array): number {
  out.set(bytes, pos);
  return pos + bytes.length;
}

/** Writes a non-negative integer in decimal; returns the position after it. */
export function writeDecimal(value: number, out: Uint8Array, pos: number): number {
  let digits = 1;
  for (let v = value; v >= DECIMAL; v = Math.floor(v / DECIMAL)) digits++;
  let v = value;
  for (let i = pos + digits - 1; i >= pos; i--) {
    out[i] = DIGIT_ZERO + (v % DECIMAL);
    v = Math.floor(v / DECIMAL);
  }
  return pos + digits;
}
