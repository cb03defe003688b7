#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { brokerStatus, restartBroker, startBroker, stopBroker, type BrokerInfo, type BrokerOptions } from './broker.js';
import { loggingConfigFlag } from './config.js';
import { KafkaLocalError } from './errors.js';
import { classPathOf, stderrLog } from './fetch.js';
import { classDataSharingFlags } from './cds.js';
import { requireJava, SHORT_LIVED_JVM_OPTIONS, TOOL_JVM_OPTIONS } from './java.js';
import { dataLayout, jarLayout } from './paths.js';
import { parsePort, resolvePort } from './ports.js';
import { shellCommand } from './shell.js';
import {
  currentToolArgs,
  isKafkaTool,
  KAFKA_TOOLS,
  mainClass,
  parseKafkaVersion,
  resolveVersion,
  type KafkaTool,
} from './version.js';

const USAGE = `usage: kafka-local <command> [--kafka-version X.Y.Z] [--port N] [--secure]

  start      start the broker (fetching jars and formatting storage the first time);
             --secure adds SASL_SSL listeners on port + 2 (TLS, SCRAM users, ACLs)
             and port + 3 (the same, plus a client certificate required)
  stop       stop it (SIGTERM, SIGKILL after 30 s)
  restart    stop, then start on the same data (secure if it was, or with --secure)
  status     show the running broker (--json for a machine-readable line); exit 3 if none
  logs       print the end of the broker log (-n LINES, -f to follow)
  fetch      fetch the jars only (e.g. to warm a CI cache)
  classpath  print the class path of the Kafka jars

Defaults: Kafka $UNIQSTREAM_KAFKA_VERSION or 4.4.0, port $UNIQSTREAM_KAFKA_PORT or 9092,
secure if $UNIQSTREAM_KAFKA_SECURE is 1; on 127.0.0.1 only; the controller uses port + 1.`;

const DEFAULT_LOG_LINES = 40;
/** Tools that answer and exit: see SHORT_LIVED_JVM_OPTIONS. */
const SHORT_LIVED_TOOLS: ReadonlySet<KafkaTool> = new Set(['topics', 'configs', 'acls']);
/** As LSB init scripts say it, so `kafka-local status || kafka-local start` works. */
const NOT_RUNNING_EXIT = 3;

class UsageError extends Error {}

