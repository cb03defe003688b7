import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { brokerStatus } from '../../src/index.js';
import { brokerApiVersions, testPort, testVersion } from './helpers.js';

interface RequestDefinition {
  readonly versions: readonly string[];
}

// kafkajs keeps its request table internal; reading it is the only way to know
// which versions it can speak. kafkajs picks min(its newest, the broker's max)
// and never checks the broker's min, so that pick must still be accepted.
const require = createRequire(import.meta.url);
const { requests } = require('kafkajs/src/protocol/requests/index.js') as {
  requests: Record<string, RequestDefinition>;
};
const apiKeys = require('kafkajs/src/protocol/requests/apiKeys.js') as Record<string, number>;

describe(`kafkajs 2.2.4 against Kafka ${testVersion()}`, () => {
  it('runs the version the tests asked for', async () => {
    expect((await brokerStatus({ port: testPort() }))?.version).toBe(testVersion());
  });

  it('finds, for every request kafkajs implements, a version the broker still accepts', async () => {
    const broker = await brokerApiVersions('127.0.0.1', testPort());
    const implemented = Object.entries(requests).filter(([, definition]) => definition.versions.length > 0);
    expect(implemented.length).toBeGreaterThan(20);
    const problems: string[] = [];
    for (const [name, definition] of implemented) {
      const key = apiKeys[name];
      const range = key === undefined ? undefined : broker.get(key);
      const newest = Math.max(...definition.versions.map(Number));
      if (range === undefined) {
        problems.push(`${name}: the broker does not offer it`);
        continue;
      }
      const picked = Math.min(newest, range.max);
      if (picked < range.min)
        problems.push(`${name}: kafkajs would send v${picked}, the broker wants v${range.min}..v${range.max}`);
    }
    expect(problems).toEqual([]);
  });
});
