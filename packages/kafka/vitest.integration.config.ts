import { integrationTestConfig } from '@uniqstream/kafka-local';
import { defineConfig } from 'vitest/config';

// Real broker, real group joins: seconds each, more on a loaded machine.
export default defineConfig({ test: integrationTestConfig({ testTimeout: 120_000, hookTimeout: 180_000 }) });