async function main(argv: readonly string[]): Promise<number> {
  // The wrappers' arguments belong to Kafka's tool, not to this parser.
  if (argv[0] === 'tool-command') return toolCommand(argv[1], argv.slice(2));
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      'kafka-version': { type: 'string' },
      port: { type: 'string' },
      secure: { type: 'boolean' },
      json: { type: 'boolean', default: false },
      lines: { type: 'string', short: 'n' },
      follow: { type: 'boolean', short: 'f', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command] = positionals;
  if (values.help || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  const options: BrokerOptions = {
    ...(values['kafka-version'] === undefined ? {} : { version: values['kafka-version'] }),
    ...(values.port === undefined ? {} : { port: parsePort(values.port) }),
    ...(values.secure === undefined ? {} : { secure: values.secure }),
    log: say,
  };

  switch (command) {
    case 'start':
      await startBroker(options);
      return 0;
    case 'stop':
      if (!(await stopBroker(options)))
        say(`no kafka-local broker is running on port ${resolvePort(options.port, process.env)}`);
      return 0;
    case 'restart':
      await restartBroker(options);
      return 0;
    case 'status':
      return status(await brokerStatus(options), values.json, resolvePort(options.port, process.env));
    case 'logs':
      return logs(options, values.lines, values.follow);
    case 'fetch': {
      const { version } = resolveVersion(options.version, process.env);
      await classPathOf(version, say);
      say(`Kafka ${version.text} jars are in ${jarLayout(version).libs}`);
      return 0;
    }
    case 'classpath': {
      const { version } = resolveVersion(options.version, process.env);
      say(await classPathOf(version, stderrLog));
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}" (try: kafka-local help)`);
  }
}

/** What a broker is and where its files are; never a password (the secured listener's is in a file, named here). */
function status(info: BrokerInfo | null, json: boolean, port: number): number {
  if (json) process.stdout.write(`${JSON.stringify(info)}\n`);
  else if (info === null) process.stdout.write(`no kafka-local broker is running on port ${port}\n`);
  else {
    const lines = [
      `Kafka ${info.version} is running on ${info.bootstrap} (pid ${info.pid})`,
      `log:  ${info.logFile}`,
      `data: ${info.dataDir}`,
    ];
    if (info.secure !== null) {
      const secure = info.secure;
      lines.push(
        `SASL_SSL:   ${secure.bootstrap} (${secure.mechanisms.join(', ')}; ACLs enforced)`,
        `mutual TLS: ${secure.mutualTlsBootstrap} (the same, and a client certificate from the CA)`,
        `CA:         ${secure.caFile}`,
        `admin:      ${secure.adminUser}, password in ${secure.adminPasswordFile}`,
        `tools:      --command-config ${secure.adminClientConfig}`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return info === null ? NOT_RUNNING_EXIT : 0;
}

async function logs(options: BrokerOptions, linesText: string | undefined, follow: boolean): Promise<number> {
  const lines = linesText === undefined ? DEFAULT_LOG_LINES : Number(linesText);
  if (!Number.isInteger(lines) || lines < 0) throw new UsageError(`-n wants a number of lines, not "${linesText}"`);
  const running = await brokerStatus(options);
  const logFile =
    running?.logFile ??
    dataLayout(resolveVersion(options.version, process.env).version, resolvePort(options.port, process.env)).logFile;
  if (!existsSync(logFile)) throw new UsageError(`no broker log yet at ${logFile} (start the broker first)`);
  if (follow) {
    // tail knows how to follow a file across log rotation; no need to redo it.
    return new Promise((resolve) => {
      const child = spawn('tail', ['-n', String(lines), '-F', logFile], { stdio: 'inherit' });
      child.once('exit', (code) => resolve(code ?? 0));
    });
  }
  const text = await readFile(logFile, 'utf8');
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  process.stdout.write(all.slice(Math.max(0, all.length - lines)).join('\n') + (all.length > 0 ? '\n' : ''));
  return 0;
}

/**
 * Prints the command a bin/kafka-* wrapper execs with its arguments, for its
 * shell to eval. The
 * version is the one asked for, else the running broker's, else the default,
 * so the tools match the broker without fetching another version.
 */
async function toolCommand(tool: string | undefined, args: readonly string[]): Promise<number> {
  if (tool === undefined || !isKafkaTool(tool)) {
    throw new UsageError(`tool-command wants one of ${KAFKA_TOOLS.join(', ')}`);
  }
  const resolved = resolveVersion(undefined, process.env);
  const running = resolved.explicit ? null : await brokerStatus();
  const version = running === null ? resolved.version : parseKafkaVersion(running.version);
  const java = requireJava(version);
  const classPath = await classPathOf(version, stderrLog);
  const toolPid = Number(process.env.KAFKA_LOCAL_TOOL_PID);
  const words = [
    java.command,
    ...TOOL_JVM_OPTIONS,
    ...(SHORT_LIVED_TOOLS.has(tool) ? SHORT_LIVED_JVM_OPTIONS : []),
    ...(await classDataSharingFlags(
      version,
      tool,
      java.major,
      Number.isInteger(toolPid) && toolPid > 0 ? toolPid : null,
    )),
    loggingConfigFlag(version, jarLayout(version).toolsLogging),
    '-cp',
    classPath,
    mainClass(version, tool),
    ...currentToolArgs(version, tool, args),
  ];
  process.stdout.write(`exec ${shellCommand(words)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`kafka-local: ${message}\n`);
    if (process.env.KAFKA_LOCAL_DEBUG === '1' && error instanceof Error && !(error instanceof KafkaLocalError)) {
      process.stderr.write(`${error.stack ?? ''}\n`);
    }
    const usage =
      error instanceof UsageError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    process.exitCode = usage ? 2 : 1;
  },
);
