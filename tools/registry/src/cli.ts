#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { parsePort } from './ports.js';
import { type RegistryInfo, registryStatus, startRegistry, stopRegistry } from './registry.js';

const USAGE = `usage: registry-local <command> [--port N] [--dir DIR]

  start    start Verdaccio on 127.0.0.1 and log the local user in
  stop     stop it (storage is kept)
  status   show the running registry (--json for a machine-readable line); exit 3 if none

Defaults: port $UNIQSTREAM_REGISTRY_PORT or a free one; DIR .cache/registry at the repository root.
@uniqstream/* is published here only; everything else is proxied to registry.npmjs.org.`;

/** As LSB init scripts say it, so `registry-local status || registry-local start` works. */
const NOT_RUNNING_EXIT = 3;
const USAGE_EXIT = 2;

class UsageError extends Error {}

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      dir: { type: 'string' },
      json: { type: 'boolean', default: false },
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
    return USAGE_EXIT;
  }
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  const dir = values.dir === undefined ? {} : { dir: values.dir };
  switch (command) {
    case 'start': {
      const port = values.port === undefined ? {} : { port: parsePort(values.port) };
      await startRegistry({ ...dir, ...port, log: say });
      return 0;
    }
    case 'stop':
      say((await stopRegistry(dir)) ? 'the local registry stopped' : 'no local registry is running');
      return 0;
    case 'status':
      return status(await registryStatus(dir), values.json);
    default:
      throw new UsageError(`unknown command "${command}" (try: registry-local help)`);
  }
}

function status(info: RegistryInfo | null, json: boolean): number {
  if (json) process.stdout.write(`${JSON.stringify(info)}\n`);
  else if (info === null) process.stdout.write('no local registry is running\n');
  else {
    const lines = [
      `Verdaccio is running on ${info.url} (pid ${info.pid})`,
      `npmrc: ${info.npmrc}  (NPM_CONFIG_USERCONFIG=... npm publish)`,
      `log:   ${info.logFile}`,
      `data:  ${info.dir}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return info === null ? NOT_RUNNING_EXIT : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`registry-local: ${error instanceof Error ? error.message : String(error)}\n`);
    const usage =
      error instanceof UsageError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    process.exitCode = usage ? USAGE_EXIT : 1;
  },
);
