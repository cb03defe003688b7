/**
 * Ways a frame can be malformed, with the names the decoder reports. Each
 * frame made with one of these is damaged in exactly that way and no other:
 * a 'missing-uid' frame is otherwise valid JSON with a numeric root ts.
 */
export const MALFORMED_KINDS = [
  'truncated',
  'missing-uid',
  'missing-ts',
  'invalid-ts',
  'not-object',
  'empty',
  'invalid-utf8',
] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/**
 * Every kind of damage: the malformed kinds plus 'bitflip', a valid frame
 * whose ts had one of its 32 bits flipped. A decoder cannot see a bitflip;
 * a counter can only suspect one from how far the ts is from the others.
 */
export const DAMAGE_KINDS = ['bitflip', ...MALFORMED_KINDS] as const;
export type DamageKind = (typeof DAMAGE_KINDS)[number];

/** How late a frame arrives: within the bound, after it, or on time (null). */
export const DISORDER_KINDS = ['late', 'tail'] as const;
export type DisorderKind = (typeof DISORDER_KINDS)[number];
