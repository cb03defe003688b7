export { referenceFrame, referenceCounts, linesOf, type ReferenceFrame, type Counts } from './reference.js';
export { seededRandom, testRandom, TEST_SEED_ENV, type SeededRandom } from './seed.js';
