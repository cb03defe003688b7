import { integrationTestConfig } from '@uniqstream/kafka-local';
import { defineConfig } from 'vitest/config';

// Real broker, real group joins: seconds each, more on a loaded machine. `secure`: the broker's SASL_SSL
// listener too, for kafka-secure-source.test.ts (a kafka-local without it ignores the setting; that suite is
// skipped then).
const settings = { testTimeout: 120_000, hookTimeout: 180_000, secure: true };
export default defineConfig({ test: integrationTestConfig(settings) });
