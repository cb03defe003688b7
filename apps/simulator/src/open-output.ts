import type { SimIo } from './io.js';
import { KafkaOutput, type KafkaSettings } from './kafka.js';
import { DEFAULT_GZIP_LEVEL, FileOutput, StdoutOutput, type Output } from './output.js';
import type { Target } from './target.js';

export interface OutputOptions {
  readonly gzipLevel?: number;
  /** No notes on stderr (Kafka's: the topic, an outage). */
  readonly quiet?: boolean;
  /**
   * Told how many more frames the output has delivered, in the order they
   * were added: Kafka tells once the broker acknowledged them; stdout and
   * files never tell (what is written is delivered).
   */
  readonly onDelivered?: (frames: number) => void;
}

/** Opens the output `target` names; Kafka's notes are one line each on stderr, unless `quiet`. */
export async function openOutput(
  target: Target,
  kafka: KafkaSettings,
  io: SimIo,
  options: OutputOptions = {},
): Promise<Output> {
  const gzipLevel = options.gzipLevel ?? DEFAULT_GZIP_LEVEL;
  switch (target.kind) {
    case 'stdout':
      return new StdoutOutput(io.stdout);
    case 'file':
      return FileOutput.open(target.path, target.gzip ? gzipLevel : 0);
    case 'kafka':
      return KafkaOutput.open(
        target.brokers,
        target.topic,
        kafka,
        io,
        (line) => {
          if (options.quiet !== true) io.stderr.write(`uniqstream-sim: ${line}\n`);
        },
        options.onDelivered,
      );
  }
}
