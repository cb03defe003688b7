export * from './types.js';
export * from './errors.js';
export * from './endpoint.js';
export * from './counters/index.js';
