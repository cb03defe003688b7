/*
 * The globalSetup module that integrationTestConfig() names: vitest calls
 * its default export. Not part of the package's API (see index.ts).
 */
export { setupForTests as default } from './testing.js';
