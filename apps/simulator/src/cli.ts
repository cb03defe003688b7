import {
  AppConfigError,
  argParser,
  commanderExitCode,
  DURATION,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_USAGE,
  FRACTION,
  KAFKA_CONNECTION_FLAG_SPECS,
  kafkaConnectionHelp,
  oneLine,
  optionOf,
  POSITIVE,
  parser,
  readPackageVersion,
  resolveKafkaSecurity,
  wholeNumber,
} from '@uniqstream/app-config';
import {
  DEFAULT_FRAME_BYTES,
  DEFAULT_MAX_DELAY,
  DEFAULT_TAIL_DELAY,
  GeneratorError,
  parseStart,
  REALISTIC,
  resolveOptions,
  type StreamOptions,
} from '@uniqstream/generator';
import { type KafkaSecurity, secretScrubber } from '@uniqstream/kafka';
import { Command, CommanderError, Option } from 'commander';
import { SimError } from './errors.js';
import { runGenerate } from './generate.js';
import type { SimIo } from './io.js';
import { DEFAULT_KAFKA_SETTINGS, type KafkaSettings, MAX_KAFKA_FRAME_BYTES } from './kafka.js';
import { DEFAULT_GZIP_LEVEL } from './output.js';
import { runReplay } from './replay.js';
import { parseTarget, type Target } from './target.js';

const NAME = 'uniqstream-sim';
/** The docs/frames.md example's ts: 2016-07-11 13:39:44 UTC. A fixed default keeps runs reproducible. */
const DEFAULT_START = '2016-07-11T13:39:44Z';
const DEFAULT_FRAMES = 100_000;
const DEFAULT_USERS = 100_000;
const DEFAULT_RATE = 1000;
const MS_PER_SECOND = 1000;

/*
 * Commander names the option and the value before these parsers' lines:
 * `option '--gzip-level <n>' argument '10' is invalid. expected ...`.
 */
const duration = argParser(parser(DURATION));
const fraction = argParser(parser(FRACTION));
const positive = argParser(parser(POSITIVE));
function integer(min: number, max?: number): (text: string) => number {
  return argParser(parser(wholeNumber(min, max)));
}

export interface GenerateConfig {
  readonly stream: StreamOptions;
  readonly target: Target;
  readonly truthPath: string | null;
  readonly realtime: boolean;
  readonly kafka: KafkaSettings;
  readonly gzipLevel: number;
  readonly progress: boolean;
  readonly quiet: boolean;
}

export interface ReplayConfig {
  readonly file: string;
  readonly target: Target;
  /** Frames per second of wall time, or null for full speed. */
  readonly rate: number | null;
  readonly kafka: KafkaSettings;
  readonly gzipLevel: number;
  readonly progress: boolean;
  readonly quiet: boolean;
}

