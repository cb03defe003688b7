export { ExactSet } from './exact-set.js';
export { HyperLogLog, HLL_DEFAULT_PRECISION, HLL_MAX_PRECISION, HLL_MIN_PRECISION } from './hyperloglog.js';
export { createCounter, deserializeCounter, type DistinctCounter } from './distinct-counter.js';
export { CounterError, COUNTER_ERROR_CODES, type CounterErrorCode } from './counter-error.js';
