#!/usr/bin/env node
import {
  argParser,
  COUNT_OPTION_SPECS,
  type CountConfig,
  commanderExitCode,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_USAGE,
  KAFKA_CONNECTION_FLAG_SPECS,
  kafkaConnectionHelp,
  optionOf,
  POSITIVE_SECONDS,
  parser,
  readPackageVersion,
  resolveCountConfig,
  resolveKafkaSecurity,
  valuesOfFlags,
  EXAMPLE_RESULT_LINE,
} from '@uniqstream/app-config';
import { type KafkaSecurity, secretScrubber } from '@uniqstream/kafka';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '@uniqstream/sources';
import { Command, CommanderError, Option } from 'commander';
import { CHECKPOINT_DAMAGED_CHOICES, type CheckpointDamagedChoice, DEFAULT_CHECKPOINT_DAMAGED } from './checkpoint.js';
import { runCount } from './count.js';

const MS_PER_SECOND = 1000;

/** Options that only make sense for the Kafka consumer service. */
const SERVICE_ONLY = new Set<string>([]);

function buildProgram(
  run: (
    files: string[],
    config: CountConfig,
    flags: Record<string, unknown>,
    security: KafkaSecurity | undefined,
  ) => Promise<void>,
): Command {
  const program = new Command('uniqstream')
    .description(
      'Count unique users per time window in a stream of JSON log frames (one object per line, with "uid" and "ts").',
    )
    .version(readPackageVersion(new URL('../package.json', import.meta.url)), '-V, --version')
    .configureHelp({ sortOptions: false })
    // One line, with the program's name, for every usage error (commander's own included).
    .configureOutput({
      writeErr: (text) => process.stderr.write(text),
      outputError: (text, write) => write(`uniqstream: ${text.trimEnd()} (see --help)\n`),
    })
    // Set before the subcommand exists, so that it inherits them.
    .exitOverride()
    .addHelpText(
      'after',
      '\n`uniqstream FILE...` is `uniqstream count FILE...`; `uniqstream count --help` lists every option.',
    );

  const count = program
    .command('count', { isDefault: true })
    .summary('(the default command) count unique users per window from files, stdin or Kafka')
    .description('count unique users per window from files, stdin or Kafka; results as JSON lines on stdout')
    .argument('[files...]', '.jsonl or .jsonl.gz files to read in order; - or none for stdin')
    .option('--demo', 'count an embedded generated sample stream with late and damaged frames (no input needed)')
    .option('--progress', 'show a live progress line on stderr (default: when stderr is a terminal)')
    .option('--no-progress', 'never show the progress line')
    .option('-q, --quiet', 'no summary or messages on stderr, only errors');
  // Defaults live in resolveCountConfig; the help only shows them.
  for (const spec of COUNT_OPTION_SPECS) if (!SERVICE_ONLY.has(spec.name)) count.addOption(optionOf(spec));
  count.addOption(
    new Option(
      '--kafka-wait <seconds>',
      'Kafka: keep retrying an unreachable broker this long at start, then fail ' +
        `(default: ${DEFAULT_CONNECT_TIMEOUT_MS / MS_PER_SECOND})`,
    ).argParser(argParser(parser(POSITIVE_SECONDS, 'kafka-wait'))),
  );
  for (const spec of KAFKA_CONNECTION_FLAG_SPECS) count.addOption(optionOf(spec));
  count.addOption(
    new Option(
      '--checkpoint-damaged <what>',
      `a --checkpoint file that is damaged or from an older version: refuse (stop with an error) or ` +
        `restart (warn and count from the beginning) (default: ${DEFAULT_CHECKPOINT_DAMAGED})`,
    ).choices(CHECKPOINT_DAMAGED_CHOICES),
  );
  count.addHelpText(
    'after',
    `
Output: one JSON object per result on stdout, e.g.
  ${EXAMPLE_RESULT_LINE}
start is inclusive, end exclusive (unix seconds). A window is emitted as soon as the watermark
(highest ts minus --max-delay) passes its end; late frames within --allowed-lateness emit new
revisions, and every window's last result has "final":true. A summary goes to stderr.

Examples:
  uniqstream count --demo
  uniqstream count sample.jsonl.gz --windows minute,hour --format table --tz Europe/Zurich
  zcat sample.jsonl.gz | uniqstream count --dead-letter file:dropped.jsonl > results.jsonl
  uniqstream count --from kafka://127.0.0.1:9092/stream --to kafka://127.0.0.1:9092/processed \\
    --group counters --from-beginning --until-idle 5
  UNIQSTREAM_KAFKA_PASSWORD=... uniqstream count --from kafka://kafka.example:9094/stream \\
    --to kafka://kafka.example:9094/processed --kafka-ca ca.pem --kafka-user counter --until-idle 5

${kafkaConnectionHelp('every Kafka endpoint of a run (input, results, dead letters)')}

Exit codes:
  0    done (also when the reader of stdout went away, or the checkpoint says the input was counted)
  1    the run failed: unreadable input, corrupt gzip, Kafka out of reach or no such topic,
       a Kafka login or TLS handshake refused, an ACL missing, a checkpoint for other input,
       or a damaged one
  2    bad command line: unknown option, bad value, options that do not go together,
       an unreadable TLS or password file, a --kafka-user without a password
  130  stopped by Ctrl-C (SIGINT); open windows are flushed as non-final results
  143  stopped by SIGTERM, the same way`,
  );
  count.action(async (files: string[], flags: Record<string, unknown>) => {
    // Counting options from flags only; the Kafka connection from the environment too: the password has no
    // flag, and deployments set the rest beside it.
    const config = resolveCountConfig(valuesOfFlags(COUNT_OPTION_SPECS, flags));
    await run(files, config, flags, resolveKafkaSecurity({ flags, env: process.env }));
  });
  return program;
}