function addOutputOptions(command: Command): Command {
  command
    .option(
      '--to <target>',
      'where frames go: stdout, file:PATH (PATH ending in .gz: gzip) or kafka://host:port/topic',
      'stdout',
    )
    .option(
      '--gzip-level <n>',
      'gzip level of a .gz file, 1 (fastest) to 9 (smallest)',
      integer(1, 9),
      DEFAULT_GZIP_LEVEL,
    )
    .option(
      '--partitions <n>',
      'Kafka: partitions of the topic when this run creates it',
      integer(1, 10_000),
      DEFAULT_KAFKA_SETTINGS.partitions,
    )
    .addOption(
      new Option('--key <kind>', 'Kafka: message key; uid keeps each user in one partition, none spreads round-robin')
        .choices(['uid', 'none'])
        .default(DEFAULT_KAFKA_SETTINGS.key),
    )
    .addOption(
      new Option('--compression <codec>', 'Kafka: compression of the batches')
        .choices(['none', 'gzip'])
        .default(DEFAULT_KAFKA_SETTINGS.compression),
    )
    .option(
      '--batch-bytes <n>',
      'Kafka: bytes of frames per send call',
      integer(1024, MAX_KAFKA_FRAME_BYTES),
      DEFAULT_KAFKA_SETTINGS.batchBytes,
    )
    .option(
      '--kafka-wait <seconds>',
      'Kafka: how long to wait for a broker at start',
      duration,
      DEFAULT_KAFKA_SETTINGS.waitSeconds,
    )
    .option(
      '--kafka-outage <seconds>',
      'Kafka: how long sends keep retrying while the broker is away (frames wait meanwhile) before ' +
        'the run fails; 0: as long as it takes',
      duration,
      DEFAULT_KAFKA_SETTINGS.outageSeconds,
    )
    .option('--progress', 'report progress on stderr (on by default when stderr is a terminal)')
    .option('-q, --quiet', 'no progress, summary or notes on stderr, only errors');
  for (const spec of KAFKA_CONNECTION_FLAG_SPECS) command.addOption(optionOf(spec));
  return command.addHelpText('after', `\n${kafkaConnectionHelp('a kafka:// --to')}`);
}

/** The --kafka-* settings and UNIQSTREAM_KAFKA_* variables as one KafkaSecurity; a setting that cannot work is
 * BAD_OPTION (exit 2). */
function kafkaSecurity(o: Record<string, unknown>, io: SimIo): KafkaSecurity | undefined {
  try {
    return resolveKafkaSecurity({ flags: o, env: io.env ?? {} });
  } catch (error) {
    if (error instanceof AppConfigError) throw new SimError('BAD_OPTION', error.message, { cause: error });
    throw error;
  }
}

function kafkaSettings(o: Record<string, unknown>, io: SimIo): KafkaSettings {
  const security = kafkaSecurity(o, io);
  return {
    ...(security === undefined ? {} : { security }),
    partitions: o.partitions as number,
    key: o.key as 'uid' | 'none',
    compression: o.compression as 'gzip' | 'none',
    batchBytes: o.batchBytes as number,
    waitSeconds: o.kafkaWait as number,
    outageSeconds: o.kafkaOutage as number,
  };
}

function showProgress(o: Record<string, unknown>, io: SimIo): boolean {
  return o.quiet !== true && (o.progress === true || io.stderrIsTTY);
}

