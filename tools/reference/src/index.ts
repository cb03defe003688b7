export { referenceFrame, referenceCounts, linesOf, type ReferenceFrame, type Counts } from './reference.js';
