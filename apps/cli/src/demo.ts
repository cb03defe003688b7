import { generateChunks, type StreamOptions } from '@uniqstream/generator';

/**
 * The embedded default stream: three minutes of realistic ~2 KB frames at
 * 500 frames per second from 20,000 users, starting where the challenge's
 * sample does, with late frames (5% up to 5 s, 0.2% up to 40 s), bitflipped
 * timestamps and malformed frames. Generated in memory, so it needs nothing.
 */
const DEMO_STREAM: StreamOptions = {
  seed: 2016,
  users: 20_000,
  rate: 500,
  start: 1468244340, // 2016-07-11T13:39:00Z
  duration: 180,
  lateFraction: 0.05,
  maxDelay: 5,
  tailFraction: 0.002,
  tailDelay: 40,
  bitflipFraction: 0.0005,
  malformedFraction: 0.001,
  tsStringFraction: 0.01,
};

export const DEMO_DESCRIPTION =
  'demo: counting 90,000 generated frames (3 minutes from 2016-07-11T13:39:00Z, 20,000 users, 5% late ' +
  'by up to 5 s, 0.2% by up to 40 s, some bitflipped and malformed)';

export function demoChunks(): Generator<Uint8Array> {
  return generateChunks(DEMO_STREAM);
}