/** Builds the command line. `act` receives the checked configuration of whichever command ran. */
export function buildProgram(
  io: SimIo,
  act: (config: { generate: GenerateConfig } | { replay: ReplayConfig }) => void,
): Command {
  const program = new Command(NAME);
  program
    .description(
      'Makes realistic streams of JSON log frames (late, out of order, corrupt) with their exact ' +
        'ground truth, to stdout, files or Kafka.',
    )
    .usage('[options]  |  replay <file> [options]')
    .version(readPackageVersion(new URL('../package.json', import.meta.url)), '-V, --version')
    .enablePositionalOptions()
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`${NAME}: ${text.replace(/^error: /, '').trimEnd()}\n`),
    })
    .option('--seed <n>', 'random seed: the same seed and options give byte-identical output', integer(0), 1)
    .option('--users <n>', 'size of the user pool', integer(1, 2 ** 32), DEFAULT_USERS)
    .option('--zipf <s>', 'draw users by a Zipf law with exponent s (default: uniformly)', positive)
    .option('--rate <n>', 'frames per second of event time', positive, DEFAULT_RATE)
    .option(
      '--start <time>',
      'event time of the first frame: unix seconds, an ISO date (UTC unless it has a zone), or now-2y / now-30d',
      DEFAULT_START,
    )
    .option('--frames <n>', `frames to make (default ${DEFAULT_FRAMES} unless --duration)`, integer(0))
    .option(
      '--duration <seconds>',
      'event time to cover instead of --frames: seconds, or with a unit (15m, 2h, 1d)',
      duration,
    )
    .option('--frame-bytes <n>', 'average size of a frame in bytes', integer(0, 16 * 1024 * 1024), DEFAULT_FRAME_BYTES)
    .option('--realtime', 'send each frame when the wall clock reaches its arrival time (default: as fast as possible)')
    .option(
      '--realistic',
      `disorder and damage like docs/frames.md for every such option not given: ${describeRealistic()}`,
    )
    .option('--late-fraction <p>', 'fraction of frames arriving 1..max-delay s late', fraction, 0)
    .option('--max-delay <seconds>', 'largest delay of a late frame', integer(1), DEFAULT_MAX_DELAY)
    .option(
      '--tail-fraction <p>',
      'fraction of frames arriving max-delay+1..tail-delay s late (past the 5 s bound)',
      fraction,
      0,
    )
    .option(
      '--tail-delay <seconds>',
      `largest delay of a tail frame (default: ${DEFAULT_TAIL_DELAY}, or max-delay + 1 if that is larger)`,
      integer(2),
    )
    .option('--bitflip-fraction <p>', 'fraction of frames with one random bit of the 32-bit ts flipped', fraction, 0)
    .option(
      '--bitflip-min-bit <bit>',
      'lowest ts bit a bitflip may hit; 12 makes every flip move ts by over an hour',
      integer(0, 31),
      0,
    )
    .option(
      '--malformed-fraction <p>',
      'fraction of malformed frames, split evenly over truncated, missing-uid, missing-ts, ' +
        'invalid-ts, not-object, empty, invalid-utf8',
      fraction,
      0,
    )
    .option('--ts-string-fraction <p>', 'fraction of frames whose ts is a string ("1468244384")', fraction, 0)
    .option('--crlf', 'end lines with \\r\\n instead of \\n (stdout and files)')
    .option('--tz <zone>', 'IANA time zone of the hour, day, week, month and year windows in --truth', 'UTC')
    .option('--truth <file>', 'write the ground truth there as JSONL: one line per window, then a summary line');
  addOutputOptions(program);
  program.action((o: Record<string, unknown>) => {
    act({ generate: generateConfig(program, o, io) });
  });

  const replay = new Command('replay')
    .description(
      'sends the lines of an existing file (.jsonl, or .jsonl.gz) to an output, at --rate frames per ' +
        'second or full speed',
    )
    .argument('<file>', 'the file to replay; a name ending in .gz is gunzipped')
    .option('--rate <n>', 'frames per second of wall time (default: full speed)', positive)
    .exitOverride()
    .showSuggestionAfterError(false)
    .configureOutput(program.configureOutput());
  addOutputOptions(replay);
  replay.action((file: string, o: Record<string, unknown>) => {
    act({
      replay: {
        file,
        target: parseTarget(o.to as string),
        rate: (o.rate as number | undefined) ?? null,
        kafka: kafkaSettings(o, io),
        gzipLevel: o.gzipLevel as number,
        progress: showProgress(o, io),
        quiet: o.quiet === true,
      },
    });
  });
  program.addCommand(replay);
  return program;
}

