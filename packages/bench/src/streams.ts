/**
 * The generated streams the suites share, so two suites that ask for the
 * same stream read the same file in .work.
 */
import { REALISTIC, type StreamOptions } from '@uniqstream/generator';

/** 2016-07-11T13:39:44Z, the challenge sample's first ts. */
export const SAMPLE_START = 1_468_244_384;
/** 2014-07-12T00:00:00Z: two years before the sample's era ends. */
const HISTORICAL_START = 1_405_123_200;
const SECONDS_PER_DAY = 86_400;
const DAYS_IN_TWO_YEARS = 730;
const TWO_YEARS_SECONDS = DAYS_IN_TWO_YEARS * SECONDS_PER_DAY;
/** The challenge sample: 100k users at 1000 frames/s. */
export const SAMPLE_USERS = 100_000;
export const SAMPLE_RATE = 1000;
/** Small frames for long series, where 2 KB frames would fill the disk (10^7 x 2 KB = 21 GB). */
export const SMALL_FRAME_BYTES = 200;

/** Like the challenge sample (~2 KB frames, 100k users, 1000 frames/s), with docs/frames.md's disorder and damage. */
export function realisticStream(frames: number, seed = 1): StreamOptions {
  return { seed, users: SAMPLE_USERS, rate: SAMPLE_RATE, start: SAMPLE_START, frames, ...REALISTIC };
}

/** Clean frames of about 200 bytes, for the scaling series. */
export function smallFrameStream(frames: number, users = SAMPLE_USERS, seed = 1): StreamOptions {
  return { seed, users, rate: SAMPLE_RATE, start: SAMPLE_START, frames, frameBytes: SMALL_FRAME_BYTES };
}

/** 10M frames over two years is ~0.16 frames/s of event time; `frames` at that same rate. */
export const HISTORICAL_RATE = 10_000_000 / TWO_YEARS_SECONDS;

export function historicalStream(frames: number): StreamOptions {
  return {
    seed: 1,
    users: SAMPLE_USERS,
    rate: HISTORICAL_RATE,
    start: HISTORICAL_START,
    frames,
    frameBytes: SMALL_FRAME_BYTES,
  };
}
