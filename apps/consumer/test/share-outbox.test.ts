import fc from 'fast-check';
import type { Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ShareOutbox, type OutgoingShare } from '../src/share-outbox.js';

const HOLD_MS = 100;

/** An outbox on a hand-driven clock and timer, recording what it sends on its own. */
function harness() {
  let clock = 0;
  let timer: { fn: () => void; at: number } | undefined;
  const sent: Message[] = [];
  /** When the timer sent each of `sent`. */
  const sentAt: number[] = [];
  const outbox = new ShareOutbox({
    holdMs: HOLD_MS,
    now: () => clock,
    send: (messages) => {
      sent.push(...messages);
      for (const _ of messages) sentAt.push(clock);
      return Promise.resolve();
    },
    setTimer: (fn, ms) => (timer = { fn, at: clock + ms }),
    clearTimer: (t) => {
      if (t === timer) timer = undefined;
    },
  });
  /** Moves the clock on, firing the timer when its moment comes. */
  const advance = (ms: number): void => {
    const until = clock + ms;
    while (timer !== undefined && timer.at <= until) {
      const due = timer;
      timer = undefined;
      clock = due.at;
      due.fn();
    }
    clock = until;
  };
  return { outbox, sent, sentAt, advance, now: () => clock, pendingTimer: () => timer };
}

function share(key: string, revision: number, final = false): OutgoingShare {
  return { key, final, encode: () => ({ key, value: Buffer.from(`${key}#${revision}${final ? '!' : ''}`) }) };
}

const values = (messages: readonly Message[]): string[] => messages.map((m) => String(m.value));

describe('ShareOutbox', () => {
  it('sends a first share and a final one at once, and holds a revision that follows its key within the hold', () => {
    const { outbox, sent, advance } = harness();
    expect(values(outbox.offer([share('minute:60:0', 0), share('minute:120:0', 0)]))).toEqual([
      'minute:60:0#0',
      'minute:120:0#0',
    ]);
    advance(10);
    expect(outbox.offer([share('minute:60:0', 1)])).toEqual([]);
    advance(10);
    expect(outbox.offer([share('minute:60:0', 2)])).toEqual([]);
    expect(outbox.waiting).toBe(1);
    // The final replaces the held revision and goes at once.
    expect(values(outbox.offer([share('minute:60:0', 3, true)]))).toEqual(['minute:60:0#3!']);
    expect(outbox.waiting).toBe(0);
    advance(1000);
    expect(sent).toEqual([]);
  });

  it('sends the latest held revision when the hold has passed since its key last went out', () => {
    const { outbox, sent, advance } = harness();
    outbox.offer([share('k', 0)]);
    advance(30);
    outbox.offer([share('k', 1)]);
    advance(30);
    outbox.offer([share('k', 2)]);
    advance(39);
    expect(sent).toEqual([]);
    advance(1);
    expect(values(sent)).toEqual(['k#2']);
    // The hold starts again from that send.
    advance(50);
    expect(outbox.offer([share('k', 3)])).toEqual([]);
    advance(49);
    expect(values(sent)).toEqual(['k#2']);
    advance(1);
    expect(values(sent)).toEqual(['k#2', 'k#3']);
    // Quiet for longer than the hold: the next revision goes at once.
    advance(HOLD_MS);
    expect(values(outbox.offer([share('k', 4)]))).toEqual(['k#4']);
  });

  it('release() hands over every held share at once; discard() drops them', () => {
    const { outbox, sent, advance, pendingTimer } = harness();
    outbox.offer([share('a', 0), share('b', 0)]);
    outbox.offer([share('a', 1), share('b', 1)]);
    expect(values(outbox.release()).sort()).toEqual(['a#1', 'b#1']);
    expect(pendingTimer()).toBeUndefined();
    outbox.offer([share('a', 2)]);
    outbox.discard();
    advance(1000);
    expect(sent).toEqual([]);
    expect(values(outbox.offer([share('a', 3)]))).toEqual(['a#3']);
  });

  it('never loses the latest share of a key, and never sends a key twice within the hold', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            key: fc.constantFrom('a', 'b', 'c'),
            gap: fc.integer({ min: 0, max: 250 }),
            final: fc.boolean(),
          }),
          { maxLength: 60 },
        ),
        (steps) => {
          const h = harness();
          /** Every send, by the timer or at an offer, in order. */
          const log: Array<{ message: Message; at: number; final: boolean }> = [];
          let seen = 0;
          const collectTimerSends = () => {
            for (; seen < h.sent.length; seen++)
              log.push({ message: h.sent[seen]!, at: h.sentAt[seen]!, final: false });
          };
          const latest = new Map<string, string>();
          const closed = new Set<string>();
          let revision = 0;
          for (const step of steps) {
            h.advance(step.gap);
            collectTimerSends();
            if (closed.has(step.key)) continue;
            const s = share(step.key, revision++, step.final);
            latest.set(step.key, String(s.encode().value));
            if (step.final) closed.add(step.key);
            for (const message of h.outbox.offer([s])) log.push({ message, at: h.now(), final: step.final });
          }
          h.advance(HOLD_MS);
          collectTimerSends();
          // The last message sent per key is the latest offered.
          const lastSent = new Map<string, string>();
          for (const { message } of log) lastSent.set(String(message.key), String(message.value));
          expect(lastSent).toEqual(latest);
          // Non-final sends of one key are at least the hold apart.
          const lastAt = new Map<string, number>();
          for (const s of log) {
            if (s.final) continue;
            const key = String(s.message.key);
            const at = lastAt.get(key);
            if (at !== undefined) expect(s.at - at).toBeGreaterThanOrEqual(HOLD_MS);
            lastAt.set(key, s.at);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('ShareOutbox memory', () => {
  it('forgets keys that never came out final once their hold has passed', () => {
    const { outbox, advance } = harness();
    const internal = outbox as unknown as { sentAt: Map<string, number> };
    for (let i = 0; i < 5000; i++) outbox.offer([share(`minute:${i}:0`, 0)]);
    advance(HOLD_MS);
    outbox.offer([share('minute:next:0', 0)]);
    expect(internal.sentAt.size).toBe(1);
  });
});
