/*
 * The globalSetup module that integrationTestConfig({ secure: true }) names:
 * vitest calls its default export. Not part of the package's API (see index.ts).
 */
export { setupSecureForTests as default } from './testing.js';
