import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cdsDir } from '../../src/cds.js';
import { parseKafkaVersion } from '../../src/version.js';
import { bootstrap, freshTopic, kafka, readAll, testVersion } from './helpers.js';

const bin = (name: string): string => fileURLToPath(new URL(`../../bin/${name}`, import.meta.url));

function tool(name: string, args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(bin(name), args, {
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe(`Kafka ${testVersion()} command-line tools`, () => {
  it(
    'round-trip keyed records: kafka-topics creates, the console producer writes, the console ' + 'consumer reads',
    async () => {
      const topic = freshTopic('console');
      const created = tool('kafka-topics', [
        '--bootstrap-server',
        bootstrap(),
        '--create',
        '--topic',
        topic,
        '--partitions',
        '3',
      ]);
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toContain(`Created topic ${topic}`);
      const admin = kafka().admin();
      await admin.connect();
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      await admin.disconnect();
      expect(metadata.topics[0]?.partitions).toHaveLength(3);

      const lines = Array.from(
        { length: 30 },
        (_, i) => `user-${i % 7}\t{"uid":"user-${i % 7}","ts":${1468244384 + i},"text":"Свобода ${i} 🙂"}`,
      );
      const produced = tool(
        'kafka-console-producer',
        ['--bootstrap-server', bootstrap(), '--topic', topic, '--property', 'parse.key=true'],
        `${lines.join('\n')}\n`,
      );
      expect(produced.code, produced.stderr).toBe(0);

      // kafkajs is the independent witness of what the producer wrote.
      const stored = await readAll(topic);
      expect(stored.map((r) => `${r.key}\t${r.value}`).sort()).toEqual([...lines].sort());

      const consumed = tool('kafka-console-consumer', [
        '--bootstrap-server',
        bootstrap(),
        '--topic',
        topic,
        '--from-beginning',
        '--property',
        'print.key=true',
        '--max-messages',
        String(lines.length),
        '--timeout-ms',
        '30000',
      ]);
      expect(consumed.code, consumed.stderr).toBe(0);
      // stdout carries the records and nothing else: logging goes to stderr.
      expect(
        consumed.stdout
          .split('\n')
          .filter((line) => line !== '')
          .sort(),
      ).toEqual([...lines].sort());
    },
  );

  it("passes errors through with the tool's own exit code", () => {
    const missing = tool('kafka-topics', [
      '--bootstrap-server',
      bootstrap(),
      '--describe',
      '--topic',
      freshTopic('absent'),
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr + missing.stdout).toMatch(/does not exist|UnknownTopicOrPartition/i);
  });

  it('records a class-data archive on a first run and starts from it afterwards, quietly', () => {
    const archive = join(cdsDir(parseKafkaVersion(testVersion())), 'topics.jsa');
    rmSync(archive, { force: true });
    rmSync(`${archive}.dumping`, { force: true });
    const list = (): ReturnType<typeof tool> => tool('kafka-topics', ['--bootstrap-server', bootstrap(), '--list']);
    const first = list();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('__consumer_offsets');
    expect(existsSync(archive)).toBe(true);
    const second = list();
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    // The JVM's CDS notices would go to stdout by default; they must not show up at all.
    expect(second.stderr).toBe('');
  });
});
