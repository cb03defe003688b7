#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { secretScrubber } from '@uniqstream/kafka';
import { parseCommandLine, type ServiceConfig } from './config.js';
import { ConsumerError } from './errors.js';
import { createLogger } from './log.js';
import { runService } from './service.js';

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
/** 128 + SIGINT, what a shell reports for an interrupted command. */
const EXIT_INTERRUPTED = 130;

async function main(argv: readonly string[]): Promise<number> {
  let config: ServiceConfig;
  try {
    const parsed = parseCommandLine(argv, process.env, { readFile: (path) => readFileSync(path, 'utf8') });
    if (parsed.kind === 'print') {
      process.stdout.write(parsed.text);
      return 0;
    }
    config = parsed.config;
  } catch (error) {
    process.stderr.write(`uniqstream-consumer: error: ${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof ConsumerError && error.code === 'BAD_CONFIG' ? EXIT_USAGE : EXIT_FAILURE;
  }

  const log = createLogger(config.logLevel, undefined, secretScrubber(config.security));
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (name: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      log.warn(
        { signal: name },
        'second signal: exiting without the last checkpoint (the one before it is the restart point)',
      );
      process.exit(EXIT_INTERRUPTED);
    }
    log.info({ signal: name }, 'stopping: flushing, checkpointing and committing');
    stop.abort(name);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('unhandledRejection', (reason) => {
    log.fatal({ reason: reason instanceof Error ? reason.message : String(reason) }, 'unhandled rejection');
    process.exit(EXIT_FAILURE);
  });

  try {
    await runService(config, { log, signal: stop.signal });
    log.info('stopped');
    return 0;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    log.fatal(
      {
        code: typeof code === 'string' ? code : undefined,
        stack: process.env.UNIQSTREAM_DEBUG && error instanceof Error ? error.stack : undefined,
      },
      error instanceof Error ? error.message : String(error),
    );
    return EXIT_FAILURE;
  }
}

// kafkajs can leave sockets and timers behind after disconnecting: the exit code is final here.
process.exit(await main(process.argv.slice(2)));
