import { existsSync } from 'node:fs';
import { basename, delimiter } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kafkaClassPath } from '../../src/index.js';
import { testVersion } from './helpers.js';

describe(`the Kafka ${testVersion()} jars`, () => {
  it('are all there, with the broker, the tools and exactly one slf4j binding', async () => {
    const jars = (await kafkaClassPath(testVersion())).split(delimiter);
    for (const jar of jars) expect(existsSync(jar), jar).toBe(true);
    const names = jars.map((jar) => basename(jar));
    expect(names).toContain(`kafka_2.13-${testVersion()}.jar`);
    expect(names).toContain(`kafka-tools-${testVersion()}.jar`);
    expect(names).toContain(`kafka-clients-${testVersion()}.jar`);
    // Two bindings make slf4j pick one at random; none makes it drop every log line.
    const bindings = names.filter((name) =>
      /^(slf4j-reload4j|log4j-slf4j-impl|log4j-slf4j2-impl|slf4j-log4j12|logback-classic)-/.test(name),
    );
    expect(bindings).toHaveLength(1);
    // Kafka Connect is left out on purpose (see pom/): none of the wrapped tools needs it.
    expect(names.some((name) => name.startsWith('connect-runtime-'))).toBe(false);
  });
});
