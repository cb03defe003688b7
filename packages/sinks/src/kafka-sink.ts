import type { DeadLetter, DeadLetterSink, ResultSink, WindowResult } from '@uniqstream/core';
import { KafkaTopicWriter, type OwnClientSettings, type TopicWriterSettings } from '@uniqstream/kafka';
import type { Message } from 'kafkajs';
import { formatDeadLetter, type DeadLetterFormatOptions } from './dead-letter.js';
import { sinkErrorOf } from './errors.js';
import { formatResultJson } from './result-json.js';

/**
 * Settings of a Kafka sink besides where it writes: partitions (when it
 * creates the topic), clientId, log, verbose, connectTimeoutMs, security
 * (TLS and a SASL login), unavailableTimeoutMs, batchBytes and
 * batchMessages, as @uniqstream/kafka's KafkaTopicWriter takes them.
 */
export interface KafkaSinkOptions
  extends Pick<OwnClientSettings, 'partitions' | 'clientId' | 'log' | 'verbose' | 'connectTimeoutMs' | 'security'>,
    Pick<TopicWriterSettings, 'unavailableTimeoutMs' | 'batchBytes' | 'batchMessages'> {}

export interface KafkaTarget {
  readonly brokers: readonly string[];
  readonly topic: string;
}

/** A Kafka result or dead-letter sink: connecting starts when it is created. */
export interface KafkaSink {
  readonly name: string;
  /** Resolves once connected with the topic in place; rejects with a SinkError otherwise. */
  ready(): Promise<void>;
}

export type KafkaResultSink = ResultSink & KafkaSink;
export type KafkaDeadLetterSink = DeadLetterSink & KafkaSink;

/** Compaction keeps the newest record per key: the latest revision of every window. */
export const RESULT_TOPIC_CONFIG: Readonly<Record<string, string>> = { 'cleanup.policy': 'compact' };

/** The record key of a result: `minute:1468244340` (granularity and window start). */
export function resultKey(result: WindowResult): string {
  return `${result.window}:${result.start}`;
}

/** The record key of a dead letter: `stream:3:1234` (origin, partition, position). */
export function deadLetterKey(letter: DeadLetter): string {
  return `${letter.origin}:${letter.partition}:${letter.position}`;
}

/**
 * Results to a Kafka topic, one record per result: key `window:start`,
 * value the same JSON as a line on stdout (without its newline). A topic
 * the sink creates is compacted, so it keeps every window's latest revision.
 */
export function createKafkaResultSink(target: KafkaTarget, options: KafkaSinkOptions = {}): KafkaResultSink {
  const writer = new KafkaTopicWriter({
    ...options,
    ...target,
    what: 'results',
    topicConfig: RESULT_TOPIC_CONFIG,
    errorOf: sinkErrorOf,
  });
  return {
    name: writer.name,
    ready: () => writer.ready(),
    write: (results: readonly WindowResult[]) => {
      if (results.length === 0) return Promise.resolve();
      const messages: Message[] = new Array<Message>(results.length);
      for (let i = 0; i < results.length; i++) {
        const result = results[i]!;
        messages[i] = { key: resultKey(result), value: formatResultJson(result) };
      }
      return writer.write(messages);
    },
    flush: () => writer.flush(),
    close: () => writer.close(),
  };
}

/** Dead letters to a Kafka topic: key `origin:partition:position`, value the dead-letter JSON line. */
export function createKafkaDeadLetterSink(
  target: KafkaTarget,
  options: KafkaSinkOptions & DeadLetterFormatOptions = {},
): KafkaDeadLetterSink {
  const format: DeadLetterFormatOptions =
    options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes };
  const writer = new KafkaTopicWriter({ ...options, ...target, what: 'dead letters', errorOf: sinkErrorOf });
  return {
    name: writer.name,
    ready: () => writer.ready(),
    write: (letters: readonly DeadLetter[]) => {
      if (letters.length === 0) return Promise.resolve();
      return writer.write(
        letters.map((letter) => ({ key: deadLetterKey(letter), value: formatDeadLetter(letter, format) })),
      );
    },
    flush: () => writer.flush(),
    close: () => writer.close(),
  };
}

/**
 * Resolves when a sink can take writes: Kafka sinks once connected with
 * their topic in place (rejecting with a SinkError otherwise), other sinks
 * at once. Lets an app fail before it reads any input.
 */
export async function sinkReady(sink: ResultSink | DeadLetterSink): Promise<void> {
  const ready = (sink as Partial<KafkaSink>).ready;
  if (typeof ready === 'function') await ready.call(sink);
}
