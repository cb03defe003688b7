import type { SimIo } from './io.js';
import { KafkaOutput, type KafkaSettings } from './kafka.js';
import { DEFAULT_GZIP_LEVEL, FileOutput, StdoutOutput, type Output } from './output.js';
import type { Target } from './target.js';

/** Opens the output `target` names; Kafka messages are logged as one-line notes on stderr, unless `quiet`. */
export async function openOutput(target: Target, kafka: KafkaSettings, io: SimIo, gzipLevel = DEFAULT_GZIP_LEVEL, quiet = false): Promise<Output> {
  switch (target.kind) {
    case 'stdout':
      return new StdoutOutput(io.stdout);
    case 'file':
      return FileOutput.open(target.path, target.gzip ? gzipLevel : 0);
    case 'kafka':
      return KafkaOutput.open(target.brokers, target.topic, kafka, io, (line) => {
        if (!quiet) io.stderr.write(`uniqstream-sim: ${line}\n`);
      });
  }
}