function describeRealistic(): string {
  return Object.entries(REALISTIC)
    .map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${String(v)}`)
    .join(', ');
}

function generateConfig(program: Command, o: Record<string, unknown>, io: SimIo): GenerateConfig {
  const given = (name: string): boolean => {
    const source = program.getOptionValueSource(name);
    return source !== undefined && source !== 'default';
  };
  if (o.frames !== undefined && o.duration !== undefined)
    throw new SimError('BAD_OPTION', 'give --frames or --duration, not both');
  let start: number;
  try {
    start = parseStart(o.start as string, Math.floor(io.now() / MS_PER_SECOND));
  } catch (error) {
    throw new SimError('BAD_OPTION', `--start: ${oneLine(error)}`, { cause: error });
  }
  const preset = o.realistic === true ? REALISTIC : {};
  const pick = (name: keyof typeof REALISTIC): number =>
    given(name) || preset[name] === undefined ? (o[name] as number) : preset[name];
  const stream: StreamOptions = {
    seed: o.seed as number,
    users: o.users as number,
    ...(o.zipf === undefined ? {} : { zipf: o.zipf as number }),
    rate: o.rate as number,
    start,
    ...(o.duration === undefined
      ? { frames: (o.frames as number | undefined) ?? DEFAULT_FRAMES }
      : { duration: o.duration as number }),
    frameBytes: o.frameBytes as number,
    tsStringFraction: pick('tsStringFraction'),
    crlf: o.crlf === true,
    lateFraction: pick('lateFraction'),
    maxDelay: pick('maxDelay'),
    tailFraction: pick('tailFraction'),
    ...(given('tailDelay') || o.realistic === true ? { tailDelay: pick('tailDelay') } : {}),
    bitflipFraction: pick('bitflipFraction'),
    bitflipMinBit: o.bitflipMinBit as number,
    malformedFraction: pick('malformedFraction'),
    tz: o.tz as string,
  };
  try {
    resolveOptions(stream);
  } catch (error) {
    if (error instanceof GeneratorError) throw new SimError('BAD_OPTION', cliWording(error.message), { cause: error });
    throw error;
  }
  const target = parseTarget(o.to as string);
  if (target.kind === 'kafka' && stream.frameBytes !== undefined && stream.frameBytes > MAX_KAFKA_FRAME_BYTES / 2) {
    throw new SimError(
      'BAD_OPTION',
      `--frame-bytes ${stream.frameBytes} is too large for Kafka's default 1 MB message limit`,
    );
  }
  return {
    stream,
    target,
    truthPath: (o.truth as string | undefined) ?? null,
    realtime: o.realtime === true,
    kafka: kafkaSettings(o, io),
    gzipLevel: o.gzipLevel as number,
    progress: showProgress(o, io),
    quiet: o.quiet === true,
  };
}

/** The generator's option names, as its errors spell them. */
const GENERATOR_OPTION_NAME = new RegExp(
  `\\b(${[
    'seed',
    'users',
    'zipf',
    'rate',
    'start',
    'frames',
    'duration',
    'frameBytes',
    'tsStringFraction',
    'lateFraction',
    'maxDelay',
    'tailFraction',
    'tailDelay',
    'bitflipFraction',
    'bitflipMinBit',
    'malformedFraction',
  ].join('|')})\\b`,
  'g',
);

/** The generator names options as in code (lateFraction); the command line as --late-fraction. */
function cliWording(message: string): string {
  return message.replace(GENERATOR_OPTION_NAME, (name) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
}

/** Runs the simulator with `argv` (without node and script); resolves to the exit status. */
export async function run(argv: readonly string[], io: SimIo): Promise<number> {
  let chosen: { generate: GenerateConfig } | { replay: ReplayConfig } | null = null;
  const program = buildProgram(io, (config) => {
    chosen = config;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return commanderExitCode(error);
    if (error instanceof SimError && error.code === 'BAD_OPTION') {
      io.stderr.write(`${NAME}: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  const config = chosen as { generate: GenerateConfig } | { replay: ReplayConfig } | null;
  if (config === null) return EXIT_USAGE;
  // A message that quotes a broker or a library never shows the password.
  const scrub = secretScrubber(('generate' in config ? config.generate : config.replay).kafka.security);
  try {
    if ('generate' in config) await runGenerate(config.generate, io);
    else await runReplay(config.replay, io);
  } catch (error) {
    io.stderr.write(`${NAME}: ${scrub(oneLine(error))}\n`);
    return error instanceof SimError && error.code === 'BAD_OPTION' ? EXIT_USAGE : EXIT_FAILURE;
  }
  return io.signal?.aborted === true ? EXIT_INTERRUPTED : EXIT_OK;
}
