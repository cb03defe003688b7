export { run, buildProgram, type GenerateConfig, type ReplayConfig } from './cli.js';
export { processIo, type SimIo } from './io.js';
export { parseTarget, describeTarget, type Target } from './target.js';
export { SimError, SIM_ERROR_CODES, type SimErrorCode } from './errors.js';