async function main(argv: readonly string[]): Promise<number> {
  // `uniqstream --help | head -1`: a reader that has read enough may go before everything is written.
  // That ends the output (the result sinks see it too), not with a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  let exitCode = 0;
  const interrupt = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    if (interrupts > 1) process.exit(EXIT_INTERRUPTED);
    interrupt.abort('SIGINT');
  });
  process.on('SIGTERM', () => interrupt.abort('SIGTERM'));

  let scrub = (text: string): string => text;
  const program = buildProgram(async (files, config, flags, security) => {
    scrub = secretScrubber(security);
    exitCode = await runCount(
      {
        files,
        config,
        demo: flags.demo === true,
        progress:
          typeof flags.progress === 'boolean' && process.argv.some((a) => a === '--progress' || a === '--no-progress')
            ? flags.progress
            : undefined,
        quiet: flags.quiet === true,
        ...(flags.kafkaWait === undefined ? {} : { kafkaWaitSeconds: flags.kafkaWait as number }),
        ...(flags.checkpointDamaged === undefined
          ? {}
          : { checkpointDamaged: flags.checkpointDamaged as CheckpointDamagedChoice }),
        ...(security === undefined ? {} : { kafkaSecurity: security }),
      },
      {
        stdout: process.stdout,
        stderr: process.stderr,
        stdin: process.stdin,
        now: () => performance.now(),
        signal: interrupt.signal,
      },
    );
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return commanderExitCode(error);
    // A message that quotes a broker or a library never shows the password.
    process.stderr.write(`uniqstream: error: ${scrub(describe(error))}\n`);
    if (process.env.UNIQSTREAM_DEBUG && error instanceof Error && error.stack)
      process.stderr.write(`${scrub(error.stack)}\n`);
    return isUsage(error) ? EXIT_USAGE : EXIT_FAILURE;
  }
  return exitCode;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const known = 'code' in error && typeof (error as { code: unknown }).code === 'string';
    return known ? error.message : `${error.message} (unexpected; UNIQSTREAM_DEBUG=1 shows where)`;
  }
  return String(error);
}

function isUsage(error: unknown): boolean {
  if (!(error instanceof Error) || !('code' in error)) return false;
  const code = (error as { code: unknown }).code;
  return code === 'USAGE' || code === 'BAD_OPTION' || code === 'BAD_ENDPOINT' || code === 'UNKNOWN_DECODER';
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
