import type { Endpoint, Source } from '@uniqstream/core';
import { SourceError } from './errors.js';
import { openFileSource, STDIN_PATH, type FileSourceOptions } from './file-source.js';
import { openKafkaSource, type KafkaSourceOptions } from './kafka-source.js';

export const DEFAULT_GROUP = 'uniqstream';

/** Kafka settings for openSource; the endpoint gives brokers and topic. */
export interface KafkaEndpointOptions
  extends Omit<KafkaSourceOptions, 'brokers' | 'topic' | 'group' | 'fromBeginning'> {
  /** Consumer group (default `uniqstream`). */
  readonly group?: string;
  /** Start at the earliest offset when the group has none committed (default: the latest). */
  readonly fromBeginning?: boolean;
}

export interface OpenSourceOptions extends FileSourceOptions {
  /** Used for kafka:// endpoints only. */
  readonly kafka?: KafkaEndpointOptions;
}

/**
 * The source for a parsed input endpoint: stdin, a file (plain or gzip) or
 * a Kafka topic, so that apps need not switch on endpoint kinds.
 */
export function openSource(endpoint: Endpoint, options: OpenSourceOptions = {}): Source {
  switch (endpoint.kind) {
    case 'stdin':
      return openFileSource([STDIN_PATH], options);
    case 'file':
      return openFileSource([endpoint.path], options);
    case 'kafka': {
      const kafka = options.kafka ?? {};
      return openKafkaSource({
        ...kafka,
        brokers: endpoint.brokers,
        topic: endpoint.topic,
        group: kafka.group ?? DEFAULT_GROUP,
        fromBeginning: kafka.fromBeginning ?? false,
      });
    }
    case 'stdout':
      throw new SourceError('BAD_OPTION', 'stdout is an output, not an input for frames');
  }
}
